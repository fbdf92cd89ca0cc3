/**
 * The local-folder byte store. Keys are files under `root`. Writes go to a hidden temporary file in the
 * same folder and appear in one step: `rename` (overwrite) or `link` (create-only, fails with EEXIST).
 * Durable: the temporary file is fsynced before it appears and its folder after (src/storage/local-sync.ts).
 */

import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  rmdir,
  unlink,
} from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { ArtifactError, throwIfAborted } from "../errors.js";
import { abortable } from "../storage/body.js";
import type {
  CopyOptions,
  CopyResult,
  DriverCallOptions,
  ListEntry,
  ListOptions,
  ObjectInfo,
  ReadOptions,
  StorageDriver,
  WriteBody,
  WriteOptions,
  WriteResult,
} from "../storage/driver.js";
import { errnoOf, mapFsError } from "../storage/fs-errors.js";
import { folderOf, validateKey, validatePrefix } from "../storage/keys.js";
import { checkWriteFolder, openStoreFile, resolvesInside } from "../storage/local-contain.js";
import { withFileLock } from "../storage/local-lock.js";
import { makeFoldersDurable, syncFolder } from "../storage/local-sync.js";
import { INTERNAL_PREFIX, statOrNull, walkFolder } from "../storage/local-walk.js";
import { mapConcurrent } from "../util/map-concurrent.js";
import { copyLocalFile, type LocalCopyTarget } from "./local-copy.js";

/** Size of the chunks read from and written to disk. */
export const LOCAL_CHUNK_SIZE = 1024 * 1024;

/** Times a `write` creates its folder and opens its temporary file before giving up (ENOENT). */
const MAX_FOLDER_ATTEMPTS = 8;

/**
 * Points inside the driver's steps where tests run code to force a race window deterministically
 * (another process deleting or creating a folder at exactly that moment). Not for production use.
 */
export interface LocalDriverHooks {
  /** After `write` created the folder of its temporary file, before it opens the file. */
  afterMkdir?: (folder: string) => void | Promise<void>;
  /** After `renamePrefix` created its empty target folder, before it renames the source onto it. */
  beforeRename?: (target: string) => void | Promise<void>;
}

/** Options of {@link createLocalDriver}. */
export interface LocalDriverOptions {
  /** The store's root folder (created on the first write). Relative paths resolve against the cwd. */
  root: string;
  /** Test hooks (see {@link LocalDriverHooks}). @default {} */
  hooks?: LocalDriverHooks;
}

/** Creates a driver that stores objects as files under `options.root`. */
export function createLocalDriver(options: LocalDriverOptions): StorageDriver {
  return new LocalDriver(resolve(options.root), options.hooks ?? {});
}

class LocalDriver implements StorageDriver, LocalCopyTarget {
  readonly backend = "local";
  readonly url: string;
  readonly capabilities = {
    writeIfNotExists: true,
    writeIfMatch: true,
    rangeRead: true,
    multipart: false,
    atomicRenamePrefix: true,
  };

  constructor(
    readonly root: string,
    private readonly hooks: LocalDriverHooks,
  ) {
    this.url = root;
  }

  localPath(key: string): string {
    validateKey(key, this.backend);
    return join(this.root, key);
  }

