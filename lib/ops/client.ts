/**
 * The SageMaker client `mlops` operates with: the standard credential chain (or a named profile),
 * a region, and one retry policy for throttling and transient errors.
 *
 * Retries live in {@link RetryingSageMakerClient.send}, not in the SDK's middleware (whose attempts
 * are set to 1), so that attempts do not multiply and the policy is the same whichever way a call is
 * made (a command or a paginator): exponential backoff with full jitter, `maxAttempts` in all.
 */
import { SageMakerClient, SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { SFNClient, SFNClientConfig } from '@aws-sdk/client-sfn';
import { isRetryable } from './errors';

export interface RetryPolicy {
  /** Attempts in all, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** The first backoff's ceiling; doubles each attempt, up to 20 s. @default 250 */
  readonly baseDelayMs?: number;
  /** How to wait (tests pass one that returns at once). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told of each retry. */
  readonly onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

export interface OpsClientOptions extends RetryPolicy {
  /** @default - the SDK's resolution: AWS_REGION, then the profile's region */
  readonly region?: string;
  /** A named profile from ~/.aws/config and ~/.aws/credentials. @default - the default credential chain */
  readonly profile?: string;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface ResolvedRetryPolicy {
  readonly maxAttemptsPerCall: number;
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onRetry?: RetryPolicy['onRetry'];
}

function resolvePolicy(policy: RetryPolicy): ResolvedRetryPolicy {
  return { maxAttemptsPerCall: Math.max(1, policy.maxAttempts ?? 6), baseDelayMs: policy.baseDelayMs ?? 250, sleep: policy.sleep ?? realSleep, onRetry: policy.onRetry };
}

type Send = (...args: unknown[]) => Promise<unknown> | void;

/**
 * A send() with the retry policy, for a client whose class is `base`: replaces the SDK's send() on
 * the instance (every overload forwards to it). The base send is looked up at call time, so anything
 * that wraps the SDK's send (a test double, a tracer) is honoured.
 */
function retryingSend(base: { prototype: { send: unknown } }, self: object, policy: ResolvedRetryPolicy): Send {
  const send = (...args: unknown[]) => (base.prototype.send as Send).apply(self, args);
  return (...args: unknown[]): Promise<unknown> | void => {
    if (typeof args[1] === 'function' || typeof args[2] === 'function') return send(...args);
    const attempt = async (n: number): Promise<unknown> => {
      try {
        return await send(...args);
      } catch (e) {
        if (n >= policy.maxAttemptsPerCall || !isRetryable(e)) {
          if (e && typeof e === 'object') Object.assign(e, { $attempts: n });
          throw e;
        }
        const delay = Math.random() * Math.min(20_000, policy.baseDelayMs * 2 ** (n - 1));
        policy.onRetry?.(n, e, delay);
        await policy.sleep(delay);
        return attempt(n + 1);
      }
    };
    return attempt(1);
  };
}

export class RetryingSageMakerClient extends SageMakerClient {
  public readonly maxAttemptsPerCall: number;

  constructor(config: SageMakerClientConfig, policy: RetryPolicy = {}) {
    super({ ...config, maxAttempts: 1 });
    const resolved = resolvePolicy(policy);
    this.maxAttemptsPerCall = resolved.maxAttemptsPerCall;
    this.send = retryingSend(SageMakerClient, this, resolved) as SageMakerClient['send'];
  }
}

/** The Step Functions client `mlops rollback` starts a delivery execution with: the same retry policy. */
export class RetryingSfnClient extends SFNClient {
  public readonly maxAttemptsPerCall: number;

  constructor(config: SFNClientConfig, policy: RetryPolicy = {}) {
    super({ ...config, maxAttempts: 1 });
    const resolved = resolvePolicy(policy);
    this.maxAttemptsPerCall = resolved.maxAttemptsPerCall;
    this.send = retryingSend(SFNClient, this, resolved) as SFNClient['send'];
  }
}

/** A client over the standard credential chain (or `profile`), in `region`. */
export function createSageMakerClient(options: OpsClientOptions = {}): RetryingSageMakerClient {
  return new RetryingSageMakerClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  }, options);
}

/** A Step Functions client over the same credentials (or `profile`), in `region` (the state machine's). */
export function createSfnClient(options: OpsClientOptions = {}): RetryingSfnClient {
  return new RetryingSfnClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  }, options);
}
