/**
 * Synthesizes a platform on AWS in-process, into a cloud assembly, with the compliance packs run:
 * what `mlops synth` and `npm run synth` do.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, cloud_assembly_schema as cxschema } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { writeOutputDir } from '../../lib/output-dir';
import { PlatformSpecInput } from '../../lib/spec';
import { addCompliancePacks } from './compliance';
import { AwsPlatform } from './platform';

/** The context of the project's cdk.json (in the working directory, as the CDK CLI reads it), so an in-process synth matches `npx cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const file = path.join(process.cwd(), 'cdk.json');
  if (!fs.existsSync(file)) return {};
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

/** A construct warning (`Annotations.addWarningV2`): the `aws:cdk:warning` metadata CDK writes beside the templates. */
export interface SynthWarning {
  /** The warning's stable id (`cdk-mlops:retrainingWithoutPipeline`); `''` for a warning added without one. */
  readonly id: string;
  /** The construct path (`Platform/churn/Drift`). */
  readonly path: string;
  readonly message: string;
}

export interface SynthResult {
  readonly outdir: string;
  readonly platform: AwsPlatform;
  /** Every construct warning, once, in construct-tree order. */
  readonly warnings: readonly SynthWarning[];
}

/** Every `aws:cdk:warning` in the tree under `scope`, once each (`addWarningV2` writes `<message> [ack: <id>]`). */
export function constructWarnings(scope: IConstruct): SynthWarning[] {
  const seen = new Set<string>();
  const out: SynthWarning[] = [];
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== (cxschema.ArtifactMetadataEntryType.WARN as string)) continue;
      const text = String(entry.data);
      const key = `${c.node.path}\n${text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const m = /^([\s\S]*?)\s*\[ack: ([^\]]+)\]$/.exec(text);
      out.push({ id: m ? m[2] : '', path: c.node.path, message: m ? m[1] : text });
    }
  }
  return out;
}

/**
 * Throws MlopsValidationError for a bad spec (or a change refused against the feature store lock),
 * and CDK's ValidationError (`ValidationFailed`) when a rule pack finds an unacknowledged problem.
 * `context` overrides cdk.json's context.
 */
export function synthAwsPlatform(spec: PlatformSpecInput, outdir: string, context: Record<string, unknown> = {}): SynthResult {
  // Synthesized beside the target and swapped in only on success, and only over a previous output of
  // ours: a bad spec or a failed check leaves the previous output as it was, and nothing else is removed.
  return writeOutputDir(outdir, { contents: 'a cloud assembly' }, (staging) => {
    // Path metadata: the audit report names the construct that made each resource.
    const app = new App({ outdir: staging, context: { ...cdkJsonContext(), ...context, 'aws:cdk:enable-path-metadata': true } });
    const platform = new AwsPlatform(app, 'Platform', { spec });
    addCompliancePacks(app);
    app.synth();
    return { outdir, platform, warnings: constructWarnings(app) };
  });
}
