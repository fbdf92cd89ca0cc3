/**
 * What the pages read from a store, through the managers' public API: paged artifact listings (one
 * folder listing on file stores, not a scan of every artifact), summaries of one artifact, and a file
 * of a version opened for streaming or for reading by ranges (checkpoints).
 */
import { createReadStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { type ByteSource, fileSource } from "../checkpoint/zip/source.js";
import { ARTIFACT_NAME_PATTERN, parseVersion, validateCollection } from "../core/names.js";
import type { FileEntry, VersionRecord } from "../core/types.js";
import { ArtifactError } from "../errors.js";
import type { ArtifactManager } from "../managers/artifact-manager.js";
import { FileSystemArtifactManager } from "../managers/file-system-artifact-manager.js";
import { versionPrefix } from "../managers/filesystem/layout.js";
import { readAll } from "../storage/body.js";
import type { StorageDriver } from "../storage/driver.js";
import { DEFAULT_LISTING_CONCURRENCY, mapConcurrent } from "../util/map-concurrent.js";

/** One page of a listing. */
export interface Page<T> {
  items: T[];
  /** 1-based. */
  page: number;
  pages: number;
  total: number;
}

/** What the start page shows of one artifact. */
export interface ArtifactSummary {
  name: string;
  versions: number;
  latest: VersionRecord | undefined;
  aliases: Record<string, string>;
}

/** A file of a version, opened. Close it when done (a downloaded copy is deleted then). */
export interface OpenedFile extends AsyncDisposable {
  readonly entry: FileEntry;
  /** The bytes (or a range of them), streamed from the store. */
  stream(range?: { offset: number; length?: number }, signal?: AbortSignal): Promise<Readable>;
  /** A source read by ranges (checkpoints): the local file, or range reads on the store. */
  source(): Promise<ByteSource>;
  close(): Promise<void>;
}

/** Slices `items` into page `page` of `size`. */
export function pageOf<T>(items: readonly T[], page: number, size: number): Page<T> {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(Math.max(1, page), pages);
  return {
    items: items.slice((current - 1) * size, current * size),
    page: current,
    pages,
    total: items.length,
  };
}

/** The store behind the pages. */
export class StoreAccess {
  constructor(readonly manager: ArtifactManager) {}

  /**
   * Artifact names of a collection, sorted. File stores: one one-level listing of the collection's
   * folder (an artifact whose versions all failed still has a folder; its summary shows 0 versions).
   */
  async artifactNames(collection: string, signal?: AbortSignal): Promise<string[]> {
    validateCollection(collection);
    const manager = this.manager;
    if (!(manager instanceof FileSystemArtifactManager)) {
      return manager.listArtifacts(collection, signal ? { signal } : {});
    }
    const driver = await manager.getDriver();
    const prefix = `${collection}/`;
    const names: string[] = [];
    for await (const entry of driver.list(
      prefix,
      signal ? { delimiter: true, signal } : { delimiter: true },
    )) {
      if (entry.type !== "prefix") continue;
      const name = entry.key.slice(prefix.length, -1);
      if (ARTIFACT_NAME_PATTERN.test(name) && name.length <= 128) names.push(name);
    }
    // Artifact names are ASCII, so UTF-16 order is code point order.
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Summaries of one page of a collection's artifacts (only that page's artifacts are read). */
  async artifactPage(
    collection: string,
    page: number,
    size: number,
    signal?: AbortSignal,
  ): Promise<Page<ArtifactSummary>> {
    const names = pageOf(await this.artifactNames(collection, signal), page, size);
    const items = await mapConcurrent(names.items, (name) => this.summary(collection, name, signal), {
      concurrency: DEFAULT_LISTING_CONCURRENCY,
      signal,
    });
    return { ...names, items };
  }

  /** Version count, latest record and aliases of one artifact. */
  async summary(collection: string, name: string, signal?: AbortSignal): Promise<ArtifactSummary> {
    const options = signal ? { collection, signal } : { collection };
    const [versions, aliases] = await Promise.all([
      this.manager.listVersions(name, options),
      this.manager.listAliases(name, options),
    ]);
    const last = versions.at(-1);
    const latest =
      last === undefined ? undefined : await this.manager.getVersion(name, { ...options, version: last });
    return { name, versions: versions.length, latest, aliases };
  }

  /** Opens a file listed in `record`; NOT_FOUND when the record does not list `path`. */
  async openFile(record: VersionRecord, path: string): Promise<OpenedFile> {
    const entry = record.files.find((file) => file.path === path);
    if (entry === undefined) {
      throw new ArtifactError(
        "NOT_FOUND",
        `version ${record.version} of '${record.name}' has no file '${path}'`,
      );
    }
    if (entry.ref !== undefined) {
      throw new ArtifactError(
        "UNSUPPORTED",
        `'${path}' is a reference to another store; its bytes are not in this one`,
      );
    }
    const manager = this.manager;
    if (manager instanceof FileSystemArtifactManager) {
      const n = parseVersion(record.version);
      if (n === undefined) throw new ArtifactError("NOT_FOUND", `no version '${record.version}'`);
      const driver = await manager.getDriver();
      return driverFile(driver, versionPrefix(record.collection, record.name, n) + path, entry);
    }
    return downloadedFile(manager, record, entry);
  }
}

/** A file read straight from a byte store. */
function driverFile(driver: StorageDriver, key: string, entry: FileEntry): OpenedFile {
  const close = async () => {};
  return {
    entry,
    stream: (range, signal) =>
      driver.read(key, { ...(range ? { range } : {}), ...(signal ? { signal } : {}) }),
    source: async () => {
      const local = driver.localPath?.(key);
      if (local !== undefined) return fileSource(local);
      return driverSource(driver, key, entry.size);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Range reads on the store as a byte source (whole-object reads on a store without ranges). */
function driverSource(driver: StorageDriver, key: string, size: number): ByteSource {
  return {
    size,
    read: async (offset, length) => {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new ArtifactError(
          "CHECKPOINT_INVALID",
          `file is truncated: needs bytes up to ${offset + length}`,
        );
      }
      if (length === 0) return new Uint8Array(0);
      const stream = await driver.read(key, { range: { offset, length } });
      const bytes = await readAll(stream);
      const exact = driver.capabilities.rangeRead ? bytes : bytes.subarray(offset, offset + length);
      if (exact.byteLength !== length) {
        throw new ArtifactError(
          "UNEXPECTED",
          `read ${exact.byteLength} bytes of '${key}' at ${offset}, wanted ${length}`,
        );
      }
      return new Uint8Array(exact.buffer, exact.byteOffset, exact.byteLength).slice();
    },
    close: async () => {},
  };
}

/** A file downloaded (alone) into a temporary folder by the manager (W&B), deleted on close. */
async function downloadedFile(
  manager: ArtifactManager,
  record: VersionRecord,
  entry: FileEntry,
): Promise<OpenedFile> {
  const tmp = await manager.downloadArtifact(record.name, {
    collection: record.collection,
    version: record.version,
    paths: [entry.path],
  });
  const local = join(tmp.path, entry.path);
  const close = () => tmp.cleanup();
  return {
    entry,
    stream: async (range) => {
      if (range === undefined) return createReadStream(local);
      const end = range.length === undefined ? undefined : range.offset + range.length - 1;
      return createReadStream(local, { start: range.offset, ...(end === undefined ? {} : { end }) });
    },
    source: () => fileSource(local),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Reads up to `limit` bytes from the start of a file. */
export async function readHead(file: OpenedFile, limit: number, signal?: AbortSignal): Promise<Buffer> {
  const length = Math.min(limit, file.entry.size);
  if (length === 0) return Buffer.alloc(0);
  const bytes = await readAll(await file.stream({ offset: 0, length }, signal));
  return bytes.subarray(0, length);
}
