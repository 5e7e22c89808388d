/**
 * The SageMaker client `mlops` operates with: the standard credential chain (or a named profile),
 * a region, and one retry policy for throttling and transient errors.
 *
 * Retries live in the clients' send() (see createRetryingClient), not in the SDK's middleware (whose attempts
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

/** An AWS SDK client whose send() follows the retry policy (its own middleware makes one attempt). */
export type RetryingClient<T> = T & {
  /** Attempts in all per call, the first included. */
  readonly maxAttemptsPerCall: number;
};

/** A `Client` over the standard credential chain (or `options.profile`), in `options.region`, with the retry policy. */
function createRetryingClient<C extends object, T extends { send: unknown }>(Client: (new (config: C) => T) & { prototype: { send: unknown } }, options: OpsClientOptions): RetryingClient<T> {
  const client = new Client({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: 1,
  } as C);
  const policy = resolvePolicy(options);
  client.send = retryingSend(Client, client, policy);
  return Object.assign(client, { maxAttemptsPerCall: policy.maxAttemptsPerCall });
}

/** The SageMaker client `mlops` operates with. */
export function createSageMakerClient(options: OpsClientOptions = {}): RetryingClient<SageMakerClient> {
  return createRetryingClient<SageMakerClientConfig, SageMakerClient>(SageMakerClient, options);
}

/** The Step Functions client `mlops rollback` starts a delivery execution with (in the state machine's region): the same credentials and retry policy. */
export function createSfnClient(options: OpsClientOptions = {}): RetryingClient<SFNClient> {
  return createRetryingClient<SFNClientConfig, SFNClient>(SFNClient, options);
}
