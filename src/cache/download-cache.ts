/**
 * The shared download cache: verified files keyed by their content digest (cache-files.ts has the
 * layout), shared by every process of the user and every store.
 *
 * - A file enters the cache only whole and verified: it is downloaded to `tmp/`, checked against the
 *   record by the caller's `fetch`, copied to its target, made read-only and renamed into `files/` (one
 *   atomic step: another process sees the whole file or none).
 * - A file leaves the cache by copy (`copyFile` with `COPYFILE_FICLONE`: a reflink on btrfs, XFS, APFS,
 *   a kernel copy elsewhere), never by hard link: the user's file is its own inode, so editing it
 *   (even after a chmod) never changes the cache. The copy gets a new file's mode, not read-only.
 * - Least recently used files are removed past `maxBytes`. A file being copied out is safe: the copy
 *   holds it open, and a removed file's bytes stay readable to whoever has it open; a copy that finds
 *   the file gone downloads it instead. A download copies its own misses from `tmp/`, before they are
 *   published, so a concurrent eviction never takes a file from under it.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import {
  chmod,
  copyFile,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { ArtifactError } from "../errors.js";
import { errnoOf } from "../storage/fs-errors.js";
import { DEFAULT_CACHE_MAX_BYTES, parseByteSize } from "./byte-size.js";
import {
  cachedPath,
  filesDir,
  hashesDir,
  listCachedFiles,
  listTmpFiles,
  tmpDir,
  tmpName,
} from "./cache-files.js";
import type { CacheKey } from "./cache-key.js";
import { defaultCacheDir } from "./cache-location.js";

/** Where the cache is and how big it may grow. */
export interface DownloadCacheOptions {
  /** The cache folder. @default `$ARTIFACTS_CACHE_DIR`, else the platform cache folder (see docs/cache.md) */
  dir?: string;
  /** Bytes the cache keeps; least recently used files go past it. @default `$ARTIFACTS_CACHE_MAX`, else 10 GiB */
  maxBytes?: number;
}

/** What {@link DownloadCache.info} reports. */
export interface CacheInfo {
  dir: string;
  maxBytes: number;
  /** Verified files in the cache and their bytes. */
  files: number;
  bytes: number;
  /** Downloads in progress (or killed and not cleaned yet) in `tmp/`. */
  partialFiles: number;
  partialBytes: number;
}

/** What {@link DownloadCache.prune} and {@link DownloadCache.clear} removed and what is left. */
export interface CachePruneResult {
  dir: string;
  maxBytes: number;
  removedFiles: number;
  removedBytes: number;
  files: number;
  bytes: number;
}

const COPY_FLAGS = constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE;
const TAG =
  "Signature: 8a477f597d28d172789f06886806bc55\n# artifact-manager download cache (docs/cache.md)\n";

/** A download cache folder. Cheap to create; nothing is touched on disk before the first download. */
export class DownloadCache {
  readonly dir: string;
  readonly maxBytes: number;
  #added = false;
  #fileMode: Promise<number> | undefined;
  #tagged: Promise<void> | undefined;

