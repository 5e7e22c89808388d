/**
 * What goes wrong talking to SageMaker, as one line a person can act on. Exit codes follow the
 * `mlops` convention: 2 for bad input or environment (an unknown name, no credentials, no region),
 * 1 for a failed operation (access denied, throttled past every retry, a refused rollback).
 */
export type OpsExitCode = 1 | 2;

export class OpsError extends Error {
  constructor(message: string, public readonly exitCode: OpsExitCode) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'OpsError';
  }
}

export function isOpsError(e: unknown): e is OpsError {
  return e instanceof Error && e.name === 'OpsError' && typeof (e as OpsError).exitCode === 'number';
}

interface ServiceErrorLike {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
  code?: string;
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'SlowDown', 'ProvisionedThroughputExceededException', 'LimitExceededException']);
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalFailure', 'InternalServerError', 'ServiceUnavailable']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

export function isThrottling(e: unknown): boolean {
  const err = e as ServiceErrorLike;
  return THROTTLING.has(err?.name ?? '') || err?.$metadata?.httpStatusCode === 429 || err?.$retryable?.throttling === true;
}

/** Worth another attempt: throttling, a 5xx, a timeout or a dropped connection. */
export function isRetryable(e: unknown): boolean {
  const err = e as ServiceErrorLike;
  const status = err?.$metadata?.httpStatusCode ?? 0;
  return isThrottling(e) || TRANSIENT.has(err?.name ?? '') || NETWORK.has(err?.code ?? '') || status >= 500;
}

/** What a call was doing, to name it in the message. */
export interface CallContext {
  /** The API action, e.g. `DescribeEndpoint`. */
  readonly action: string;
  /** The IAM service prefix of the action. @default 'sagemaker' */
  readonly service?: 'sagemaker' | 'states';
  /** What it was about, e.g. `endpoint 'churn'`. */
  readonly subject?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly attempts?: number;
}

/** One readable {@link OpsError} for an SDK error; never a stack trace. */
export function explain(e: unknown, ctx: CallContext): OpsError {
  if (isOpsError(e)) return e;
  const err = (e ?? {}) as ServiceErrorLike;
  const name = err.name ?? '';
  const message = (err.message ?? String(e)).split('\n')[0];
  const about = ctx.subject ? ` on ${ctx.subject}` : '';
  const api = `${ctx.service ?? 'sagemaker'}:${ctx.action}`;
  const who = ctx.profile ? `profile '${ctx.profile}'` : 'the credentials in use';
  if (name === 'CredentialsProviderError' || /Could not load credentials|Could not resolve credentials/i.test(message)) {
    if (ctx.profile) return new OpsError(`no AWS credentials for profile '${ctx.profile}': it is not in ~/.aws/config or ~/.aws/credentials, or its login has expired (${message})`, 2);
    return new OpsError('no AWS credentials found: pass --profile, set AWS_PROFILE, or configure the default credential chain (environment, ~/.aws, SSO, instance role)', 2);
  }
  if (/Region is missing/i.test(message) || name === 'RegionMissingError') {
    return new OpsError('no AWS region: pass --region, set AWS_REGION, or set a region in the profile', 2);
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation' || err.$metadata?.httpStatusCode === 403) {
    return new OpsError(`access denied: ${api}${about} was refused for ${who}; it needs an IAM policy allowing '${api}'${ctx.region ? ` in ${ctx.region}` : ''}`, 1);
  }
  if (name === 'ResourceNotFound' || name === 'ResourceNotFoundException' || name === 'StateMachineDoesNotExist' || (name === 'ValidationException' && /(does not exist|could not find|cannot find|not found)/i.test(message))) {
    return new OpsError(`${ctx.subject ?? 'the resource'} does not exist${ctx.region ? ` in ${ctx.region}` : ''} (${api}: ${message})`, 2);
  }
  if (isThrottling(e)) {
    return new OpsError(`throttled: ${api}${about} was still throttled after ${ctx.attempts ?? 1} attempts; try again later or raise the account's request quota`, 1);
  }
  if (name === 'ValidationException') return new OpsError(`${api}${about} was rejected: ${message}`, 2);
  return new OpsError(`${api}${about} failed: ${name ? `${name}: ` : ''}${message}`, 1);
}
