/**
 * Azure Blob client configuration the way Azure users have it: `AZURE_STORAGE_CONNECTION_STRING`, or an
 * account (`AZURE_STORAGE_ACCOUNT`, or the account in an `https://ACCOUNT.blob.core.windows.net/…` URL)
 * with `AZURE_STORAGE_KEY`, a SAS token, or `DefaultAzureCredential` (az login, managed identity…).
 */
import type { BlobServiceClient, StoragePipelineOptions } from "@azure/storage-blob";
import { ArtifactError } from "../errors.js";
import type { RetryListener } from "../storage/layers/retry-event.js";
import { AzureDirectReader } from "./azure-direct-reader.js";
import { announceAzureRetries, azureSdkRetryOptions } from "./azure-retry.js";
import {
  type BucketLocation,
  intOption,
  keyPrefixOf,
  SMALL_BODY_LIMIT,
  stringOption,
  withoutKeys,
} from "./cloud-common.js";
import { LAYER_OPTION_KEYS } from "./cloud-layers.js";
import { usesDirectPaths } from "./direct-paths.js";
import { loadSdk } from "./load-sdk.js";

/** Options of the Azure driver (the `storageOptions` of an `az://` store). Unknown keys go to the client. */
export interface AzureDriverOptions {
  /** Full connection string. @default env AZURE_STORAGE_CONNECTION_STRING */
  connectionString?: string;
  /** Storage account name. @default env AZURE_STORAGE_ACCOUNT, or the account of an https:// URL */
  accountName?: string;
  /** Account key (shared key auth). @default env AZURE_STORAGE_KEY */
  accountKey?: string;
  /** SAS token (with or without the leading '?'). @default env AZURE_STORAGE_SAS_TOKEN */
  sasToken?: string;
  /** Blob endpoint. @default `https://<accountName>.blob.core.windows.net` */
  endpoint?: string;
  /** Block size of streamed uploads in bytes. @default 8 MiB */
  blockSize?: number;
  /** Blocks uploaded in parallel per file (memory held per file ≈ blockSize × (concurrency + 1)). @default 4 */
  concurrency?: number;
  /**
   * Read blobs with the SDK's signed request sent on a zero-copy GET of our own (no proxy or
   * `httpClient` configured). Tested against azurite only, so on by default only on an endpoint that is
   * not a public Azure cloud's (azurite, loopback, Azure Stack…); `true` turns it on for
   * `*.blob.core.windows.net` and the other public clouds, `false` reads through the SDK's HTTP client.
   * @default true on a custom endpoint, false on a public Azure cloud
   */
  directReads?: boolean;
  /**
   * Blobs up to this size are copied inside the store with one synchronous Copy Blob From URL (Azure's
   * limit: 256 MiB); bigger ones with an asynchronous Copy Blob, polled until done. In bytes.
   * @default 268435456 (256 MiB)
   */
  maxSyncCopyBytes?: number;
  /** Any other `StoragePipelineOptions` field (retryOptions, keepAliveOptions…). */
  [clientOption: string]: unknown;
}

/** Block size of streamed uploads (FINDINGS §2: 8 MiB × 4 is the fastest on azurite). */
export const DEFAULT_AZURE_BLOCK_SIZE = 8 * 1024 * 1024;
/** Most bytes one synchronous Copy Blob From URL may copy (Azure's limit, 256 MiB). */
export const AZURE_MAX_SYNC_COPY = 256 * 1024 * 1024;
/** Blocks in flight per file. */
export const DEFAULT_AZURE_CONCURRENCY = 4;

const OWN_KEYS = [
  "connectionString",
  "accountName",
  "accountKey",
  "sasToken",
  "endpoint",
  "blockSize",
  "concurrency",
  "directReads",
  "maxSyncCopyBytes",
  ...LAYER_OPTION_KEYS,
];

/** A parsed `az://container/prefix` or `https://ACCOUNT.blob.core.windows.net/container/prefix` URL. */
export interface AzureLocation extends BucketLocation {
  /** Account named by an https:// URL. */
  accountName?: string;
  /** Endpoint of an https:// URL. */
  endpoint?: string;
}

/**
 * Parses `az://container/prefix` (also `azure://` and adlfs's `abfs://`/`abfss://`), adlfs's
 * `abfs[s]://container@ACCOUNT.dfs.<suffix>/prefix`, and `https://ACCOUNT.blob.<suffix>/container/prefix`;
 * `bucket` is the container.
 */
