/**
 * Store URL → driver. Local paths and `file://` → local driver; `memory://NAME` → a process-wide
 * memory store; `s3://`, `gs://`, `az://` and Azure's `https://ACCOUNT.blob.<suffix>/…` (public cloud
 * `core.windows.net`, sovereign clouds such as `core.chinacloudapi.cn` or `core.usgovcloudapi.net`, Azure
 * Stack) load their cloud driver lazily, so a local store never pulls in a cloud SDK.
 */
import { fileURLToPath } from "node:url";
import { createLocalDriver } from "../drivers/local.js";
import { createMemoryDriver } from "../drivers/memory.js";
import { ArtifactError } from "../errors.js";
import type { StorageDriver } from "./driver.js";

/** Cloud drivers, each loaded on first use so that a local store never pulls in a cloud SDK. */
const CLOUD_DRIVERS = {
  s3: async (url: string, options?: Record<string, unknown>) =>
    (await import("../drivers/s3.js")).createS3Driver(url, options),
  gcs: async (url: string, options?: Record<string, unknown>) =>
    (await import("../drivers/gcs.js")).createGcsDriver(url, options),
  azure: async (url: string, options?: Record<string, unknown>) =>
    (await import("../drivers/azure.js")).createAzureDriver(url, options),
} satisfies Record<string, (url: string, options?: Record<string, unknown>) => Promise<StorageDriver>>;

/** An Azure blob endpoint of any cloud, `https://ACCOUNT.blob.<suffix>`, as `parseAzureUrl` reads it. */
const AZURE_BLOB_URL = /^https:\/\/[^./]+\.blob\.[^/?#]+(\/|$)/i;

/** The backend a store URL names: "local", "memory", "s3", "gcs" or "azure" (throws for others). */
export function backendOfUrl(url: string): "local" | "memory" | keyof typeof CLOUD_DRIVERS {
  if (typeof url !== "string" || url.trim() === "") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      "the store `url` is empty; pass a folder path, file://, memory://, s3://, gs:// or az:// URL",
    );
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === "file") return "local";
  if (scheme === "memory") return "memory";
  if (scheme === "s3") return "s3";
  if (scheme === "gs" || scheme === "gcs") return "gcs";
  // abfs/abfss: the URLs of fsspec's adlfs (Python scaffold's Azure stores).
  if (scheme === "az" || scheme === "azure" || scheme === "abfs" || scheme === "abfss") return "azure";
  if (scheme === "https" && AZURE_BLOB_URL.test(url)) return "azure";
  throw new ArtifactError(
    "UNSUPPORTED",
    `store URL scheme '${scheme}://' is not supported (${url}); use a folder path, file://, memory://NAME, s3://, gs://, az:// (or adlfs's abfs://), or https://ACCOUNT.blob.core.windows.net/CONTAINER (or another Azure cloud's blob endpoint); W&B is wandb://ENTITY/PROJECT (WandbArtifactManager)`,
  );
}

/** Creates the driver for a store URL. `storageOptions` are passed to cloud drivers unchanged. */
export async function createDriver(
  url: string,
  storageOptions?: Record<string, unknown>,
): Promise<StorageDriver> {
  const backend = backendOfUrl(url);
  if (backend === "local") return createLocalDriver({ root: localRoot(url) });
  if (backend === "memory") return createMemoryDriver({ name: url.slice("memory://".length) });
  return CLOUD_DRIVERS[backend](url, storageOptions);
}

/** The folder a local store URL names: a plain path as is, a `file://` URL converted to its path. */
function localRoot(url: string): string {
  if (!/^file:\/\//i.test(url)) return url;
  try {
    return fileURLToPath(url);
  } catch (cause) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `invalid file URL ${JSON.stringify(url)}: ${cause instanceof Error ? cause.message : String(cause)}; ` +
        "write an absolute file URL such as file:///abs/path (three slashes) or a plain folder path such as ./store",
      { cause },
    );
  }
}
