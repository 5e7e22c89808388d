import { Testing } from 'cdktf';
import { PlatformSpecInput } from '../../../lib/spec';
import { KubernetesPlatformStack } from '../../../stacks/kubernetes/platform';
import { referencePlatform } from '../../../stacks/reference-platform';

/** Text for other programs, full of what Terraform would read as templates. */
const T = (field: string) => `${'$'}{${field}} and %{ if ${field} }x%{ endif }`;

const [llm, churn, router] = referencePlatform.models;
const spec: PlatformSpecInput = {
  ...referencePlatform,
  description: T('platform'),
  models: [
    {
      ...llm,
      description: T('model'),
      endpoint: { ...llm.endpoint!, environment: { ...llm.endpoint!.environment, PROMPT: T('endpoint_env') } },
      pipeline: {
        ...llm.pipeline!,
        description: T('pipeline'),
        preprocess: { ...llm.pipeline!.preprocess, environment: { SPLIT: T('preprocess_env') }, arguments: [T('preprocess_arg')] },
        train: { ...llm.pipeline!.train, environment: { TEMPLATE: T('train_env') }, arguments: [T('train_arg')], hyperparameters: { ...llm.pipeline!.train.hyperparameters, prompt: T('hyperparameter') } },
        evaluate: { ...llm.pipeline!.evaluate, environment: { REPORT: T('evaluate_env') } },
      },
    },
    {
      ...churn,
      pipeline: { ...churn.pipeline!, train: { ...churn.pipeline!.train, command: ['sh', '-c', T('train_command')] } },
    },
    router,
  ],
};

/** Terraform's reading of a JSON string: `$${` and `%%{` are the literal `${` and `%{`. */
const literal = (s: string) => s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : []);

describe('Terraform literals on Kubernetes: user text with ${ and %{', () => {
  let jsons: string[];
  beforeAll(() => {
    const stack = new KubernetesPlatformStack(Testing.app(), spec.name, { spec });
    jsons = [Testing.synth(stack), Testing.synth(stack.crdStack!)];
  });

  it('writes no template sequence but cdktf references, in the whole output of both stacks', () => {
    const templates = jsons.flatMap((json) => [...json.matchAll(/(?<!\$)\$\{([^}]*)\}/g)].map((m) => m[1]));
    expect(templates.length).toBeGreaterThan(10);
    for (const t of templates) expect(t).toMatch(/^(kubernetes_[a-z0-9_]+|data\.[a-z0-9_]+)\.[\w-]+\./);
    for (const json of jsons) expect(json).not.toMatch(/(?<!%)%\{/);
  });

  it.each(['endpoint_env', 'pipeline', 'preprocess_env', 'preprocess_arg', 'train_env', 'train_arg', 'hyperparameter', 'evaluate_env', 'train_command'])(
    'gives the program the text of %s exactly as the spec wrote it',
    (field) => {
      const values = jsons.flatMap((json) => strings(JSON.parse(json)).map(literal));
      // Directly, or inside a manifest Argo reads (the TrainJob JSON) or a mounted config file.
      expect(values.some((v) => v === T(field) || v.includes(JSON.stringify(T(field))))).toBe(true);
    },
  );
});
