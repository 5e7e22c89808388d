import { AnnotationMetadataEntryType, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { BATCH_CONTRACT, BatchTransform, BatchTransformProps } from '../../../constructs/kubernetes';
import { BatchSpecInput } from '../../../lib/spec';
import { argoErrors } from './argo';
import { expectValidationError, Json, manifests, only, Synth } from './helpers';
import { argoPods, violations } from './pod-security';

const IMAGE = 'ghcr.io/acme/churn-batch:1.4.0';
const WARN: string = AnnotationMetadataEntryType.WARN;
const SPEC: BatchSpecInput = {
  input: { s3Uri: 's3://scoring-data/incoming/' },
  output: { s3Uri: 's3://scoring-results/churn/' },
  schedule: 'cron(0 2 * * ? *)',
  compute: { instanceType: 'ml.m5.xlarge' },
  dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input' },
  environment: { MODEL_THRESHOLD: '0.5' },
  kubernetes: { command: ['python3', '-m', 'score_batch'] },
};

function render(spec: BatchSpecInput, extra: Partial<BatchTransformProps> = {}) {
  const app = Testing.app();
  const typed = new TerraformStack(app, 'typed');
  const crds = new TerraformStack(app, 'crds');
  const batch = new BatchTransform(typed, 'Batch', { ...spec, namespace: 'ml', name: 'churn', partOf: 'p', crdScope: { scope: new Construct(crds, 'churn'), namespace: 'ml' }, defaultImage: IMAGE, ...extra });
  const crdTf = JSON.parse(Testing.synth(crds)) as Synth;
  return { typed: JSON.parse(Testing.synth(typed)) as Synth, objects: manifests(crdTf), batch, stack: typed };
}

describe('BatchTransform (Kubernetes)', () => {
  let r: ReturnType<typeof render>;
  let cron: Json & { spec: Json; metadata: Json };
  let template: Json & { container: Json };
  beforeAll(() => {
    r = render(SPEC);
    cron = r.objects.find((o) => o.kind === 'CronWorkflow')!;
    template = ((cron.spec.workflowSpec as Json).templates as (Json & { container: Json })[])[0];
  });

  it("renders a CronWorkflow on the schedule that Argo's published schema accepts (unknown fields refused)", () => {
    expect(r.objects.map((o) => o.kind)).toEqual(['CronWorkflow']);
    expect(cron.metadata.name).toBe('churn-batch');
    expect(cron.spec).toMatchObject({ schedules: ['0 2 * * *'], timezone: 'UTC', concurrencyPolicy: 'Forbid' });
    expect(argoErrors([cron])).toEqual([null]);
    expect(argoErrors([{ ...cron, spec: { ...cron.spec, timeZone: 'UTC' } }])[0]).toMatch(/'timeZone'/);
  });

  it('downloads the input prefix and uploads the results under the run, with the pod identity', () => {
    expect(template.inputs).toEqual({ artifacts: [{ name: 'input', path: BATCH_CONTRACT.input, s3: { endpoint: 's3.amazonaws.com', bucket: 'scoring-data', key: 'incoming', useSDKCreds: true } }] });
    expect(template.outputs).toEqual({ artifacts: [{ name: 'results', path: BATCH_CONTRACT.output, s3: { endpoint: 's3.amazonaws.com', bucket: 'scoring-results', key: 'churn/{{workflow.name}}', useSDKCreds: true }, archive: { none: {} } }] });
  });

  it('runs the image with the contract environment and the spec settings', () => {
    expect(template.container).toMatchObject({ image: IMAGE, command: ['python3', '-m', 'score_batch'] });
    const env = Object.fromEntries((template.container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      BATCH_INPUT_DIR: '/opt/ml/input/data', BATCH_OUTPUT_DIR: '/opt/ml/output', BATCH_CONTENT_TYPE: 'text/csv', BATCH_SPLIT_TYPE: 'Line',
      BATCH_STRATEGY: 'MultiRecord', BATCH_MAX_PAYLOAD_MB: '6', BATCH_ASSEMBLE_WITH: 'Line', BATCH_INPUT_FILTER: '$[1:]', BATCH_JOIN_SOURCE: 'Input', MODEL_THRESHOLD: '0.5',
    });
  });

  it('runs every pod of a run, Argo\'s executor containers included, within Pod Security restricted', () => {
    const pods = argoPods({ metadata: cron.metadata, spec: cron.spec.workflowSpec as Json });
    expect(pods.map((p) => p.name)).toEqual(['Argo churn-batch/transform']);
    expect(pods.flatMap(violations)).toEqual([]);
  });

  it('lets the pods out on HTTPS only (S3 and the API server for the executor), and in from nowhere', () => {
    const policy = only(r.typed, 'kubernetes_network_policy_v1');
    const spec = policy.spec as Json;
    expect(spec.policy_types).toEqual(['Ingress', 'Egress']);
    expect(spec.ingress).toBeUndefined();
    expect(spec.egress).toEqual([{ to: [{ ip_block: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] }]);
  });

  it('warns about what Kubernetes does not render, with stable ids', () => {
    const { stack } = render({ ...SPEC, onNewData: true, qualityCheck: true, input: { s3Uri: 's3://scoring-data/incoming/' } });
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data)));
    expect(warnings.filter((w) => w.startsWith('[cdk-mlops:k8s-not-rendered-batch.')).map((w) => /^\[([^\]]+)\]/.exec(w)![1]).sort()).toEqual(['cdk-mlops:k8s-not-rendered-batch.onNewData', 'cdk-mlops:k8s-not-rendered-batch.qualityCheck']);
  });

  it('rejects a batch without a schedule, without an image, or on several pods', () => {
    expectValidationError(() => render({ ...SPEC, schedule: undefined, onNewData: true, instanceCount: 2 }, { defaultImage: undefined }), 'BatchTransform',
      { path: 'schedule', message: /is required on Kubernetes/ }, { path: 'kubernetes.image', message: /is required on Kubernetes/ }, { path: 'instanceCount', message: /must be 1 on Kubernetes/ });
  });

  it('rejects a schedule Kubernetes cron cannot express', () => {
    expectValidationError(() => render({ ...SPEC, schedule: 'rate(5 days)' }), 'BatchTransform', { path: 'schedule', message: /cannot express exactly on Kubernetes/ });
  });
});