  constructor(options: DownloadCacheOptions = {}) {
    const { dir, maxBytes } = options;
    if (dir !== undefined && (typeof dir !== "string" || dir === "")) {
      throw new ArtifactError("INVALID_ARGUMENT", "the cache `dir` option must be a folder path");
    }
    if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `Expected the cache \`maxBytes\` option to be a non-negative integer (bytes), got \`${maxBytes}\``,
      );
    }
    this.dir = dir ?? defaultCacheDir();
    this.maxBytes = maxBytes ?? envMaxBytes();
  }

  /** Where the file with this digest is (or would be) kept. */
  pathOf(key: CacheKey): string {
    return cachedPath(this.dir, key);
  }

  /**
   * Gets the file with digest `key` into `target` (a new file): from the cache when it is there (and,
   * when `size` is given, has that size), else by `fetch(dest)`, which must write the file to `dest`
   * and throw unless it matches `key`; the file then enters the cache too. Returns `fetch`'s result, or
   * `null` for a cache hit.
   */
  async fetch<T>(
    key: CacheKey,
    target: string,
    size: number | undefined,
    fetch: (dest: string) => Promise<T>,
  ): Promise<T | null> {
    if (await this.take(key, target, size)) return null;
    return this.fill(key, target, fetch);
  }

  /** Copies the cached file to `target` (a new file) and marks it used; false when it is not cached. */
  async take(key: CacheKey, target: string, size?: number): Promise<boolean> {
    const path = this.pathOf(key);
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined); // the LRU clock; a missing file fails below
    try {
      await copyFile(path, target, COPY_FLAGS);
    } catch (error) {
      if (errnoOf(error) === "EEXIST") throw error; // `target` was there before: not ours to remove
      await rm(target, { force: true }); // a copy that failed halfway (a full disk)
      return false; // not cached (or evicted a moment ago, or unreadable): download it
    }
    const copied = await stat(target);
    if (size !== undefined && copied.size !== size) {
      // Damaged (not by us: files enter whole and read-only): drop it and download again.
      await rm(target, { force: true });
      await unlink(path).catch(() => undefined);
      return false;
    }
    await chmod(target, await this.#newFileMode()); // copyFile copied the cache's read-only mode
    return true;
  }

  /** Downloads with `fetch` into `tmp/`, then copies to `target` and publishes into the cache. */
  async fill<T>(key: CacheKey, target: string, fetch: (dest: string) => Promise<T>): Promise<T> {
    const tmp = await this.#tmpPath().catch(() => undefined);
    if (tmp === undefined) return fetch(target); // the cache folder cannot be written: download uncached
    try {
      const result = await fetch(tmp);
      await copyFile(tmp, target, COPY_FLAGS);
      await this.#publish(tmp, key).catch(() => undefined); // a cache that fails to keep it costs a re-download
      return result;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Prunes to `maxBytes` when this cache object added files since its last prune. Never throws. */
  async trim(): Promise<void> {
    if (!this.#added) return;
    this.#added = false;
    await this.prune().catch(() => undefined);
  }

  /**
   * Removes least recently used files until the cache holds at most `maxBytes` (default: the cache's
   * cap), and temporary files of downloads that died. Downloads in progress are not disturbed.
   */
  async prune(options: { maxBytes?: number } = {}): Promise<CachePruneResult> {
    const maxBytes = options.maxBytes ?? this.maxBytes;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `Expected \`maxBytes\` to be a non-negative integer, got \`${maxBytes}\``,
      );
    }
    for (const file of await listTmpFiles(this.dir)) {
      if (file.stale) await rm(file.path, { force: true }).catch(() => undefined);
    }
    const files = (await listCachedFiles(this.dir)).sort((a, b) => a.usedAt - b.usedAt);
    let bytes = files.reduce((total, file) => total + file.size, 0);
    let removedFiles = 0;
    let removedBytes = 0;
    for (const file of files) {
      if (bytes <= maxBytes) break;
      // Gone already (another process pruned it) counts as gone; one we cannot delete stays counted.
      const removed = await unlink(file.path).then(
        () => true,
        (error: unknown) => errnoOf(error) === "ENOENT",
      );
      if (!removed) continue;
      bytes -= file.size;
      removedFiles += 1;
      removedBytes += file.size;
    }
    return { dir: this.dir, maxBytes, removedFiles, removedBytes, files: files.length - removedFiles, bytes };
  }

  /** Removes every cached file, dead downloads' temporary files and the hash records of logged folders. Downloads in progress finish. */
  async clear(): Promise<CachePruneResult> {
    const result = await this.prune({ maxBytes: 0 });
    await removeEmptyFolders(filesDir(this.dir));
    await rm(hashesDir(this.dir), { recursive: true, force: true }); // the hashes of logged files too
    return { ...result, maxBytes: this.maxBytes };
  }

  /** How many files and bytes the cache holds. */
  async info(): Promise<CacheInfo> {
    const files = await listCachedFiles(this.dir);
    const partial = await listTmpFiles(this.dir);
    return {
      dir: this.dir,
      maxBytes: this.maxBytes,
      files: files.length,
      bytes: files.reduce((total, file) => total + file.size, 0),
      partialFiles: partial.length,
      partialBytes: partial.reduce((total, file) => total + file.size, 0),
    };
  }

  /** A fresh temporary path in `tmp/` (the folder and CACHEDIR.TAG made on first use). */
  async #tmpPath(): Promise<string> {
    const folder = tmpDir(this.dir);
    await mkdir(folder, { recursive: true });
    this.#tagged ??= writeFile(join(this.dir, "CACHEDIR.TAG"), TAG, { flag: "wx" }).catch(() => undefined);
    await this.#tagged;
    return join(folder, tmpName(randomBytes(6).toString("hex")));
  }

  /** Makes the verified file read-only and renames it into `files/` (retried when a clear removed its folder). */
  async #publish(tmp: string, key: CacheKey): Promise<void> {
    await chmod(tmp, 0o444);
    const path = this.pathOf(key);
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(dirname(path), { recursive: true });
        await rename(tmp, path);
        this.#added = true;
        return;
      } catch (error) {
        if (errnoOf(error) === "ENOENT" && attempt < 3) continue; // a concurrent clear removed the folder
        if (
          await stat(path).then(
            () => true,
            () => false,
          )
        )
          return; // Windows: it is cached already
        throw error;
      }
    }
  }

  /** The mode a new file gets here (0o666 less the umask), for copies out of the read-only cache. */
  #newFileMode(): Promise<number> {
    this.#fileMode ??= (async () => {
      const probe = await this.#tmpPath();
      const handle = await open(probe, "wx");
      try {
        return (await handle.stat()).mode & 0o777;
      } finally {
        await handle.close();
        await rm(probe, { force: true });
      }
    })().catch(() => 0o644);
    return this.#fileMode;
  }
}

/** `ARTIFACTS_CACHE_MAX`, else {@link DEFAULT_CACHE_MAX_BYTES}. */
function envMaxBytes(): number {
  const text = process.env.ARTIFACTS_CACHE_MAX;
  if (text === undefined || text === "") return DEFAULT_CACHE_MAX_BYTES;
  return parseByteSize(text, "ARTIFACTS_CACHE_MAX");
}

/** Removes the shard folders left empty (one with a file in it stays: rmdir fails). */
async function removeEmptyFolders(root: string): Promise<void> {
  for (const algorithm of await readdir(root).catch(() => [])) {
    const folder = join(root, algorithm);
    for (const shard of await readdir(folder).catch(() => [])) {
      await rmdir(join(folder, shard)).catch(() => undefined);
    }
    await rmdir(folder).catch(() => undefined);
  }
}

/**
 * `fetch(target)` through `cache`: when there is a cache and a key, a cached file is copied to
 * `target` (and `onHit()` gives the result), else `fetch` downloads it into the cache first. Without
 * either, `fetch(target)` as it is.
 */
export async function fetchThroughCache<T>(
  cache: DownloadCache | undefined,
  key: CacheKey | undefined,
  file: { target: string; size: number | undefined },
  fetch: (dest: string) => Promise<T>,
  onHit: () => T,
): Promise<T> {
  if (cache === undefined || key === undefined) return fetch(file.target);
  const got = await cache.fetch(key, file.target, file.size, fetch);
  return got === null ? onHit() : got;
}
