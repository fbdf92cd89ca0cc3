/**
 * The layers every cloud driver comes wrapped in, outside in: parallel ranged reads of big objects,
 * retry, timeout (so that every attempt is timed).
 */
import { ArtifactError } from "../errors.js";
import type { StorageDriver } from "../storage/driver.js";
import { DEFAULT_READ_CHUNK_SIZE, withParallelRead } from "../storage/layers/parallel-read.js";
import { DEFAULT_RETRIES, withRetry } from "../storage/layers/retry.js";
import { type RetryListener, validateRetryListener } from "../storage/layers/retry-event.js";
import { DEFAULT_OPERATION_TIMEOUT_MS, withTimeout } from "../storage/layers/timeout.js";

/** Storage options the layers consume (never passed to an SDK). */
export const LAYER_OPTION_KEYS = ["retries", "timeoutMs", "readChunkSize", "readConcurrency", "onRetry"];

/** Options of the layers, shared by every cloud driver's `storageOptions`. */
export interface CloudLayerOptions {
  /** Extra attempts of a retryable failure (network error, 5xx, 429, timeout). @default 3 */
  retries?: number;
  /**
   * Time limit in ms of one metadata call, small write or read opening, and the longest a download may
   * receive nothing before it is reopened at the next byte; 0 disables both. @default 60000
   */
  timeoutMs?: number;
  /** Bytes per ranged request when a big object is downloaded in parallel. @default 16 MiB */
  readChunkSize?: number;
  /** Ranged requests in flight per downloaded object; 1 = one plain GET. @default 1 */
  readConcurrency?: number;
  /** Told of every retry before its wait (attempt, most retries, delay, reason). @default none */
  onRetry?: RetryListener;
}

/** Wraps a cloud driver in the timeout and retry layers configured by `storageOptions`. */
export function withCloudLayers(
  driver: StorageDriver,
  storageOptions: Record<string, unknown>,
): StorageDriver {
  const retries = nonNegative(storageOptions, "retries", DEFAULT_RETRIES);
  const timeoutMs = nonNegative(storageOptions, "timeoutMs", DEFAULT_OPERATION_TIMEOUT_MS);
  const chunkSize = nonNegative(storageOptions, "readChunkSize", DEFAULT_READ_CHUNK_SIZE);
  // One plain GET by default: on the benchmark machine parallel ranges were slower (bench/README.md).
  const concurrency = nonNegative(storageOptions, "readConcurrency", 1);
  const onRetry = validateRetryListener(storageOptions.onRetry, "storageOptions.onRetry");
  const retried = withRetry(withTimeout(driver, { timeoutMs }), {
    retries,
    idleTimeoutMs: timeoutMs,
    onRetry,
  });
  return withParallelRead(retried, { chunkSize: Math.max(chunkSize, 1), concurrency });
}

function nonNegative(options: Record<string, unknown>, name: string, fallback: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`${name}\` storage option to be a non-negative integer, got \`${String(value)}\``,
    );
  }
  return value;
}
