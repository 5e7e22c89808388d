/** Hand-built cloud assemblies: a manifest and one template per stack, as `cdk synth` writes them. */
import * as fs from 'fs';
import * as path from 'path';

export interface HandStack {
  readonly name: string;
  readonly region?: string;
  readonly resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

export function writeAssembly(dir: string, stacks: readonly HandStack[]): string {
  fs.mkdirSync(dir, { recursive: true });
  const artifacts: Record<string, unknown> = {};
  stacks.forEach((s, i) => {
    const id = `Stack${i}`;
    fs.writeFileSync(path.join(dir, `${id}.template.json`), JSON.stringify({ Resources: s.resources }));
    artifacts[id] = { type: 'aws:cloudformation:stack', environment: `aws://unknown-account/${s.region ?? 'us-east-1'}`, properties: { templateFile: `${id}.template.json`, stackName: s.name } };
  });
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }));
  return dir;
}
