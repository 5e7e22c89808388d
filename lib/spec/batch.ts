/**
 * Batch transform spec: score a dataset in S3 with the model, on a schedule or when new data lands,
 * without an endpoint. Limits are SageMaker's CreateTransformJob rules (API reference):
 * MaxPayloadInMB 0-100 (0: HTTP chunked encoding) and, with MaxConcurrentTransforms,
 * MaxConcurrentTransforms × MaxPayloadInMB ≤ 100; at most 16 environment variables;
 * ModelClientConfig's InvocationsTimeoutInSeconds 1-3600 and InvocationsMaxRetries 0-3.
 */
import { z } from 'zod';
import { renderValue } from '../errors';
import { computeSchema } from './compute';
import { imageReference } from './kubernetes';
import { recurringSchedule } from './pipeline';
import { addIssue, int, isUnresolved, s3Uri, tokenOr } from './primitives';

/** SageMaker's ceiling on MaxPayloadInMB, and on MaxConcurrentTransforms × MaxPayloadInMB. */
export const TRANSFORM_MAX_PAYLOAD_MB = 100;
/** CreateTransformJob takes at most this many environment variables. */
export const TRANSFORM_MAX_ENVIRONMENT = 16;
/** What a batch run is expected to take when the spec does not say, for the cost estimate. @default 60 */
export const DEFAULT_BATCH_RUN_MINUTES = 60;
/** The tag of a transform job saying how long a run is expected to take: what `mlops cost` prices a run at. */
export const EXPECTED_RUN_MINUTES_TAG = 'cdk-mlops:expected-run-minutes';
/** Content types SageMaker Model Monitor's analyzer reads (dataset_format csv or json lines). */
export const QUALITY_CHECK_CONTENT_TYPES = ['text/csv', 'application/jsonlines'] as const;

const input = z.strictObject({
  s3Uri: s3Uri().meta({ description: 'S3 prefix of the data to score: every object under it is read (S3Prefix).' }),
  contentType: z.string().min(1).max(256).default('text/csv').meta({ description: "MIME type of the input, sent to the model with each request. @default 'text/csv'" }),
  splitType: z.enum(['None', 'Line', 'RecordIO', 'TFRecord']).default('Line').meta({ description: "How input objects are split into records: 'None' sends each object whole (it must fit maxPayloadInMB). @default 'Line'" }),
  compressionType: z.enum(['None', 'Gzip']).default('None').meta({ description: "Compression of the input objects. @default 'None'" }),
});

const output = z.strictObject({
  s3Uri: s3Uri().meta({ description: 'S3 prefix the results are written under (one <input object>.out per input object, encrypted with the platform key).' }),
  assembleWith: z.enum(['None', 'Line']).default('Line').meta({ description: "How results of one object are assembled: 'Line' adds a newline after each record, 'None' concatenates bytes. @default 'Line'" }),
  accept: z.string().min(1).max(256).optional().meta({ description: "MIME type of the results the model is asked for (Accept). @default - the model's default" }),
});

const dataProcessing = z.strictObject({
  inputFilter: z.string().min(0).max(63).optional().meta({ description: "JSONPath selecting what of each record the model gets, e.g. '$[1:]' (drops an id column). @default '$' (the whole record)" }),
  outputFilter: z.string().min(0).max(63).optional().meta({ description: "JSONPath selecting what of the (joined) result is written, e.g. \"$['id','SageMakerOutput']\". @default '$'" }),
  joinSource: z.enum(['None', 'Input']).default('None').meta({ description: "'Input' joins each input record with its result (CSV rows are appended to, JSON gets SageMakerOutput). @default 'None'" }),
});

const batchKubernetes = z.strictObject({
  image: imageReference().optional().meta({ description: "The image that scores on Kubernetes, following the batch container contract (BATCH_INPUT_DIR → BATCH_OUTPUT_DIR, see constructs/kubernetes/batch-transform.ts). @default - the endpoint's kubernetes.image" }),
  command: z.array(z.string().min(1)).min(1).optional().meta({ description: "Entrypoint that runs the contract, e.g. ['python3', '-m', 'score_batch']. @default - the image's entrypoint" }),
  args: z.array(z.string()).default([]).meta({ description: 'Arguments of command. @default - none' }),
}).meta({ description: 'How the batch runs on Kubernetes (an Argo CronWorkflow): the image and its command. Ignored on AWS.' });