export function parseAzureUrl(url: string): AzureLocation {
  const https = /^https:\/\/([^./]+)\.blob\.([^/]+)\/([^/?#]+)\/?([^?#]*)$/i.exec(url);
  if (https) return accountLocation(https[3], https[4], https[1], https[2]);
  // fsspec/adlfs's ADLS Gen2 form: `abfs[s]://container@ACCOUNT.dfs.<suffix>/path`. The same account
  // serves the Blob API at `ACCOUNT.blob.<suffix>` (multi-protocol access), which this driver speaks.
  const dfs = /^abfss?:\/\/([^/@?#]+)@([^./]+)\.dfs\.([^/?#]+)\/?([^?#]*)$/i.exec(url);
  if (dfs) return accountLocation(dfs[1], dfs[4], dfs[2], dfs[3]);
  const az = /^(?:az|azure|abfss?):\/\/([^/@?#]+)\/?([^?#]*)$/i.exec(url);
  if (!az) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected an Azure store URL like 'az://container/prefix' or 'https://ACCOUNT.blob.core.windows.net/container/prefix', got '${url}'`,
    );
  }
  return { bucket: az[1] ?? "", prefix: keyPrefixOf(az[2]) };
}

/** A location on a named account: its Blob endpoint is `https://ACCOUNT.blob.<suffix>` in every cloud. */
function accountLocation(
  container: string | undefined,
  path: string | undefined,
  account: string | undefined,
  suffix: string | undefined,
): AzureLocation {
  return {
    bucket: container ?? "",
    prefix: keyPrefixOf(path),
    accountName: account ?? "",
    endpoint: `https://${account}.blob.${suffix}`,
  };
}

/** The resolved client and transfer settings. */
export interface ResolvedAzureClient {
  service: BlobServiceClient;
  /** How the client authenticates, for messages. */
  auth: "connection string" | "account key" | "SAS token" | "DefaultAzureCredential";
  blockSize: number;
  concurrency: number;
  /** Most bytes one write holds: a small body read whole, or `concurrency` blocks plus the one filling. */
  writeBufferBytes: number;
  /** Copies of blobs up to this size are synchronous (Copy Blob From URL), bigger ones asynchronous. */
  maxSyncCopyBytes: number;
  /**
   * What reads go through, when not the SDK's HTTP client: `directReads` (by default on a custom
   * endpoint only, direct-paths.ts), and no proxy or custom HTTP client configured.
   */
  directReader: AzureDirectReader | null;
}

/** Builds the `BlobServiceClient` from `storageOptions`, the URL and the environment. */
export async function createAzureServiceClient(
  location: AzureLocation,
  options: AzureDriverOptions,
): Promise<ResolvedAzureClient> {
  const sdk = await loadSdk("@azure/storage-blob", () => import("@azure/storage-blob"));
  // The SDK keeps its own retries (they replay failed blocks of big uploads); the retry layer recognises
  // a create-only write that an SDK retry reports as "already exists" (storage/layers/retry.ts).
  const pipeline = withoutKeys(options, OWN_KEYS) as StoragePipelineOptions;
  // The SDK's retries stay (capped by `retries`) and are announced to `onRetry` (azure-retry.ts).
  const retryOptions = azureSdkRetryOptions(pipeline.retryOptions, options.retries);
  if (retryOptions !== undefined) pipeline.retryOptions = retryOptions;
  const blockSize = intOption(options, "blockSize", DEFAULT_AZURE_BLOCK_SIZE);
  const concurrency = intOption(options, "concurrency", DEFAULT_AZURE_CONCURRENCY);
  // uploadStream's BufferScheduler pools `concurrency` blocks and gathers the next one from the stream.
  const writeBufferBytes = Math.max(SMALL_BODY_LIMIT, blockSize * (concurrency + 1));
  const { service, auth } = await authenticatedService(sdk, location, options, pipeline);
  if (typeof options.onRetry === "function") {
    announceAzureRetries(service, pipeline.retryOptions ?? {}, options.onRetry as RetryListener);
  }
  const direct = usesDirectPaths("azure", service.url, options.directReads, "directReads");
  const directReader =
    direct && AzureDirectReader.usable(pipeline)
      ? new AzureDirectReader(sdk, service, location.bucket, pipeline)
      : null;
  const maxSyncCopyBytes = Math.min(
    intOption(options, "maxSyncCopyBytes", AZURE_MAX_SYNC_COPY),
    AZURE_MAX_SYNC_COPY,
  );
  return { service, auth, blockSize, concurrency, writeBufferBytes, maxSyncCopyBytes, directReader };
}

/** The service client with the credential the options and the environment name. */
async function authenticatedService(
  sdk: typeof import("@azure/storage-blob"),
  location: AzureLocation,
  options: AzureDriverOptions,
  pipeline: StoragePipelineOptions,
): Promise<Pick<ResolvedAzureClient, "service" | "auth">> {
  const env = process.env;
  const accountName =
    stringOption(options, "accountName") ?? location.accountName ?? (env.AZURE_STORAGE_ACCOUNT || undefined);
  const connectionString =
    stringOption(options, "connectionString") ??
    (location.accountName === undefined ? env.AZURE_STORAGE_CONNECTION_STRING || undefined : undefined);
  if (connectionString !== undefined) {
    const service = sdk.BlobServiceClient.fromConnectionString(connectionString, pipeline);
    const auth = /SharedAccessSignature=/i.test(connectionString) ? "SAS token" : "connection string";
    return { service, auth };
  }
  if (accountName === undefined) {
    throw new ArtifactError(
      "UNAUTHENTICATED",
      "No Azure storage account configured: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT (plus AZURE_STORAGE_KEY or an Azure login), or use an https://ACCOUNT.blob.core.windows.net/container URL",
      { context: { backend: "azure", operation: "connect" } },
    );
  }
  const endpoint =
    stringOption(options, "endpoint") ?? location.endpoint ?? `https://${accountName}.blob.core.windows.net`;
  const accountKey = stringOption(options, "accountKey") ?? (env.AZURE_STORAGE_KEY || undefined);
  if (accountKey !== undefined) {
    const credential = new sdk.StorageSharedKeyCredential(accountName, accountKey);
    return {
      service: new sdk.BlobServiceClient(endpoint, credential, pipeline),
      auth: "account key",
    };
  }
  const sas = stringOption(options, "sasToken") ?? (env.AZURE_STORAGE_SAS_TOKEN || undefined);
  if (sas !== undefined) {
    const url = `${endpoint}?${sas.replace(/^\?/, "")}`;
    return { service: new sdk.BlobServiceClient(url, undefined, pipeline), auth: "SAS token" };
  }
  const { DefaultAzureCredential } = await loadSdk("@azure/identity", () => import("@azure/identity"));
  const service = new sdk.BlobServiceClient(endpoint, new DefaultAzureCredential(), pipeline);
  return { service, auth: "DefaultAzureCredential" };
}
