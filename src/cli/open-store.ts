/** Store URL → manager: local paths, memory://, s3://, gs://, az:// (filesystem manager), wandb:// (W&B). */
import { resolve } from "node:path";
import { type ArtifactManager, createWandbManagerFromUrl, FileSystemArtifactManager } from "../index.js";

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** `./artifacts`, `/abs/path`, `file:///path`, `memory://`, `s3://…`, `gs://…`, `az://…`, `wandb://ENTITY/PROJECT`. */
  url: string;
  /** The manager's active collection (a W&B artifact type on wandb://). */
  collection: string;
  /** Folder a relative local path is resolved against. */
  cwd: string;
}

/** Opens the manager for a store URL. Throws the library's error for a bad URL or missing credentials. */
export function openStore(options: OpenStoreOptions): ArtifactManager {
  const { url, collection } = options;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "wandb") return createWandbManagerFromUrl(url, { collection });
  // A relative folder is resolved here so that it means the folder the command was run in.
  return new FileSystemArtifactManager({
    url: scheme === undefined ? resolve(options.cwd, url) : url,
    collection,
  });
}
