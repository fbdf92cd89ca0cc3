/**
 * The S3 SDK's own retries, made visible: a retry strategy with the SDK's rules (transient, throttling
 * and server errors; 3 attempts; jittered backoff from 100 ms, 500 ms when throttled, at most 20 s; a
 * `Retry-After` hint wins) that tells `onRetry` of each retry before its wait. Without it a busy server
 * was retried twice inside the SDK, silently, under each retry of the store's retry layer.
 * Interface: https://github.com/smithy-lang/smithy-typescript/blob/main/packages/types/src/retry.ts
 */
import { announceRetry, type RetryListener } from "../storage/layers/retry-event.js";

/** Retries the SDK makes of one request (its default `maxAttempts` is 3). */
export const S3_SDK_RETRIES = 2;
const BASE_DELAY_MS = 100;
const THROTTLING_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

interface ErrorInfo {
  error?: { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  errorType: "TRANSIENT" | "THROTTLING" | "SERVER_ERROR" | "CLIENT_ERROR";
  retryAfterHint?: Date;
}

/** A `retryStrategy` for `S3Client` that announces every retry to `onRetry`. */
export function announcingRetryStrategy(onRetry: RetryListener, retries = S3_SDK_RETRIES) {
  const token = (count: number, delay: number): Token => ({
    getRetryCount: () => count,
    getRetryDelay: () => delay,
  });
  return {
    mode: "standard",
    acquireInitialRetryToken: async (_scope: string) => token(0, 0),
    refreshRetryTokenForRetry: async (previous: Token, info: ErrorInfo): Promise<Token> => {
      const count = previous.getRetryCount();
      if (info.errorType === "CLIENT_ERROR" || count >= retries) throw info.error ?? new Error("no retry");
      const base = info.errorType === "THROTTLING" ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
      let delay = Math.floor(Math.random() * Math.min(MAX_DELAY_MS, base * 2 ** count));
      if (info.retryAfterHint instanceof Date) {
        delay = Math.max(delay, Math.min(info.retryAfterHint.getTime() - Date.now(), delay + 5000));
      }
      const reason = describe(info.error);
      announceRetry(onRetry, new Error(reason), { attempt: count + 1, max: retries, delayMs: delay });
      return token(count + 1, delay);
    },
    recordSuccess: (_token: Token) => {},
  };
}

/** `"HTTP 503 ServiceUnavailable: Please reduce your request rate."`, or a network error's message. */
function describe(error: ErrorInfo["error"]): string {
  const status = error?.$metadata?.httpStatusCode;
  const what = [error?.name, error?.message].filter(Boolean).join(": ") || "request failed";
  return status === undefined ? what : `HTTP ${status} ${what}`;
}
