/**
 * The SageMaker client `mlops` operates with: the standard credential chain (or a named profile),
 * a region, and one retry policy for throttling and transient errors.
 *
 * Retries live in {@link RetryingSageMakerClient.send}, not in the SDK's middleware (whose attempts
 * are set to 1), so that attempts do not multiply and the policy is the same whichever way a call is
 * made (a command or a paginator): exponential backoff with full jitter, `maxAttempts` in all.
 */
import { SageMakerClient, SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
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

export class RetryingSageMakerClient extends SageMakerClient {
  public readonly maxAttemptsPerCall: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onRetry?: RetryPolicy['onRetry'];

  constructor(config: SageMakerClientConfig, policy: RetryPolicy = {}) {
    super({ ...config, maxAttempts: 1 });
    this.maxAttemptsPerCall = Math.max(1, policy.maxAttempts ?? 6);
    this.baseDelayMs = policy.baseDelayMs ?? 250;
    this.sleep = policy.sleep ?? realSleep;
    this.onRetry = policy.onRetry;
    this.installRetries();
  }

  /** Sends with the retry policy; replaces the SDK's send() on this instance (every overload forwards to it). */
  private installRetries(): void {
    // Looked up at call time, so anything that wraps the SDK's send (a test double, a tracer) is honoured.
    const send = (...args: unknown[]) => (SageMakerClient.prototype.send as (...a: unknown[]) => Promise<unknown> | void).apply(this, args);
    const retrying = (...args: unknown[]): Promise<unknown> | void => {
      if (typeof args[1] === 'function' || typeof args[2] === 'function') return send(...args);
      const attempt = async (n: number): Promise<unknown> => {
        try {
          return await send(...args);
        } catch (e) {
          if (n >= this.maxAttemptsPerCall || !isRetryable(e)) {
            if (e && typeof e === 'object') Object.assign(e, { $attempts: n });
            throw e;
          }
          const delay = Math.random() * Math.min(20_000, this.baseDelayMs * 2 ** (n - 1));
          this.onRetry?.(n, e, delay);
          await this.sleep(delay);
          return attempt(n + 1);
        }
      };
      return attempt(1);
    };
    this.send = retrying as SageMakerClient['send'];
  }
}

/** A client over the standard credential chain (or `profile`), in `region`. */
export function createSageMakerClient(options: OpsClientOptions = {}): RetryingSageMakerClient {
  return new RetryingSageMakerClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  }, options);
}