  async stat(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    throwIfAborted(options.signal);
    const path = this.localPath(key);
    const info = await this.containedStat(path).catch((error) => {
      throw mapFsError(error, "stat", key, path);
    });
    return info && { key, size: info.size, lastModified: info.mtime, etag: info.etag };
  }

  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    throwIfAborted(options.signal);
    const path = this.localPath(key);
    // Only a regular file inside the root is read: no link out of the store, no FIFO or device.
    const { handle, size } = await openStoreFile(this.root, path, key).catch((error) => {
      throw mapFsError(error, "read", key, path);
    });
    const info = { size };
    const start = options.range?.offset ?? 0;
    const length = options.range?.length;
    if (length === 0 || start >= info.size) {
      await handle.close();
      return Readable.from([]);
    }
    const end = length === undefined ? undefined : start + length - 1;
    const stream = createReadStream("", {
      fd: handle,
      start,
      highWaterMark: LOCAL_CHUNK_SIZE,
      autoClose: true,
      ...(end === undefined ? {} : { end }),
    });
    if (options.signal)
      options.signal.addEventListener("abort", () => stream.destroy(options.signal?.reason), { once: true });
    return stream;
  }

  async write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    throwIfAborted(options.signal);
    const path = this.localPath(key);
    const tmp = join(dirname(path), `${INTERNAL_PREFIX}tmp-${randomBytes(8).toString("hex")}`);
    try {
      const size = await writeBodyToFile(await this.createTemporary(tmp, key), body, options);
      throwIfAborted(options.signal);
      await this.publish(tmp, path, key, options);
      // The new name is on disk only once its folder is synced.
      await syncFolder(dirname(path));
      const info = await statOrNull(path);
      return { key, size, ...(info ? { etag: info.etag } : {}) };
    } catch (error) {
      await rm(tmp, { force: true });
      throw mapFsError(error, "write", key, path);
    }
  }

  /** A reflink copy into a temporary file, renamed onto `to` (local-copy.ts). */
  copy(from: string, to: string, options: CopyOptions = {}): Promise<CopyResult> {
    return copyLocalFile(this, from, to, options);
  }

  /** A link that leaves the root is no object here (listings skip it too; a read refuses it). */
  async containedStat(path: string): ReturnType<typeof statOrNull> {
    const info = await statOrNull(path);
    return info && (await resolvesInside(this.root, path)) ? info : null;
  }

  /**
   * Creates the temporary file and its folders. A concurrent `delete` prunes folders it emptied, so
   * the folder may vanish inside the recursive `mkdir` (which then fails with ENOENT) or between it and
   * the `open`: both run again (the file, once created, keeps its folder from being pruned).
   */
  async createTemporary(tmp: string, key: string): Promise<FileHandle> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A linked folder (e.g. meta/staging) would take the file out of the store before it is published:
        // checked before the mkdir (no folder made where the link points) and after it (a link swapped in).
        await checkWriteFolder(this.root, dirname(tmp), key);
        await makeFoldersDurable(dirname(tmp));
        await this.hooks.afterMkdir?.(dirname(tmp));
        await checkWriteFolder(this.root, dirname(tmp), key);
        return await open(tmp, "wx");
      } catch (error) {
        if (errnoOf(error) !== "ENOENT" || attempt >= MAX_FOLDER_ATTEMPTS) throw error;
      }
    }
  }

  private async publish(tmp: string, path: string, key: string, options: WriteOptions): Promise<void> {
    if (options.ifNotExists) {
      await link(tmp, path).catch((error) => {
        if (errnoOf(error) === "EEXIST") throw alreadyExists(key, this.root);
        throw error;
      });
      await unlink(tmp);
      return;
    }
    const { ifMatch } = options;
    if (ifMatch === undefined) return rename(tmp, path);
    await withFileLock(
      `${dirname(path)}/${INTERNAL_PREFIX}lock-${key.slice(folderOf(key).length)}`,
      async () => {
        const current = await statOrNull(path);
        if (current?.etag !== ifMatch) {
          throw new ArtifactError("CONFLICT", `object '${key}' changed since it was read (etag mismatch)`, {
            context: { backend: this.backend, operation: "write", key },
          });
        }
        await rename(tmp, path);
      },
    );
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<ListEntry> {
    validatePrefix(prefix, this.backend);
    const folder = folderOf(prefix);
    try {
      // A listed folder reached through a link out of the store lists nothing (sub-folders: local-walk).
      if (folder !== "" && !(await resolvesInside(this.root, join(this.root, folder)))) return;
      yield* walkFolder(this.root, folder, prefix.slice(folder.length), !options.delimiter, options.signal);
    } catch (error) {
      throw mapFsError(error, "list", prefix, join(this.root, folder));
    }
  }

  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const path = this.localPath(key);
    // Under a folder linked out of the store there is no object of the store: nothing outside is deleted.
    if (!(await resolvesInside(this.root, dirname(path)))) return;
    try {
      await unlink(path);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === "ENOENT" || errno === "ENOTDIR" || errno === "EISDIR") return;
      throw mapFsError(error, "delete", key, path);
    }
    await this.pruneEmptyFolders(dirname(path));
  }

  /**
   * Makes `to` exclusively (an existing folder, even an empty one, is ALREADY_EXISTS: Python scaffold
   * creates `v<N>/` before it copies in), then renames `from` onto that empty folder, which rename(2)
   * replaces atomically. Files someone put into `to` in between make the rename fail: they stay.
   * Every folder under `from` is synced before the rename, the two parents after it.
   */
  async renamePrefix(from: string, to: string, options: DriverCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    for (const prefix of [from, to]) {
      validatePrefix(prefix, this.backend);
      if (!prefix.endsWith("/") || prefix === "/")
        throw new ArtifactError(
          "INVALID_ARGUMENT",
          `renamePrefix needs folder prefixes ending in '/', got '${prefix}'`,
        );
    }
    const source = join(this.root, from);
    const target = join(this.root, to);
    let created = false;
    try {
      await syncTree(source);
      throwIfAborted(options.signal);
      await checkWriteFolder(this.root, dirname(target), to);
      await makeFoldersDurable(dirname(target));
      await checkWriteFolder(this.root, dirname(target), to);
      await mkdir(target);
      created = true;
      await this.hooks.beforeRename?.(target);
      await rename(source, target);
    } catch (error) {
      // Only an empty folder goes: files someone put into the folder we made are theirs.
      if (created) await rmdir(target).catch(() => {});
      throw await this.renameError(error, from, to, source, target);
    }
    await Promise.all([syncFolder(dirname(target)), syncFolder(dirname(source))]);
    await this.pruneEmptyFolders(dirname(source));
  }

  private async renameError(
    error: unknown,
    from: string,
    to: string,
    source: string,
    target: string,
  ): Promise<unknown> {
    const errno = errnoOf(error);
    if ((errno === "ENOENT" || errno === "ENOTDIR") && !(await folderExists(source))) {
      await this.pruneEmptyFolders(dirname(target));
      return new ArtifactError(
        "NOT_FOUND",
        `folder '${from}' does not exist in the local store ${this.root}`,
        {
          cause: error,
          context: { backend: this.backend, operation: "renamePrefix", key: from },
        },
      );
    }
    if (errno === "ENOTEMPTY" || errno === "EEXIST" || errno === "ENOTDIR") {
      return new ArtifactError("ALREADY_EXISTS", `'${to}' already exists in the local store ${this.root}`, {
        cause: error,
        context: { backend: this.backend, operation: "renamePrefix", key: to },
      });
    }
    return mapFsError(error, "renamePrefix", from, source);
  }

  /** Removes empty folders from `folder` up to (not including) the root, like an object store would. */
  private async pruneEmptyFolders(folder: string): Promise<void> {
    let current = folder;
    while (current.startsWith(this.root) && current.length > this.root.length) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = dirname(current);
    }
  }
}

