/**
 * The abstract base every backend implements: the seed's `ArtifactManager` interface in TypeScript.
 * It holds only what all backends share: the active collection, folder logging through a temporary
 * folder, downloads into a temporary folder, and `exists` across collections.
 */
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CacheChoice, type CacheOption } from "../cache/cache-option.js";
import type { DownloadCache } from "../cache/download-cache.js";
import { validateDownloadPaths } from "../core/download-paths.js";
import type {
  DeleteArtifactOptions,
  DeleteArtifactResult,
  DeletedVersion,
  DeleteVersionOptions,
  PruneOptions,
  PruneResult,
  PruneTarget,
} from "../core/lifecycle.js";
import { validateArtifactName, validateCollection } from "../core/names.js";
import { validateOperationOptions } from "../core/operation-options.js";
import type {
  Artifact,
  CollectionOption,
  DownloadOptions,
  ListOptions,
  LogFilesOptions,
  LogFolderOptions,
  TmpArtifact,
  VerifyOptions,
  VerifyResult,
  VersionOptions,
  VersionRecord,
} from "../core/types.js";
import { ArtifactError } from "../errors.js";
import type { RetryListener } from "../storage/layers/retry-event.js";
import { deleteAllVersions } from "./delete-artifact.js";
import { pruneArtifacts } from "./prune.js";

/** Options shared by every manager constructor. */
export interface ArtifactManagerOptions {
  /** Collection used when a call does not name one. @default "default" */
  collection?: string;
  /**
   * Told of every retry of a failed request before its wait: `{ attempt, max, delayMs, reason }`, so a
   * program can say why it is waiting (the CLI prints one line per retry). Local and memory stores never
   * retry. @default none
   */
  onRetry?: RetryListener;
  /**
   * The download cache (docs/cache.md): `false` (none), `true` (the default cache on every store),
   * `{ dir, maxBytes }` or a `DownloadCache`.
   * @default the default cache (`$ARTIFACTS_CACHE_DIR` or the platform cache folder, 10 GiB) for object stores and W&B; none for local folders and memory://
   */
  cache?: CacheOption;
}

/** Writes files into `dir`; the folder is logged when the returned promise resolves. */
export type FolderWriter = (dir: string) => Promise<void> | void;

/** A folder that is logged only on an explicit `commit()`; disposing it removes the folder. */
export interface FolderLog extends AsyncDisposable {
  /** The temporary folder to write files into. */
  readonly path: string;
  /** Logs the folder's contents as the next version; `null` when it holds no file. Once only. */
  commit(options?: LogFolderOptions): Promise<Artifact | null>;
  /** Removes the temporary folder without logging (idempotent). */
  cleanup(): Promise<void>;
}

/** The interface every artifact backend implements. */
export abstract class ArtifactManager {
  #activeCollection: string;
  readonly #cache: CacheChoice;

  protected constructor(options: ArtifactManagerOptions = {}) {
    const collection = options.collection ?? "default";
    validateCollection(collection);
    this.#activeCollection = collection;
    this.#cache = new CacheChoice(options.cache);
  }

  /** The download cache of one download (its `cache` option), none when off; `remoteStore`: not a local folder. */
  protected downloadCache(options: DownloadOptions, remoteStore: boolean): DownloadCache | undefined {
    return this.#cache.for(options.cache, remoteStore);
  }

  /** Where logs keep the hashes of the files they read (the cache folder), none when the cache is off. */
  protected hashRecordDir(): string | undefined {
    return this.#cache.hashRecordDir();
  }

  /** The collection used when a call does not name one. Setting it validates the name. */
  get activeCollection(): string {
    return this.#activeCollection;
  }

  set activeCollection(collection: string) {
    validateCollection(collection);
    this.#activeCollection = collection;
  }

  /** The collection of a call: its `collection` option, validated, or the active one. */
  protected collectionOf(options: CollectionOption | undefined): string {
    const collection = options?.collection ?? this.#activeCollection;
    validateCollection(collection);
    return collection;
  }

  /**
   * Logs a file or a folder's contents as the next version of `name` and returns it.
   * A folder's contents go to the version root; a file goes to the root under its own name, or to
   * `artifactPath`. An empty folder is an `INVALID_ARGUMENT` error.
   */
  abstract logFiles(name: string, localPath: string, options?: LogFilesOptions): Promise<Artifact>;

  /**
   * Downloads a version's files (only `options.paths` when given, already validated and normalised)
   * under `to` (created if needed) and returns the resolved version.
   */
  protected abstract downloadTo(name: string, to: string, options: DownloadOptions): Promise<Artifact>;

  /** Collection names in the store, sorted. */
  abstract listCollectionNames(options?: { signal?: AbortSignal }): Promise<string[]>;

  /** Artifact names in a collection (default: the active one), sorted. */
  abstract listArtifacts(collection?: string, options?: { signal?: AbortSignal }): Promise<string[]>;

  /** Versions of an artifact in numeric order: `["v0", "v1", …]`. */
  abstract listVersions(name: string, options?: ListOptions): Promise<string[]>;

  /** Whether the artifact has at least one visible version in the collection. */
  abstract existsInCollection(name: string, collection?: string): Promise<boolean>;

  /** The commit record of a version (files, sizes, digests, description, metadata, createdAt). */
  abstract getVersion(name: string, options?: VersionOptions): Promise<VersionRecord>;

  /** Re-reads a version and compares it with its record. Never throws for a mismatch. */
  abstract verify(name: string, options?: VerifyOptions): Promise<VerifyResult>;

