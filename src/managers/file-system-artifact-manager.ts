/**
 * FileSystemArtifactManager: store format v1 (../shared/STORE-FORMAT.md) on any StorageDriver — a local
 * folder, `memory://`, `s3://`, `gs://`, `az://`. Interoperable with Python scaffold's stores in both
 * directions; versions appear atomically and are never handed out twice.
 */

import { resolve } from "node:path";
import { ByteBudget } from "../core/byte-budget.js";
import {
  type DeletedVersion,
  type DeleteVersionOptions,
  validateDeleteVersionOptions,
} from "../core/lifecycle.js";
import {
  COLLECTION_PATTERN,
  validateAlias,
  validateArtifactName,
  validateCollection,
} from "../core/names.js";
import { validateOperationOptions } from "../core/operation-options.js";
import { positiveOption } from "../core/positive-option.js";
import { validateIfUnchanged, validateMetadata } from "../core/record.js";
import type {
  Artifact,
  CollectionOption,
  DownloadOptions,
  ListOptions,
  LogFilesOptions,
  VerifyOptions,
  VerifyResult,
  VersionOptions,
  VersionRecord,
} from "../core/types.js";
import { ArtifactError } from "../errors.js";
import { backendOfUrl, createDriver } from "../storage/create-driver.js";
import type { StorageDriver } from "../storage/driver.js";
import { validateRetryListener } from "../storage/layers/retry-event.js";
import {
  DEFAULT_SMALL_FILE_CONCURRENCY,
  DEFAULT_TRANSFER_CONCURRENCY,
  mapConcurrent,
} from "../util/map-concurrent.js";
import { ArtifactManager, type ArtifactManagerOptions } from "./artifact-manager.js";
import { deleteAlias, listAliasMap, writeAlias } from "./filesystem/aliases.js";
import { ensureConditionalWrites } from "./filesystem/conditional-writes.js";
import { deleteVersion, dropAliasIfDeleted } from "./filesystem/delete-version.js";
import { explainDeletedVersion } from "./filesystem/deleted-during-read.js";
import { downloadVersion } from "./filesystem/download.js";
import {
  type CollectGarbageOptions,
  type CollectGarbageResult,
  collectArtifactGarbage,
  DEFAULT_GC_GRACE_MS,
  type GarbageSettings,
  storeClock,
} from "./filesystem/gc.js";
import { HashRecord } from "./filesystem/hash-record.js";
import { resolveInputs } from "./filesystem/inputs.js";
import { listFolders } from "./filesystem/list-folders.js";
import { collectLocalFiles } from "./filesystem/local-files.js";
import { logVersion } from "./filesystem/log-version.js";
import { readVersionRecord } from "./filesystem/read-version.js";
import { resolveVersion } from "./filesystem/resolve.js";
import { scanArtifact, visibleVersions } from "./filesystem/scan.js";
import { DEFAULT_MAX_UPLOAD_BYTES_IN_FLIGHT } from "./filesystem/transfer.js";
import { verifyVersion } from "./filesystem/verify.js";
import { collectProvenance } from "./provenance.js";

/** Options of the {@link FileSystemArtifactManager} constructor. */
export interface FileSystemArtifactManagerOptions extends ArtifactManagerOptions {
  /** Store URL: a folder path, `file://…`, `memory://NAME`, `s3://bucket/prefix`, `gs://…`, `az://…`. Optional with `driver`. */
  url?: string;
  /** Passed to the cloud driver (credentials, endpoint, region…). */
  storageOptions?: Record<string, unknown>;
  /** A ready driver to use instead of creating one from `url`. */
  driver?: StorageDriver;
  /** Files transferred at once. @default DEFAULT_TRANSFER_CONCURRENCY (16) */
  concurrency?: number;
  /**
   * Files of 64 KiB or less transferred at once to or from an object store, in a queue of their own
   * next to the `concurrency` larger ones (a local store runs all files at `concurrency`). Their time is
   * mostly round trips: at 20-50 ms per request, 16 at once make only 300-800 files/s. Their bytes in
   * memory stay small (64 × 64 KiB = 4 MiB).
   * @default DEFAULT_SMALL_FILE_CONCURRENCY (64)
   */
  smallFileConcurrency?: number;
  /**
   * Most bytes that this manager's uploads to an object store hold in memory at once, over all its
   * logs: each file reserves min(its size, what one write of the driver buffers, e.g. S3
   * `partSize` × (`queueSize` + 1)) before it starts; a file needing more than the cap goes alone.
   * Copies into a local store hold nothing and are not limited. In bytes.
   * @default DEFAULT_MAX_UPLOAD_BYTES_IN_FLIGHT (268435456, 256 MiB)
   */
  maxUploadBytesInFlight?: number;
}

/** Artifacts as versioned folders on a file or object store. */
export class FileSystemArtifactManager extends ArtifactManager {
  /** The store URL. */
  readonly url: string;
  readonly #concurrency: number;
  readonly #smallFileConcurrency: number;
  readonly #uploadBudget: ByteBudget;
  readonly #options: FileSystemArtifactManagerOptions;
  #driver: Promise<StorageDriver> | undefined;

