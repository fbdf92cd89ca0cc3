/** Store URL → manager: local paths, memory://, s3://, gs://, az:// (filesystem manager), wandb:// (W&B). */
import { resolve } from "node:path";
import { ArtifactError, type ArtifactManager } from "../index.js";

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** `./artifacts`, `/abs/path`, `file:///path`, `memory://`, `s3://…`, `gs://…`, `az://…`, `wandb://ENTITY/PROJECT`. */
  url: string;
  /** The manager's active collection. */
  collection: string;
  /** Folder a relative local path is resolved against. */
  cwd: string;
  signal?: AbortSignal;
}

/** Opens the manager for a store URL. Throws `UNSUPPORTED` for a scheme no backend handles. */
export async function openStore(options: OpenStoreOptions): Promise<ArtifactManager> {
  const { url, collection } = options;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "wandb") {
    throw new ArtifactError(
      "UNSUPPORTED",
      `store '${url}': the Weights & Biases backend is not available in this build of the CLI yet; use a local folder, memory://, s3://, gs:// or az:// store`,
    );
  }
  const local = scheme === undefined ? resolve(options.cwd, url) : url;
  const lib = (await import("../index.js")) as unknown as Record<string, unknown>;
  const Manager = lib.FileSystemArtifactManager as
    | (new (options: {
        url: string;
        collection: string;
      }) => ArtifactManager)
    | undefined;
  if (Manager === undefined)
    throw new ArtifactError("UNSUPPORTED", "FileSystemArtifactManager is not available");
  return new Manager({ url: local, collection });
}
