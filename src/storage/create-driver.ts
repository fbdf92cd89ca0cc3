/**
 * Store URL → driver. Local paths and `file://` → local driver; `memory://NAME` → a process-wide
 * memory store; `s3://`, `gs://`, `az://` and `https://ACCOUNT.blob.core.windows.net/…` load their
 * cloud driver lazily, so a local store never pulls in a cloud SDK.
 */
import { fileURLToPath } from "node:url";
import { createLocalDriver } from "../drivers/local.js";
import { createMemoryDriver } from "../drivers/memory.js";
import { ArtifactError } from "../errors.js";
import type { StorageDriver } from "./driver.js";

type CloudFactory = (url: string, storageOptions?: Record<string, unknown>) => Promise<StorageDriver>;

/** Which module and factory serve a cloud URL. */
const CLOUD_DRIVERS = {
  s3: { module: "../drivers/s3.js", factory: "createS3Driver" },
  gcs: { module: "../drivers/gcs.js", factory: "createGcsDriver" },
  azure: { module: "../drivers/azure.js", factory: "createAzureDriver" },
} as const;

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
  if (scheme === "az" || scheme === "azure") return "azure";
  if (scheme === "https" && /^https:\/\/[^/]+\.blob\.core\.windows\.net(\/|$)/i.test(url)) return "azure";
  throw new ArtifactError(
    "UNSUPPORTED",
    `store URL scheme '${scheme}://' is not supported (${url}); use a folder path, file://, memory://NAME, s3://, gs://, az:// or https://ACCOUNT.blob.core.windows.net/CONTAINER`,
  );
}

/** Creates the driver for a store URL. `storageOptions` are passed to cloud drivers unchanged. */
export async function createDriver(
  url: string,
  storageOptions?: Record<string, unknown>,
): Promise<StorageDriver> {
  const backend = backendOfUrl(url);
  if (backend === "local")
    return createLocalDriver({ root: url.startsWith("file://") ? fileURLToPath(url) : url });
  if (backend === "memory") return createMemoryDriver({ name: url.slice("memory://".length) });
  const { module, factory } = CLOUD_DRIVERS[backend];
  // A variable specifier: the cloud drivers are loaded only when such a URL is used.
  const loaded = (await import(module)) as Record<string, CloudFactory | undefined>;
  const create = loaded[factory];
  if (typeof create !== "function") {
    throw new ArtifactError(
      "UNSUPPORTED",
      `the ${backend} driver is not available in this build (${module} has no ${factory})`,
    );
  }
  return create(url, storageOptions);
}