  constructor(options: FileSystemArtifactManagerOptions) {
    super(options);
    const url = options.url ?? options.driver?.url;
    if (url === undefined)
      throw new ArtifactError("INVALID_ARGUMENT", "pass the store `url` (or a `driver`)");
    if (!options.driver) backendOfUrl(url);
    const concurrency = positiveOption("concurrency", options.concurrency, DEFAULT_TRANSFER_CONCURRENCY);
    const smallFileConcurrency = positiveOption(
      "smallFileConcurrency",
      options.smallFileConcurrency,
      DEFAULT_SMALL_FILE_CONCURRENCY,
    );
    const maxBytes = positiveOption(
      "maxUploadBytesInFlight",
      options.maxUploadBytesInFlight,
      DEFAULT_MAX_UPLOAD_BYTES_IN_FLIGHT,
      "bytes",
    );
    validateRetryListener(options.onRetry);
    this.url = url;
    this.#concurrency = concurrency;
    this.#smallFileConcurrency = smallFileConcurrency;
    this.#uploadBudget = new ByteBudget(maxBytes);
    this.#options = options;
    if (options.driver) this.#driver = Promise.resolve(options.driver);
  }

  /** The byte store (created on first use). */
  getDriver(): Promise<StorageDriver> {
    const { storageOptions, onRetry } = this.#options;
    const withListener = onRetry === undefined ? storageOptions : { ...storageOptions, onRetry };
    this.#driver ??= createDriver(this.url, withListener).catch((error: unknown) => {
      this.#driver = undefined;
      throw error;
    });
    return this.#driver;
  }

  async logFiles(name: string, localPath: string, options: LogFilesOptions = {}): Promise<Artifact> {
    validateArtifactName(name);
    validateOperationOptions(options);
    const collection = this.collectionOf(options);
    const metadata = validateMetadata(options.metadata);
    if (options.description !== undefined && typeof options.description !== "string") {
      throw new ArtifactError("INVALID_ARGUMENT", "the `description` option must be a string");
    }
    const ifUnchanged = validateIfUnchanged(options.ifUnchanged);
    const files = await collectLocalFiles(localPath, options.artifactPath, options);
    if (options.provenance !== undefined && typeof options.provenance !== "boolean")
      throw new ArtifactError("INVALID_ARGUMENT", "the `provenance` option must be true or false");
    const driver = await this.getDriver();
    const inputs = await resolveInputs(driver, collection, options.inputs, options.signal);
    const provenance = options.provenance === false ? undefined : await collectProvenance();
    await ensureConditionalWrites(driver, { collection, name, signal: options.signal });
    const hashDir = this.hashRecordDir();
    const hashes = hashDir === undefined ? undefined : new HashRecord(hashDir, resolve(localPath));
    await hashes?.load(files);
    try {
      return await logVersion({
        inputs,
        provenance,
        driver,
        collection,
        name,
        files,
        description: options.description,
        metadata,
        signal: options.signal,
        onProgress: options.onProgress,
        concurrency: this.#concurrency,
        smallFileConcurrency: this.#smallFileConcurrency,
        uploadBudget: this.#uploadBudget,
        ifUnchanged,
      });
    } finally {
      await hashes?.save(files);
    }
  }

  protected async downloadTo(name: string, to: string, options: DownloadOptions): Promise<Artifact> {
    if (typeof to !== "string" || to === "")
      throw new ArtifactError("INVALID_ARGUMENT", "the `to` option must be a folder path");
    const collection = this.collectionOf(options);
    const driver = await this.getDriver();
    // A copy out of the cache is no faster than one out of a local folder or memory.
    const remote = driver.localPath === undefined && driver.backend !== "memory";
    return downloadVersion({
      driver,
      cache: this.downloadCache(options, remote),
      collection,
      name,
      to,
      version: options.version,
      paths: options.paths,
      signal: options.signal,
      onProgress: options.onProgress,
      concurrency: this.#concurrency,
      smallFileConcurrency: this.#smallFileConcurrency,
    }).catch(async (error: unknown) => {
      // Files gone because the version was deleted during the download: NOT_FOUND, not corruption.
      throw await explainDeletedVersion(driver, collection, name, error);
    });
  }

  async listCollectionNames(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const folders = await listFolders(await this.getDriver(), "", options.signal);
    return folders.filter((folder) => COLLECTION_PATTERN.test(folder));
  }

  async listArtifacts(collection?: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const c = this.collectionOf(collection === undefined ? {} : { collection });
    const driver = await this.getDriver();
    const names = (await listFolders(driver, `${c}/`, options.signal)).filter(isArtifactName);
    const present = await mapConcurrent(
      names,
      async (name) => visibleVersions(await scanArtifact(driver, c, name, options.signal)).length > 0,
      { concurrency: this.#concurrency, signal: options.signal },
    );
    return names.filter((_, i) => present[i]);
  }

  async listVersions(name: string, options: ListOptions = {}): Promise<string[]> {
    validateArtifactName(name);
    const collection = this.collectionOf(options);
    const state = await scanArtifact(await this.getDriver(), collection, name, options.signal);
    return visibleVersions(state).map((n) => `v${n}`);
  }

  async existsInCollection(name: string, collection?: string): Promise<boolean> {
    validateArtifactName(name);
    const c = this.collectionOf(collection === undefined ? {} : { collection });
    return visibleVersions(await scanArtifact(await this.getDriver(), c, name)).length > 0;
  }

  async getVersion(name: string, options: VersionOptions = {}): Promise<VersionRecord> {
    validateArtifactName(name);
    const collection = this.collectionOf(options);
    const driver = await this.getDriver();
    const resolved = await resolveVersion(driver, collection, name, options.version, options.signal);
    return readVersionRecord(driver, collection, name, resolved, options.signal);
  }

  async verify(name: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    validateArtifactName(name);
    return verifyVersion({
      driver: await this.getDriver(),
      collection: this.collectionOf(options),
      name,
      version: options.version,
      signal: options.signal,
      onProgress: options.onProgress,
      concurrency: this.#concurrency,
      smallFileConcurrency: this.#smallFileConcurrency,
    });
  }

  async setAlias(name: string, alias: string, options: VersionOptions = {}): Promise<Artifact> {
    validateArtifactName(name);
    validateAlias(alias);
    const collection = this.collectionOf(options);
    const driver = await this.getDriver();
    const resolved = await resolveVersion(driver, collection, name, options.version, options.signal);
    await writeAlias(driver, collection, name, alias, resolved.n);
    // A delete of the version that ran meanwhile: take the alias back (it would point at nothing).
    await dropAliasIfDeleted(driver, collection, name, alias, resolved);
    return { name, collection, version: resolved.version };
  }

  async removeAlias(name: string, alias: string, options: CollectionOption = {}): Promise<void> {
    validateArtifactName(name);
    validateAlias(alias);
    await deleteAlias(await this.getDriver(), this.collectionOf(options), name, alias);
  }

  async listAliases(name: string, options: ListOptions = {}): Promise<Record<string, string>> {
    validateArtifactName(name);
    return listAliasMap(await this.getDriver(), this.collectionOf(options), name, options.signal);
  }

  async deleteVersion(name: string, options: DeleteVersionOptions): Promise<DeletedVersion> {
    validateArtifactName(name);
    validateDeleteVersionOptions(options);
    const collection = this.collectionOf(options);
    const driver = await this.getDriver();
    await ensureConditionalWrites(driver, { collection, name, signal: options.signal });
    return deleteVersion({
      driver,
      collection,
      name,
      version: options.version,
      force: options.force === true,
      signal: options.signal,
    });
  }

  /**
   * Removes abandoned claims, the files uploaded under them and stale staging folders older than
   * `olderThanMs` (default 24 h). With `dryRun`, only reports them.
   */
  async collectGarbage(options: CollectGarbageOptions = {}): Promise<CollectGarbageResult> {
    const olderThanMs = options.olderThanMs ?? DEFAULT_GC_GRACE_MS;
    if (typeof olderThanMs !== "number" || !(olderThanMs >= 0)) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `Expected the \`olderThanMs\` option to be a non-negative number, got \`${olderThanMs}\``,
      );
    }
    if (options.collection !== undefined) validateCollection(options.collection);
    const driver = await this.getDriver();
    const collections =
      options.collection === undefined ? await this.listCollectionNames(options) : [options.collection];
    const settings: GarbageSettings = {
      olderThanMs,
      dryRun: options.dryRun ?? false,
      now: () => Date.now(),
      signal: options.signal,
    };
    let clocked = false;
    const items = [];
    for (const collection of collections) {
      for (const name of (await listFolders(driver, `${collection}/`, options.signal)).filter(
        isArtifactName,
      )) {
        // A dry run writes nothing, so it needs no conditional writes (and works with read-only keys).
        if (!settings.dryRun)
          await ensureConditionalWrites(driver, { collection, name, signal: options.signal });
        // Ages are measured on the store's clock, a dry run's too (its scratch object is the only
        // write it makes; with read-only credentials it falls back to this machine's clock).
        if (!clocked)
          settings.now = await storeClock(driver, collection, name, options.signal).catch(
            (error: unknown) => {
              if (!settings.dryRun || options.signal?.aborted) throw error;
              return () => Date.now();
            },
          );
        clocked = true;
        for (const item of await collectArtifactGarbage(driver, collection, name, settings)) items.push(item);
      }
    }
    return {
      dryRun: settings.dryRun,
      items,
      objects: items.reduce((sum, item) => sum + item.objects, 0),
      bytes: items.reduce((sum, item) => sum + item.bytes, 0),
    };
  }

  override async close(): Promise<void> {
    const driver = this.#driver;
    this.#driver = undefined;
    if (driver) await (await driver.catch(() => undefined))?.close?.();
  }
}

function isArtifactName(name: string): boolean {
  try {
    validateArtifactName(name);
    return true;
  } catch {
    return false;
  }
}
