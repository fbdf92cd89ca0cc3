/** The layers every cloud driver comes wrapped in: retry (outside) around timeout (inside). */
import { ArtifactError } from "../errors.js";
import type { StorageDriver } from "../storage/driver.js";
import { DEFAULT_RETRIES, withRetry } from "../storage/layers/retry.js";
import { DEFAULT_OPERATION_TIMEOUT_MS, withTimeout } from "../storage/layers/timeout.js";

/** Storage options the layers consume (never passed to an SDK). */
export const LAYER_OPTION_KEYS = ["retries", "timeoutMs"];

/** Options of the layers, shared by every cloud driver's `storageOptions`. */
export interface CloudLayerOptions {
  /** Extra attempts of a retryable failure (network error, 5xx, 429, timeout). @default 3 */
  retries?: number;
  /** Time limit in ms of one metadata call or small write; 0 disables it. @default 60000 */
  timeoutMs?: number;
}

/** Wraps a cloud driver in the timeout and retry layers configured by `storageOptions`. */
export function withCloudLayers(
  driver: StorageDriver,
  storageOptions: Record<string, unknown>,
): StorageDriver {
  const retries = nonNegative(storageOptions, "retries", DEFAULT_RETRIES);
  const timeoutMs = nonNegative(storageOptions, "timeoutMs", DEFAULT_OPERATION_TIMEOUT_MS);
  return withRetry(withTimeout(driver, { timeoutMs }), { retries });
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
