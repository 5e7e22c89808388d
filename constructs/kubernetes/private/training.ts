/**
 * The training contract on Kubernetes: what the training container runs and what it finds, the
 * SageMaker training contract kept where it matters.
 *
 * - Program: `train.command` (with `train.arguments`) as written; else `train.entryPoint`, the
 *   script from `sourceDir` mounted at /opt/ml/code and run with `python3` (`sh` for a .sh script) on
 *   one node, `torchrun` on several (Kubeflow Trainer sets PET_NNODES, PET_NPROC_PER_NODE,
 *   PET_NODE_RANK, PET_MASTER_ADDR and PET_MASTER_PORT, which torchrun reads), with the
 *   hyperparameters as `--name value` as SageMaker script mode passes them; else the image's own
 *   program as SageMaker starts it: `train` (the SageMaker algorithm and framework images have it on
 *   their PATH). Distributed training needs a script or a command: the runtime launches nothing itself.
 * - Files: /opt/ml/input/config/{hyperparameters,inputdataconfig}.json (and resourceconfig.json on
 *   one node, `algo-1`) from a ConfigMap; channels at /opt/ml/input/data/{train,validation}; the
 *   model written to /opt/ml/model, which the evaluate and register steps read; /opt/ml/output
 *   writable (failure file, output data).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { PipelineSpec } from '../../../lib/spec';
import type { ValidationIssue } from '../../../lib/errors';

export const CONTRACT = {
  code: '/opt/ml/code',
  config: '/opt/ml/input/config',
  data: '/opt/ml/input/data',
  model: '/opt/ml/model',
  output: '/opt/ml/output',
} as const;

/** The channels the preprocess step writes and training reads. */
export const CHANNELS = ['train', 'validation'] as const;

/** A ConfigMap holds at most 1 MiB (etcd's object limit); keep room for its keys and metadata. */
export const MAX_SOURCE_BYTES = 1_000_000;

type Train = PipelineSpec['train'];

/** The container's command and arguments. */
export interface TrainingProgram {
  readonly command: string[];
  readonly args: string[];
  /** 'sagemaker' when the image's own `train` program runs (it reads the config files). */
  readonly kind: 'command' | 'entryPoint' | 'sagemaker';
}

/** `--name value` per hyperparameter, as SageMaker script mode passes them. */
export function hyperparameterArgs(train: Train): string[] {
  return Object.entries(train.hyperparameters).flatMap(([k, v]) => [`--${k}`, v]);
}

export function trainingProgram(train: Train): TrainingProgram {
  if (train.command) return { kind: 'command', command: [...train.command], args: [...train.arguments] };
  if (train.entryPoint) {
    const script = `${CONTRACT.code}/${train.entryPoint.script}`;
    const launcher = train.distribution !== 'none' ? ['torchrun'] : train.entryPoint.script.endsWith('.sh') ? ['/bin/sh'] : ['python3'];
    return { kind: 'entryPoint', command: [...launcher, script], args: [...hyperparameterArgs(train), ...train.arguments] };
  }
  return { kind: 'sagemaker', command: ['train'], args: [...train.arguments] };
}

/** The SageMaker config files (name → content) the training container finds under /opt/ml/input/config. */
export function sagemakerConfigFiles(train: Train, singleNode: boolean): Record<string, string> {
  const channel = { TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' };
  return {
    'hyperparameters.json': JSON.stringify(train.hyperparameters),
    'inputdataconfig.json': JSON.stringify(Object.fromEntries(CHANNELS.map((c) => [c, channel]))),
    ...(singleNode ? { 'resourceconfig.json': JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'], network_interface_name: 'eth0' }) } : {}),
  };
}

/** One packaged source file: its path under /opt/ml/code, and its content as text or base64. */
export interface SourceFile {
  readonly path: string;
  readonly text?: string;
  readonly base64?: string;
}

/**
 * Reads `sourceDir` (relative to `baseDirectory`) for a ConfigMap: every file but hidden ones and
 * `__pycache__`, text as text and anything else as base64. Issues name train.entryPoint.*.
 */
export function packageSources(entryPoint: NonNullable<Train['entryPoint']>, baseDirectory: string): { files: SourceFile[] } | { issues: ValidationIssue[] } {
  const dir = path.resolve(baseDirectory, entryPoint.sourceDir);
  const at = 'train.entryPoint.sourceDir';
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { issues: [{ path: at, message: 'is not a directory', got: `'${entryPoint.sourceDir}' (${dir})`, expected: 'a folder of your repository holding the training script' }] };
  }
  const files: SourceFile[] = [];
  let bytes = 0;
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === '__pycache__') continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) {
        const content = fs.readFileSync(path.join(dir, child));
        const text = content.toString('utf8');
        const isText = !content.includes(0) && Buffer.from(text, 'utf8').equals(content);
        files.push(isText ? { path: child, text } : { path: child, base64: content.toString('base64') });
        bytes += isText ? content.length : Math.ceil(content.length / 3) * 4;
      }
    }
  };
  walk('');
  const issues: ValidationIssue[] = [];
  if (!files.some((f) => f.path === entryPoint.script)) {
    issues.push({ path: 'train.entryPoint.script', message: `is not a file of sourceDir (${dir})`, got: `'${entryPoint.script}'`, expected: `one of ${files.slice(0, 5).map((f) => `'${f.path}'`).join(', ') || 'the files of sourceDir (it has none)'}` });
  }
  if (bytes > MAX_SOURCE_BYTES) {
    issues.push({ path: at, message: 'is too large to reach the training pod in a ConfigMap (at most 1 MiB)', got: `${bytes} bytes in ${files.length} files`, expected: `at most ${MAX_SOURCE_BYTES} bytes: package large code into the image and give train.command` });
  }
  return issues.length > 0 ? { issues } : { files };
}