export const batchSpecSchema = z.strictObject({
  input: input.meta({ description: 'The data to score.' }),
  output: output.meta({ description: 'Where the results go.' }),
  schedule: recurringSchedule().optional().meta({ description: "Run on a schedule: 'rate(1 day)' or 'cron(0 2 * * ? *)' (UTC). @default - no schedule (onNewData, or both)" }),
  onNewData: z.boolean().default(false).meta({ description: "Run when an object is created under input.s3Uri (EventBridge 'Object Created': the input bucket must send events to EventBridge). AWS only. @default false" }),
  compute: computeSchema('inference', { allowServerless: false }).meta({ description: "Instances of the transform job: { instanceType } or an accelerator/memoryGiB/vCpus intent." }),
  instanceCount: int(1, 100).default(1).meta({ description: 'Instances the input objects are spread over. @default 1' }),
  maxConcurrentTransforms: int(0, TRANSFORM_MAX_PAYLOAD_MB).optional().meta({ description: "Parallel requests to each instance; 0 lets SageMaker choose (the container's execution-parameters). @default - SageMaker's (1)" }),
  maxPayloadInMB: int(0, TRANSFORM_MAX_PAYLOAD_MB).default(6).meta({ description: 'Largest request in MB (≥ one record): 0-100, 0 for HTTP chunked encoding (not supported by SageMaker built-in algorithms). @default 6' }),
  batchStrategy: z.enum(['MultiRecord', 'SingleRecord']).default('MultiRecord').meta({ description: "'MultiRecord' packs as many records as fit maxPayloadInMB into a request; 'SingleRecord' sends one. @default 'MultiRecord'" }),
  dataProcessing: dataProcessing.optional().meta({ description: 'Input and output filters, and joining the input with the results. @default - the whole record in, the result alone out' }),
  environment: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,1023}$/, { error: 'an environment variable name' }), tokenOr(z.string().max(10240))).default({}).meta({ description: 'Environment of the model container in the transform job (at most 16). @default - none' }),
  invocationTimeoutSeconds: int(1, 3600).default(600).meta({ description: 'Timeout of one request to the container (ModelClientConfig). @default 600' }),
  invocationMaxRetries: int(0, 3).default(3).meta({ description: 'Retries of a failed request (ModelClientConfig). @default 3' }),
  expectedRunMinutes: int(1, 7 * 24 * 60).default(DEFAULT_BATCH_RUN_MINUTES).meta({ description: 'How long a run is expected to take; written on the job (tag cdk-mlops:expected-run-minutes) and used by `mlops cost`. @default 60' }),
  qualityCheck: z.boolean().default(false).meta({ description: "After scoring, check the input's data quality against the baseline the model's pipeline computes (needs pipeline.dataQualityBaseline): a violation fails the run and notifies. AWS only. @default false" }),
  networkIsolation: z.boolean().default(true).meta({ description: 'No outbound network from the model container. Required at the strict governance level. @default true' }),
  failureNotifications: z.boolean().default(true).meta({ description: 'Notify failed or stopped runs to the alarm topic, and alarm on failed runs. AWS only. @default true' }),
  kubernetes: batchKubernetes.optional().meta({ description: "Kubernetes-only settings: the scoring image and command. @default - the endpoint's kubernetes.image, its entrypoint" }),
}).superRefine((b, ctx) => {
  if (b.schedule === undefined && !b.onNewData) {
    addIssue(ctx, ['schedule'], 'is required when onNewData is off: nothing would start the batch', { got: 'nothing', expected: "a schedule such as 'rate(1 day)', or onNewData: true" });
  }
  const concurrent = b.maxConcurrentTransforms;
  if (concurrent !== undefined && !isUnresolved(concurrent) && !isUnresolved(b.maxPayloadInMB) && concurrent * b.maxPayloadInMB > TRANSFORM_MAX_PAYLOAD_MB) {
    addIssue(ctx, ['maxConcurrentTransforms'], `times maxPayloadInMB exceeds SageMaker's ${TRANSFORM_MAX_PAYLOAD_MB} MB`, { got: `${concurrent} × ${b.maxPayloadInMB} MB = ${concurrent * b.maxPayloadInMB} MB`, expected: `at most ${Math.floor(TRANSFORM_MAX_PAYLOAD_MB / Math.max(b.maxPayloadInMB, 1))} concurrent transforms of ${b.maxPayloadInMB} MB` });
  }
  const vars = Object.keys(b.environment).length;
  if (vars > TRANSFORM_MAX_ENVIRONMENT) addIssue(ctx, ['environment'], 'has more variables than a transform job takes', { got: `${vars} variables`, expected: `at most ${TRANSFORM_MAX_ENVIRONMENT}` });
  const inUri = b.input.s3Uri;
  const outUri = b.output.s3Uri;
  if (!isUnresolved(inUri) && !isUnresolved(outUri) && withSlash(outUri).startsWith(inUri)) {
    addIssue(ctx, ['output', 's3Uri'], 'writes under input.s3Uri (an S3 key prefix): the next run would score its own results (and, with onNewData, every result would start another run)', { got: renderValue(outUri), expected: `a prefix outside ${inUri}` });
  }
  if (b.qualityCheck && !(QUALITY_CHECK_CONTENT_TYPES as readonly string[]).includes(b.input.contentType)) {
    addIssue(ctx, ['qualityCheck'], "needs an input format Model Monitor's analyzer reads", { got: renderValue(b.input.contentType), expected: `input.contentType ${QUALITY_CHECK_CONTENT_TYPES.map((t) => `'${t}'`).join(' or ')}` });
  }
});

/** Results are written as `<output>/<object>.out`, inputs are every key starting with the input prefix. */
function withSlash(uri: string): string {
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { BatchSpecInput } from './types.generated';
export type { BatchSpecInput };
export type BatchSpec = z.output<typeof batchSpecSchema>;
