/**
 * Synthesizes a platform on AWS in-process, into a cloud assembly, with the compliance packs run:
 * what `mlops synth` and `npm run synth` do.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { PlatformSpecInput } from '../../lib/spec';
import { addCompliancePacks } from './compliance';
import { AwsPlatform } from './platform';

/** The context cdk.json sets, so an in-process synth matches `npx cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const file = path.join(__dirname, '..', '..', 'cdk.json');
  if (!fs.existsSync(file)) return {};
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

export interface SynthResult {
  readonly outdir: string;
  readonly platform: AwsPlatform;
}

/**
 * Throws MlopsValidationError for a bad spec, and CDK's ValidationError (`ValidationFailed`) when
 * a rule pack finds an unacknowledged problem.
 */
export function synthAwsPlatform(spec: PlatformSpecInput, outdir: string): SynthResult {
  fs.rmSync(outdir, { recursive: true, force: true });
  const app = new App({ outdir, context: cdkJsonContext() });
  const platform = new AwsPlatform(app, 'Platform', { spec });
  addCompliancePacks(app);
  app.synth();
  return { outdir, platform };
}