/** Writes the body to the new file `handle`, fdatasyncs it and closes it; returns the byte count. */
async function writeBodyToFile(handle: FileHandle, body: WriteBody, options: WriteOptions): Promise<number> {
  const { onBytes, signal } = options;
  let total = 0;
  try {
    if (typeof body === "string" || body instanceof Uint8Array) {
      const data = typeof body === "string" ? Buffer.from(body, "utf8") : body;
      await handle.writeFile(data, signal ? { signal } : {});
      total = data.byteLength;
      onBytes?.(total);
    } else {
      for await (const chunk of abortable(body, signal)) {
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
        for (let at = 0; at < bytes.byteLength; ) at += (await handle.write(bytes, at)).bytesWritten;
        total += bytes.byteLength;
        onBytes?.(total);
      }
    }
    // Bytes first, name second: a power cut must never leave the name pointing at a short file.
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return total;
}

/** fsyncs `folder` and every folder under it (their entries; the files were synced by their writers). */
async function syncTree(folder: string): Promise<void> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const folders = [folder, ...entries.filter((e) => e.isDirectory()).map((e) => join(e.parentPath, e.name))];
  await mapConcurrent(folders, syncFolder, { concurrency: 16 });
}

async function folderExists(path: string): Promise<boolean> {
  return lstat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

function alreadyExists(key: string, root: string): ArtifactError {
  return new ArtifactError("ALREADY_EXISTS", `'${key}' already exists in the local store ${root}`, {
    context: { backend: "local", operation: "write", key },
  });
}
