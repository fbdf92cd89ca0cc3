/**
 * Retries as the W&B SDK does them (PROTOCOL.md section 5.2): connection errors, 429 and 5xx (not 501)
 * are retried with exponential backoff and jitter, a `Retry-After` header wins; other 4xx never are.
 */
import { ArtifactError, isArtifactError } from "../../errors.js";
import { announceRetry, type RetryListener } from "../../storage/layers/retry-event.js";

/** How failed requests are retried. */
export interface WandbRetryOptions {
  /** Retries after the first attempt. @default 20 (as wandb-core) */
  retries?: number;
  /** First backoff delay in ms; doubles per attempt. @default 2000 */
  minDelayMs?: number;
  /** Longest backoff delay in ms. @default 60000 */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured, in ms (longer waits are capped). @default 300000 */
  maxRetryAfterMs?: number;
  /** Told of every retry before its wait (attempt, most retries, delay, reason). @default none */
  onRetry?: RetryListener | undefined;
}

/** The numbers of a retry policy. */
type RetryPolicy = Required<Omit<WandbRetryOptions, "onRetry">>;

/** Default retry policy, the SDK's. */
export const DEFAULT_RETRY: RetryPolicy = {
  retries: 20,
  minDelayMs: 2000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 300_000,
};

/**
 * Whether an HTTP status is worth retrying (wandb-core `RetryMostFailures`): 408 Request Timeout,
 * 425 Too Early, 429, 5xx but 501; 409 only where the SDK retries it.
 */
export function isRetryableStatus(status: number, options: { retry409?: boolean } = {}): boolean {
  if (status === 409) return options.retry409 === true;
  if (status === 408 || status === 425 || status === 429) return true;
  if (status === 501) return false;
  if (status >= 500 || status === 0) return true;
  return false;
}

/** Parses `Retry-After` (seconds or an HTTP date) to milliseconds; undefined when absent or bad. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Runs `attempt` until it succeeds, a non-retryable error occurs, or the retries are used up. */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  options: WandbRetryOptions & { signal?: AbortSignal | undefined } = {},
): Promise<T> {
  const { onRetry, signal: _signal, ...numbers } = options;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...withoutUndefined(numbers) };
  for (let n = 0; ; n++) {
    options.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!isArtifactError(error) || !error.retryable || n >= policy.retries) throw error;
      const delayMs = delayFor(error, n, policy);
      announceRetry(onRetry, error, { attempt: n + 1, max: policy.retries, delayMs });
      await sleep(delayMs, options.signal);
    }
  }
}

function delayFor(error: ArtifactError, n: number, policy: RetryPolicy): number {
  const retryAfter = error.context.retryAfterMs;
  if (typeof retryAfter === "number") return Math.min(retryAfter, policy.maxRetryAfterMs);
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** n);
  return Math.min(policy.maxDelayMs, base * (1 + Math.random() * 0.25));
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Waits `ms`, rejecting with `signal.reason` when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The `ArtifactError` for an HTTP failure status (retryable per {@link isRetryableStatus}). */
export function errorForStatus(
  status: number,
  message: string,
  context: Record<string, unknown> & { retry409?: boolean },
): ArtifactError {
  const { retry409, ...rest } = context;
  const code =
    status === 401
      ? "UNAUTHENTICATED"
      : status === 403
        ? "PERMISSION_DENIED"
        : status === 404
          ? "NOT_FOUND"
          : status === 409
            ? "CONFLICT"
            : status === 429
              ? "RATE_LIMITED"
              : status === 408
                ? "TIMEOUT"
                : status >= 500 || status === 425
                  ? "UNAVAILABLE"
                  : status === 400 || status === 413 || status === 422
                    ? "INVALID_ARGUMENT"
                    : "UNEXPECTED";
  return new ArtifactError(code, message, {
    retryable: isRetryableStatus(status, retry409 === undefined ? {} : { retry409 }),
    context: { backend: "wandb", status, ...rest },
  });
}