  /** Points `alias` at a version (default latest); moves it if it exists. Returns the version. */
  abstract setAlias(name: string, alias: string, options?: VersionOptions): Promise<Artifact>;

  /** Removes an alias. Throws `NOT_FOUND` when it does not exist. */
  abstract removeAlias(name: string, alias: string, options?: CollectionOption): Promise<void>;

  /** Aliases of an artifact: `{ best: "v1", … }`. */
  abstract listAliases(name: string, options?: ListOptions): Promise<Record<string, string>>;

  /**
   * Deletes one version: it disappears from listings and reads at once, then its files are deleted.
   * Its number is never handed out again; `latest` moves to the highest remaining version. When aliases
   * point at it: `CONFLICT` naming them, unless `force`, which removes them too. `NOT_FOUND` when the
   * version does not exist (or was deleted already). A download that started before the delete
   * either completes with verified files or fails with `NOT_FOUND`.
   */
  abstract deleteVersion(name: string, options: DeleteVersionOptions): Promise<DeletedVersion>;

  /**
   * Deletes every version of an artifact (see {@link deleteVersion}), lowest first. Refuses with
   * `CONFLICT` before deleting anything when aliases exist, unless `force`. Version numbers stay
   * burnt: a later log of the same name continues after the highest deleted number.
   */
  deleteArtifact(name: string, options: DeleteArtifactOptions = {}): Promise<DeleteArtifactResult> {
    return deleteAllVersions(this, name, options);
  }

  /**
   * Retention: deletes the versions of one artifact (or, with `{ all: true }`, of every artifact in
   * the collection) that no rule keeps — `keepLast` newest, `keepAliased`, and younger than
   * `olderThan`. Needs at least one rule. With `dryRun`, only reports. Built on {@link deleteVersion}.
   */
  prune(target: PruneTarget, options: PruneOptions = {}): Promise<PruneResult> {
    return pruneArtifacts(this, target, options);
  }

  /** Releases clients and sockets. */
  async close(): Promise<void> {}

  /** `await using manager = new …ArtifactManager(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Whether an artifact of this name exists in any collection (as scaffold does). */
  async exists(name: string): Promise<boolean> {
    validateArtifactName(name);
    for (const collection of await this.listCollectionNames()) {
      if (await this.existsInCollection(name, collection)) return true;
    }
    return false;
  }

  /**
   * Runs `write` with a fresh temporary folder and logs what it wrote as the next version.
   * Logs nothing and resolves to `null` when the folder holds no file (empty sub-folders do not count); a callback error reaches the caller
   * unchanged and nothing is logged. The folder is always removed.
   */
  async logFolder(
    name: string,
    write: FolderWriter,
    options: LogFolderOptions = {},
  ): Promise<Artifact | null> {
    validateArtifactName(name);
    validateOperationOptions(options);
    this.collectionOf(options);
    await using folder = await this.openFolderLog(name);
    await write(folder.path);
    // `return await`: the folder must outlive the commit (disposal runs when the function returns).
    return await folder.commit(options);
  }

  /**
   * The disposable form of {@link logFolder}: `await using log = await manager.openFolderLog(name)`,
   * write into `log.path`, then `await log.commit()`. Without `commit()` nothing is logged.
   */
  async openFolderLog(name: string): Promise<FolderLog> {
    validateArtifactName(name);
    const path = await mkdtemp(join(tmpdir(), "artifact-log-"));
    let committed = false;
    const cleanup = () => rm(path, { recursive: true, force: true });
    return {
      path,
      cleanup,
      commit: async (options: LogFolderOptions = {}) => {
        if (committed)
          throw new ArtifactError("INVALID_ARGUMENT", `folder log of '${name}' was already committed`);
        committed = true;
        if (!(await holdsAFile(path))) return null;
        return this.logFiles(name, path, options);
      },
      [Symbol.asyncDispose]: cleanup,
    };
  }

  /**
   * Downloads a version. With `to`: into that folder, returning the {@link Artifact}. Without `to`: into
   * a temporary folder, returning a {@link TmpArtifact} that deletes it on dispose
   * (`await using tmp = await manager.downloadArtifact(name)`).
   */
  downloadArtifact(name: string, options: DownloadOptions & { to: string }): Promise<Artifact>;
  downloadArtifact(name: string, options?: Omit<DownloadOptions, "to">): Promise<TmpArtifact>;
  async downloadArtifact(name: string, options: DownloadOptions = {}): Promise<Artifact | TmpArtifact> {
    validateArtifactName(name);
    validateOperationOptions(options);
    const paths = validateDownloadPaths(options.paths);
    const request: DownloadOptions = { ...options, ...(paths ? { paths } : {}) };
    if (options.to !== undefined) return this.downloadTo(name, options.to, request);
    const path = await mkdtemp(join(tmpdir(), `artifact-${name}-`));
    const cleanup = () => rm(path, { recursive: true, force: true });
    try {
      await mkdir(path, { recursive: true });
      const artifact = await this.downloadTo(name, path, request);
      return { path, artifact, cleanup, [Symbol.asyncDispose]: cleanup };
    } catch (error) {
      await cleanup();
      throw error;
    }
  }
}

/** Whether `folder` holds anything but (nested) empty folders; stops at the first non-folder entry. */
async function holdsAFile(folder: string): Promise<boolean> {
  const entries = await readdir(folder, { withFileTypes: true });
  if (entries.some((entry) => !entry.isDirectory())) return true;
  for (const entry of entries) if (await holdsAFile(join(folder, entry.name))) return true;
  return false;
}
