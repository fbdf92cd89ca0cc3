/** Store URL → manager: local paths, memory://, s3://, gs://, az:// (filesystem manager), wandb:// (W&B). */
import { resolve } from "node:path";
import {
  ArtifactError,
  type ArtifactManager,
  createWandbManagerFromUrl,
  FileSystemArtifactManager,
  type RetryListener,
} from "../index.js";

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** `./artifacts`, `/abs/path`, `file:///path`, `memory://`, `s3://…`, `gs://…`, `az://…`, `wandb://ENTITY/PROJECT`. */
  url: string;
  /** The manager's active collection (a W&B artifact type on wandb://). */
  collection: string;
  /** Folder a relative local path is resolved against. */
  cwd: string;
  /** Extra attempts of a failed request (`--retries`). @default the store's (3 on clouds, 20 on W&B) */
  retries?: number | undefined;
  /** Time limit of one request attempt in ms (`--timeout`). @default the store's (60 s on clouds, 30 s on W&B) */
  timeoutMs?: number | undefined;
  /** Told of every retry (the CLI prints a line per retry). */
  onRetry?: RetryListener | undefined;
}

/** Opens the manager for a store URL. Throws the library's error for a bad URL or missing credentials. */
export function openStore(options: OpenStoreOptions): ArtifactManager {
  const { url, collection, retries, timeoutMs, onRetry } = options;
  const listener = onRetry === undefined ? {} : { onRetry };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "wandb") {
    return createWandbManagerFromUrl(url, {
      collection,
      ...listener,
      ...(retries === undefined ? {} : { retry: { retries } }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }
  if (scheme === undefined) refuseSchemeLike(url);
  // A relative folder is resolved here so that it means the folder the command was run in.
  return new FileSystemArtifactManager({
    url: scheme === undefined ? resolve(options.cwd, url) : url,
    collection,
    ...listener,
    storageOptions: {
      ...(retries === undefined ? {} : { retries }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    },
  });
}

const KNOWN = ["file", "memory", "s3", "gs", "gcs", "az", "azure", "abfs", "abfss", "https", "wandb"];

/**
 * `s3:/bucket` (one slash) or `gs:bucket` is a mistyped URL, not a folder name: refused instead of
 * silently creating `./s3:/bucket`. A folder whose name has a colon is still reachable as `./name`.
 */
function refuseSchemeLike(url: string): void {
  const match = /^([a-z][a-z0-9+.-]*):(\/?)(.*)$/i.exec(url);
  if (match === null) return;
  const [, scheme = "", , rest = ""] = match;
  if (scheme.length === 1) return; // a Windows drive letter (C:\\data)
  const known = KNOWN.includes(scheme.toLowerCase());
  throw new ArtifactError(
    "INVALID_ARGUMENT",
    known
      ? `store '${url}' is not a URL: did you mean ${scheme}://${rest.replace(/^\/+/, "")}? (a local folder with that name: ./${url})`
      : `store '${url}' has an unknown scheme '${scheme}:'; use a folder path, file://, memory://NAME, s3://, gs://, az://, an Azure https:// blob URL or wandb://ENTITY/PROJECT (a local folder with that name: ./${url})`,
  );
}
