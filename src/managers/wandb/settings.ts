/** Transfer options of the W&B manager, validated up front, and the collection → artifact type rule. */
import { positiveOption } from "../../core/positive-option.js";
import { ArtifactError } from "../../errors.js";
import { type RetryListener, validateRetryListener } from "../../storage/layers/retry-event.js";
import { limitsFrom, type WandbLimitOptions } from "./limits.js";
import { MULTIPART_THRESHOLD } from "./multipart.js";
import type { ReferenceStorageOptions } from "./references.js";
import type { WandbRetryOptions } from "./retry.js";
import type { WandbSessionSettings } from "./session.js";

/** File uploads/downloads in flight at once on W&B when the caller does not say. */
export const DEFAULT_WANDB_CONCURRENCY = 8;

/**
 * Upload bytes in flight at once on W&B when the caller does not say: whole-file PUTs and multipart
 * parts wait for room under this cap, on top of the `concurrency` limit (512 MiB).
 */
export const DEFAULT_WANDB_MAX_UPLOAD_BYTES_IN_FLIGHT = 512 * 1024 ** 2;

/** How the manager talks to W&B, and the limits on what the server may make it do (limits.ts). */
export interface WandbTransferOptions extends WandbLimitOptions {
  /** Retry policy for GraphQL and storage requests (429/5xx/connection errors). @default the SDK's: 20 retries, 2-60 s */
  retry?: WandbRetryOptions;
  /** Per-attempt GraphQL timeout in ms. @default 30000 */
  timeoutMs?: number;
  /** File uploads/downloads in flight at once. @default 8 */
  concurrency?: number;
  /**
   * Most bytes of file uploads in flight at once per log (whole-file PUTs and multipart parts count
   * their size; one bigger than the cap is sent alone). @default 536870912 (512 MiB)
   */
  maxUploadBytesInFlight?: number;
  /** Files per `createArtifactFiles` call. @default 1000 */
  fileBatchSize?: number;
  /** Files of at least this many bytes are uploaded in parts. @default 2147483648 (2 GiB) */
  multipartThreshold?: number;
  /** Part size in bytes for multipart uploads. @default max(100 MiB, size / 10000 rounded up to 4 KiB) */
  multipartPartSize?: number;
  /**
   * Return the latest version instead of logging a new one when the content is identical, as the SDK
   * always does (`enableDigestDeduplication: true`): the default of the logs' `ifUnchanged` option
   * (`true` = `"reuse"`, `false` = `"new-version"`). @default true
   */
  enableDigestDeduplication?: boolean;
  /** Run ID that owns the logged versions (created with `upsertBucket`). @default 8 random characters */
  runName?: string;
  /** Job type of that run. @default "artifact-manager" */
  jobType?: string;
  /**
   * Storage options of the buckets that reference entries (`ref`) point into, by backend, as a store's
   * `storageOptions` (e.g. `{ s3: { endpoint: "http://127.0.0.1:9000" } }`). @default the environment's
   * configuration of each SDK, as for a store
   */
  referenceStorageOptions?: ReferenceStorageOptions;
}

/** Validates the options and fills in defaults. */
export function settingsFrom(
  options: WandbTransferOptions & { onRetry?: RetryListener; env?: Record<string, string | undefined> },
): WandbSessionSettings {
  for (const [name, value] of Object.entries(options.retry ?? {})) {
    if (name === "onRetry") continue;
    if (value !== undefined && (typeof value !== "number" || !(value >= 0))) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `Expected \`retry.${name}\` to be a non-negative number, got \`${value}\``,
      );
    }
  }
  const onRetry =
    validateRetryListener(options.onRetry) ?? validateRetryListener(options.retry?.onRetry, "retry.onRetry");
  return {
    retry: { ...options.retry, ...(onRetry === undefined ? {} : { onRetry }) },
    timeoutMs: positiveOption("timeoutMs", options.timeoutMs, 30_000),
    concurrency: positiveOption("concurrency", options.concurrency, DEFAULT_WANDB_CONCURRENCY),
    maxUploadBytesInFlight: positiveOption(
      "maxUploadBytesInFlight",
      options.maxUploadBytesInFlight,
      DEFAULT_WANDB_MAX_UPLOAD_BYTES_IN_FLIGHT,
    ),
    fileBatchSize: positiveOption("fileBatchSize", options.fileBatchSize, 1000),
    multipartThreshold: positiveOption("multipartThreshold", options.multipartThreshold, MULTIPART_THRESHOLD),
    multipartPartSize:
      options.multipartPartSize === undefined
        ? undefined
        : positiveOption("multipartPartSize", options.multipartPartSize, 1),
    enableDigestDeduplication: options.enableDigestDeduplication ?? true,
    runName: options.runName,
    jobType: options.jobType ?? "artifact-manager",
    referenceStorageOptions: options.referenceStorageOptions ?? {},
    limits: limitsFrom(options, options.env ?? process.env),
  };
}

/**
 * The W&B artifact type for a collection: W&B types cannot contain `:` (the version separator) and
 * `wandb-` types are reserved, so those collection names are refused with `INVALID_NAME`.
 */
export function wandbTypeOf(collection: string): string {
  if (collection.includes(":") || collection.startsWith("wandb-")) {
    throw new ArtifactError(
      "INVALID_NAME",
      `collection '${collection}' cannot be a W&B artifact type: W&B forbids ':' in types and reserves the 'wandb-' prefix`,
    );
  }
  return collection;
}
