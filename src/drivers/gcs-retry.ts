/**
 * The GCS SDK's own retries, made visible or turned off. The SDK retried inside every call, silently:
 * retry-request retries a network error 3 times (waits of about 1, 2 and 4 s, seen by no hook), then
 * the store's retry layer tried the call again, 4 times: an unreachable `gs://` store took 66 s to fail
 * without a word. So:
 * - The driver's client makes no retry of its own (`autoRetry: false`): metadata calls, listings,
 *   deletes, copies, reads and small writes are retried by the store's retry layer, which announces each
 *   retry to `onRetry`, resumes reads at the next byte and recognises its own create-only writes.
 * - A resumable upload (a streamed write) keeps the SDK's retries of its session and chunks, which the
 *   retry layer cannot replay (the body is a stream): it gets a client of its own whose
 *   `retryableErrorFn`, the SDK's own rule, tells `onRetry` of each retry it allows (at most
 *   `maxRetries`; the wait given is the SDK's base wait, its jitter adds up to 1 s).
 * `retryOptions` of the caller's keep the SDK's retries everywhere, as configured, and unannounced.
 * https://github.com/googleapis/nodejs-storage/blob/main/src/nodejs-common/util.ts (makeRequest)
 */
import type { StorageOptions } from "@google-cloud/storage";
import { announceRetry, type RetryListener } from "../storage/layers/retry-event.js";

type RetryOptions = NonNullable<StorageOptions["retryOptions"]>;

/** Retries the SDK makes of one upload step (its default `maxRetries`). */
export const GCS_SDK_RETRIES = 3;

/** The SDK's retry rule (`RETRYABLE_ERR_FN_DEFAULT`): whether an error may be retried. */
export type GcsRetryRule = NonNullable<RetryOptions["retryableErrorFn"]>;

/** `retryOptions` of the driver's client: none of the SDK's, the retry layer's instead. */
export const NO_SDK_RETRIES: RetryOptions = { autoRetry: false };

/**
 * `retryOptions` of one resumable upload's client: the SDK's rule and waits, at most `retries` retries
 * (up to the SDK's 3; `retries: 0`, the CLI's `--retries 0`, makes none), each announced to `onRetry`.
 */
export function uploadRetryOptions(
  rule: GcsRetryRule,
  onRetry: RetryListener | undefined,
  retries: unknown,
): RetryOptions {
  const max =
    typeof retries === "number" && Number.isInteger(retries) && retries >= 0
      ? Math.min(GCS_SDK_RETRIES, retries)
      : GCS_SDK_RETRIES;
  if (max === 0) return { autoRetry: false };
  let announced = 0;
  return {
    autoRetry: true,
    maxRetries: max,
    retryableErrorFn: (error: Parameters<GcsRetryRule>[0]) => {
      const retry = rule(error);
      // The rule is also asked once more after the last retry failed: no retry follows that one.
      if (retry && onRetry !== undefined && announced < max) {
        announced++;
        const reason = Object.assign(new Error(describe(error)), { context: { backend: "gcs" } });
        announceRetry(onRetry, reason, { attempt: announced, max, delayMs: 1000 * 2 ** (announced - 1) });
      }
      return retry;
    },
  };
}

/** `"HTTP 503 Service Unavailable"`, or a network error's code and message. */
function describe(error: { code?: unknown; message?: string }): string {
  const message = error.message || "request failed";
  if (typeof error.code === "number") return `HTTP ${error.code} ${message}`;
  if (typeof error.code === "string" && !message.includes(error.code)) return `${error.code}: ${message}`;
  return message;
}
