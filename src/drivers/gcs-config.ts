/**
 * GCS client configuration the way Google Cloud users have it: Application Default Credentials
 * (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, the metadata server),
 * `STORAGE_EMULATOR_HOST`, and `storageOptions` passed through to `new Storage(…)`.
 */
import type { Storage, StorageOptions } from "@google-cloud/storage";
import type { RetryListener } from "../storage/layers/retry-event.js";
import { intOption, SMALL_BODY_LIMIT, stringOption, withoutKeys } from "./cloud-common.js";
import { LAYER_OPTION_KEYS } from "./cloud-layers.js";
import { isPublicEndpoint, usesDirectPaths } from "./direct-paths.js";
import { fastCrc32cGenerator, loadBestCrc32c } from "./gcs-crc32c.js";
import { NO_SDK_RETRIES, uploadRetryOptions } from "./gcs-retry.js";
import { proxyConfigured } from "./http-requester.js";
import { loadSdk } from "./load-sdk.js";

/** Options of the GCS driver (the `storageOptions` of a `gs://` store). Unknown keys go to `new Storage()`. */
export interface GcsDriverOptions {
  /** API endpoint, e.g. `http://127.0.0.1:4443` for a local server. @default env STORAGE_EMULATOR_HOST, else Google */
  apiEndpoint?: string;
  /** Project id. @default from ADC / GOOGLE_CLOUD_PROJECT */
  projectId?: string;
  /** Service-account key file. @default ADC */
  keyFilename?: string;
  /** Resumable-upload chunk size in bytes for streamed writes (each chunk is retried on its own). @default 16 MiB */
  chunkSize?: number;
  /**
   * Have the SDK check crc32c on whole-object downloads. Off by default: the manager checks the
   * sha256 of every downloaded file, and the SDK's JavaScript crc32c halves download speed. @default false
   */
  downloadValidation?: boolean;
  /**
   * Read objects with one HTTP GET of our own (src/drivers/gcs-media.ts) instead of the SDK's download
   * stack. Tested against loopback servers only, so on by default only on a custom endpoint (an
   * emulator); `true` turns it on for Google's endpoints too. `downloadValidation` or a proxy in the
   * environment keep the SDK's reads. @default true on a custom endpoint, false on *.googleapis.com
   */
  directReads?: boolean;
  /**
   * Send writes over HTTP ourselves: a streamed write's chunks (src/drivers/gcs-resumable.ts; the SDK
   * still opens the session) and a small write's one multipart request (src/drivers/gcs-multipart.ts).
   * On by default only on a custom endpoint, as `directReads`; `true` turns it on for Google's endpoints.
   * A proxy in the environment or `retryOptions` of your own keep the SDK's uploads.
   * @default true on a custom endpoint, false on *.googleapis.com
   */
  directUploads?: boolean;
  /** Any other `StorageOptions` field (credentials, authClient, retryOptions, useAuthWithCustomEndpoint…). */
  [clientOption: string]: unknown;
}

/** Chunk size of resumable uploads (a multiple of 256 KiB, as GCS requires). */
export const DEFAULT_GCS_CHUNK_SIZE = 16 * 1024 * 1024;

const OWN_KEYS = ["chunkSize", "downloadValidation", "directReads", "directUploads", ...LAYER_OPTION_KEYS];

/** The client and transfer settings of one GCS driver. */
export interface ResolvedGcsClient {
  storage: Storage;
  chunkSize: number;
  downloadValidation: boolean;
  /** Reads skip the SDK's download stack (see {@link GcsDriverOptions}). */
  directReads: boolean;
  /** Streamed writes send their chunks without the SDK's upload stream (see {@link GcsDriverOptions}). */
  directUploads: boolean;
  /** What one streamed write holds in memory: the chunk being sent plus the next one filling behind it. */
  writeBufferBytes: number;
  /**
   * The client of one resumable upload: the SDK's retries of its session and chunks, announced to
   * `onRetry` (gcs-retry.ts). `storage` itself makes no retry: the store's retry layer does.
   */
  uploadStorage(): Storage;
  /** Told of the retries made inside one call (an upload's chunks), as the retry layer's own. */
  onRetry: RetryListener | undefined;
}

/** Where a `Storage` client sends requests: the JSON API's base (media reads) and its API endpoint (uploads). */
interface SdkEndpoints {
  baseUrl: string;
  apiEndpoint: string;
}

/**
 * The endpoint the direct paths would talk to, for {@link usesDirectPaths}: the public one when either
 * of the SDK's URLs is public (with STORAGE_EMULATOR_HOST set the SDK's `baseUrl` stays the emulator's
 * even when `apiEndpoint` names another host).
 */
export function gcsEndpointOf(storage: SdkEndpoints): string {
  const { baseUrl, apiEndpoint } = storage;
  return isPublicEndpoint("gcs", baseUrl) ? baseUrl : apiEndpoint;
}

/** Builds the `Storage` client from `storageOptions` and the environment. */
export async function createGcsClient(options: GcsDriverOptions): Promise<ResolvedGcsClient> {
  const sdk = await loadSdk("@google-cloud/storage", () => import("@google-cloud/storage"));
  const { Storage } = sdk;
  const apiEndpoint = stringOption(options, "apiEndpoint");
  const chunkSize = intOption(options, "chunkSize", DEFAULT_GCS_CHUNK_SIZE);
  const config: StorageOptions = {
    // Upload validation (and opt-in download validation) with a 4–20× faster crc32c than the SDK's.
    crc32cGenerator: fastCrc32cGenerator(await loadBestCrc32c()),
    ...(withoutKeys(options, OWN_KEYS) as StorageOptions),
    ...(apiEndpoint === undefined ? {} : { apiEndpoint }),
  };
  // Without `retryOptions` of the caller's, the SDK's silent retries are off (gcs-retry.ts).
  const ownRetries = options.retryOptions !== undefined;
  if (!ownRetries) config.retryOptions = NO_SDK_RETRIES;
  // A local endpoint needs no project; the SDK would otherwise look one up through ADC.
  if (config.projectId === undefined && (apiEndpoint !== undefined || process.env.STORAGE_EMULATOR_HOST)) {
    config.projectId = process.env.GOOGLE_CLOUD_PROJECT || "local";
  }
  const downloadValidation = options.downloadValidation === true;
  const roundedChunk = Math.ceil(chunkSize / 262_144) * 262_144;
  const storage = new Storage(config);
  const endpoint = gcsEndpointOf(storage as unknown as SdkEndpoints);
  // The SDK's stack knows how to use a proxy in the environment.
  const proxy = proxyConfigured();
  const onRetry = typeof options.onRetry === "function" ? (options.onRetry as RetryListener) : undefined;
  const uploadStorage = (): Storage => {
    if (ownRetries) return storage;
    const retryOptions = uploadRetryOptions(sdk.RETRYABLE_ERR_FN_DEFAULT, onRetry, options.retries);
    // Its credentials are the driver client's (one token cache).
    const authClient = storage.authClient as NonNullable<StorageOptions["authClient"]>;
    return new Storage({ ...config, authClient, retryOptions });
  };
  return {
    storage,
    uploadStorage,
    onRetry,
    chunkSize: roundedChunk,
    downloadValidation,
    directReads:
      usesDirectPaths("gcs", endpoint, options.directReads, "directReads") && !downloadValidation && !proxy,
    directUploads:
      usesDirectPaths("gcs", endpoint, options.directUploads, "directUploads") &&
      options.retryOptions === undefined &&
      !proxy,
    writeBufferBytes: Math.max(SMALL_BODY_LIMIT, 2 * roundedChunk),
  };
}
