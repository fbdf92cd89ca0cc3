/**
 * The local-folder byte store. Keys are files under `root`. Writes go to a hidden temporary file in the
 * same folder and appear in one step: `rename` (overwrite) or `link` (create-only, fails with EEXIST).
 */

import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { link, lstat, mkdir, open, rename, rm, rmdir, unlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ArtifactError, throwIfAborted } from "../errors.js";
import { abortable } from "../storage/body.js";
import type {
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
import { withFileLock } from "../storage/local-lock.js";
import { INTERNAL_PREFIX, statOrNull, walkFolder } from "../storage/local-walk.js";

/** Size of the chunks read from and written to disk. */
export const LOCAL_CHUNK_SIZE = 1024 * 1024;

/** Options of {@link createLocalDriver}. */
export interface LocalDriverOptions {
  /** The store's root folder (created on the first write). Relative paths resolve against the cwd. */
  root: string;
}

/** Creates a driver that stores objects as files under `options.root`. */
export function createLocalDriver(options: LocalDriverOptions): StorageDriver {
  return new LocalDriver(resolve(options.root));
}

class LocalDriver implements StorageDriver {
  readonly backend = "local";
  readonly url: string;
  readonly capabilities = {
    writeIfNotExists: true,
    writeIfMatch: true,
    rangeRead: true,
    multipart: false,
    atomicRenamePrefix: true,
  };

  constructor(readonly root: string) {
    this.url = root;
  }

  localPath(key: string): string {
    validateKey(key, this.backend);
    return join(this.root, key);
  }

  async stat(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    throwIfAborted(options.signal);
    const path = this.localPath(key);
    const info = await statOrNull(path).catch((error) => {
      throw mapFsError(error, "stat", key, path);
    });
    return info && { key, size: info.size, lastModified: info.mtime, etag: info.etag };
  }

  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    throwIfAborted(options.signal);
    const path = this.localPath(key);
    const handle = await open(path, "r").catch((error) => {
      throw mapFsError(error, "read", key, path);
    });
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      throw mapFsError(Object.assign(new Error("not a file"), { code: "ENOENT" }), "read", key, path);
    }
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
      const size = await this.writeTemporary(tmp, body, options);
      throwIfAborted(options.signal);
      await this.publish(tmp, path, key, options);
      const info = await statOrNull(path);
      return { key, size, ...(info ? { etag: info.etag } : {}) };
    } catch (error) {
      await rm(tmp, { force: true });
      throw mapFsError(error, "write", key, path);
    }
  }

  /** Writes the body to a new temporary file (creating folders, retrying if a delete pruned them). */
  private async writeTemporary(tmp: string, body: WriteBody, options: WriteOptions): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      await mkdir(dirname(tmp), { recursive: true });
      try {
        return await writeBodyToFile(tmp, body, options);
      } catch (error) {
        if (
          errnoOf(error) !== "ENOENT" ||
          attempt >= 5 ||
          !(typeof body === "string" || body instanceof Uint8Array)
        )
          throw error;
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
      yield* walkFolder(this.root, folder, prefix.slice(folder.length), !options.delimiter, options.signal);
    } catch (error) {
      throw mapFsError(error, "list", prefix, join(this.root, folder));
    }
  }

  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const path = this.localPath(key);
    try {
      await unlink(path);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === "ENOENT" || errno === "ENOTDIR" || errno === "EISDIR") return;
      throw mapFsError(error, "delete", key, path);
    }
    await this.pruneEmptyFolders(dirname(path));
  }

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
    try {
      await mkdir(dirname(target), { recursive: true });
      await rename(source, target);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === "ENOENT" && !(await folderExists(source))) {
        await this.pruneEmptyFolders(dirname(target));
        throw new ArtifactError(
          "NOT_FOUND",
          `folder '${from}' does not exist in the local store ${this.root}`,
          {
            cause: error,
            context: { backend: this.backend, operation: "renamePrefix", key: from },
          },
        );
      }
      if (errno === "ENOTEMPTY" || errno === "EEXIST" || errno === "ENOTDIR")
        throw alreadyExists(to, this.root);
      throw mapFsError(error, "renamePrefix", from, source);
    }
    await this.pruneEmptyFolders(dirname(source));
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

async function writeBodyToFile(path: string, body: WriteBody, options: WriteOptions): Promise<number> {
  if (typeof body === "string" || body instanceof Uint8Array) {
    const data = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    await writeFile(path, data, { flag: "wx", ...(options.signal ? { signal: options.signal } : {}) });
    options.onBytes?.(data.byteLength);
    return data.byteLength;
  }
  let total = 0;
  const { onBytes, signal } = options;
  async function* count(source: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
      total += bytes.byteLength;
      onBytes?.(total);
      yield bytes;
    }
  }
  await pipeline(
    abortable(body, signal),
    count,
    createWriteStream(path, { flags: "wx", highWaterMark: LOCAL_CHUNK_SIZE }),
  );
  return total;
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
