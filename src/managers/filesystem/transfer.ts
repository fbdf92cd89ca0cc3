/** Moving file sets between local disk and a driver, hashing on the way, with bounded concurrency. */
import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { cacheKeyOf } from "../../cache/cache-key.js";
import { type DownloadCache, fetchThroughCache } from "../../cache/download-cache.js";
import type { ByteBudget } from "../../core/byte-budget.js";
import { validateArtifactPath } from "../../core/names.js";
import type { FileEntry, ProgressListener } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { type ByteLimit, checkByteLimit } from "../../storage/byte-limit.js";
import type { StorageDriver } from "../../storage/driver.js";
import { errnoOf, mapLocalFileError } from "../../storage/fs-errors.js";
import { checkWriteFolder, resolvesInside } from "../../storage/local-contain.js";
import { makeFolders } from "../../storage/make-folders.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { rememberHash } from "./hash-memo.js";
import {
  copyFileHashed,
  copyStoreFileHashed,
  type HashedBytes,
  readLocalFile,
  TINY_FILE_BYTES,
} from "./hashed-copy.js";
import { hashingStream, writeStreamHashed } from "./hashed-stream.js";
import { checkFileUnchanged, checkUnchanged, type LocalFile } from "./local-files.js";
import { type FileConcurrency, mapFiles } from "./map-files.js";
import type { StoreCopy } from "./reuse-plan.js";
import { copyInStore } from "./store-copy.js";

/** Options of the transfers. */
export interface TransferOptions extends FileConcurrency {
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
  /** Bytes uploads may hold in memory at once (see {@link uploadReservation}); none = no byte cap. */
  uploadBudget?: ByteBudget | undefined;
  /** Files copied inside the store instead of uploaded (reuse-plan.ts), by path; a failed copy uploads. */
  copies?: ReadonlyMap<string, StoreCopy> | undefined;
}

/** Default cap on the bytes that a manager's uploads hold in memory at once (256 MiB). */
export const DEFAULT_MAX_UPLOAD_BYTES_IN_FLIGHT = 256 * 1024 * 1024;

/**
 * Bytes the upload of one file of `size` bytes may hold in memory: nothing for a copy into a local
 * store, else at most what one driver write buffers (the whole file when the driver does not say)
 * or, for tiny files, the file itself (read whole).
 */
export function uploadReservation(driver: StorageDriver, size: number): number {
  if (driver.localPath) return 0;
  const perWrite = driver.capabilities.writeBufferBytes ?? size;
  return Math.min(size, Math.max(perWrite, TINY_FILE_BYTES));
}

/** Creates folders once per transfer (many files share a parent), each checked by `check` before and after. */
function folderMaker(check?: (path: string) => Promise<void>): (path: string) => Promise<void> {
  const made = new Map<string, Promise<unknown>>();
  return async (path) => {
    let pending = made.get(path);
    if (pending === undefined) {
      pending = check
        ? check(path)
            .then(() => makeFolders(path))
            .then(() => check(path))
        : makeFolders(path);
      made.set(path, pending);
    }
    await pending;
  };
}

type BytesCallback = ((bytes: number) => void) | undefined;

/** Per-file progress: `file` events with the bytes copied so far. */
function fileProgress(onProgress: ProgressListener | undefined, path: string, size: number): BytesCallback {
  return onProgress && ((bytes: number) => onProgress({ type: "file", path, bytes, totalBytes: size }));
}

/** Uploads local files to `prefix + file.path` and returns their record entries (sha256 computed once). */
export async function uploadFiles(
  driver: StorageDriver,
  files: readonly LocalFile[],
  prefix: string,
  options: TransferOptions,
): Promise<FileEntry[]> {
  const { signal, onProgress } = options;
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  onProgress?.({ type: "start", operation: "upload", files: files.length, totalBytes });
  // A linked folder in a local store (meta/staging, v<N>/) would take the files out of the store.
  const makeFolder = folderMaker(
    driver.localPath ? (folder) => checkWriteFolder(driver.url, folder, prefix) : undefined,
  );
  const entries = await mapFiles(
    driver,
    files,
    (file) => file.size,
    async (file) => {
      const copy = options.copies?.get(file.path);
      if (copy !== undefined) {
        const copied = await copyInStore(driver, file, copy, prefix, signal);
        if (copied !== null) {
          onProgress?.({ type: "file", path: file.path, bytes: copied.size, totalBytes: file.size });
          onProgress?.({ type: "file-done", path: file.path, size: copied.size, copied: true });
          return { path: file.path, size: copied.size, sha256: copied.sha256 };
        }
      }
      const started = Date.now();
      const upload = () =>
        uploadOne(driver, file, prefix, makeFolder, signal, fileProgress(onProgress, file.path, file.size));
      const reserve = uploadReservation(driver, file.size);
      // A file bigger than the whole budget takes all of it and goes alone (ByteBudget), never deadlocks.
      const result =
        options.uploadBudget && reserve > 0
          ? await options.uploadBudget.use(reserve, upload, signal)
          : await upload();
      // Checked unchanged after its read (uploadOne): the next log in this process need not read it again.
      await rememberHash(file.source, result.sha256, started);
      onProgress?.({ type: "file-done", path: file.path, size: result.size });
      return { path: file.path, size: result.size, sha256: result.sha256 };
    },
    options,
  );
  onProgress?.({ type: "done", operation: "upload", files: files.length, bytes: sum(entries) });
  return entries;
}

/** One file: a hashed local copy when the driver is a local folder, else a hashed stream to `write`. */
async function uploadOne(
  driver: StorageDriver,
  file: LocalFile,
  prefix: string,
  makeFolder: (path: string) => Promise<void>,
  signal: AbortSignal | undefined,
  onBytes: BytesCallback,
): Promise<HashedBytes> {
  if (driver.localPath) {
    const target = driver.localPath(prefix + file.path);
    await makeFolder(dirname(target));
    const copied = await copyFileHashed(file.source, target, { signal, onBytes }, file.size).catch(
      (error: unknown) => {
        throw mapLocalFileError(error, "copying", `${file.source} to ${target}`);
      },
    );
    await checkFileUnchanged(file, copied.size, driver.backend);
    return copied;
  }
  const tiny = file.size <= TINY_FILE_BYTES ? readTinyFile(file.source) : null;
  if (tiny !== null) {
    // Checked before the write: the bytes in memory are what gets stored.
    checkTinyUnchanged(file, tiny.length, driver.backend);
    // One in-memory body: no stream per file, and the retry layer can resend it.
    await driver.write(prefix + file.path, tiny, { size: tiny.length, ...(signal ? { signal } : {}) });
    onBytes?.(tiny.length);
    return { size: tiny.length, sha256: createHash("sha256").update(tiny).digest("hex") };
  }
  const hashing = hashingStream(readLocalFile(file.source), { signal, onBytes });
  // A read error of the local file surfaces through the body stream (driver errors pass through).
  await driver
    .write(prefix + file.path, hashing.stream, { size: file.size, ...(signal ? { signal } : {}) })
    .catch((error: unknown) => {
      throw mapLocalFileError(error, "reading", file.source);
    });
  const sent = hashing.result();
  await checkFileUnchanged(file, sent.size, driver.backend);
  return sent;
}

/** The same check for a tiny file read in one call, before its write: a synchronous stat (microseconds). */
function checkTinyUnchanged(file: LocalFile, bytesRead: number, backend: string): void {
  let now: { size: number; mtimeMs: number };
  try {
    now = statSync(file.source);
  } catch (error) {
    throw mapLocalFileError(error, "reading", file.source);
  }
  checkUnchanged(file, { bytesRead, size: now.size, mtimeMs: now.mtimeMs }, backend);
}

/** A tiny local file read in one synchronous call (microseconds); null when it grew past the limit. */
function readTinyFile(source: string): Buffer | null {
  let data: Buffer;
  try {
    data = readFileSync(source);
  } catch (error) {
    throw mapLocalFileError(error, "reading", source);
  }
  return data.length <= TINY_FILE_BYTES ? data : null;
}

/**
 * Downloads `prefix + entry.path` for every entry into `folder`, checking size and sha256 against the
 * entry when it has one. Throws `CHECKSUM_MISMATCH` for a corrupt or missing file. With a `cache`, files
 * with a sha256 come from it, or are downloaded into it first (src/cache/download-cache.ts).
 */
export async function downloadFiles(
  driver: StorageDriver,
  entries: readonly FileEntry[],
  prefix: string,
  folder: string,
  options: TransferOptions & { cache?: DownloadCache | undefined },
): Promise<FileEntry[]> {
  const { signal, onProgress } = options;
  const totalBytes = entries.reduce((total, entry) => total + entry.size, 0);
  onProgress?.({ type: "start", operation: "download", files: entries.length, totalBytes });
  const makeFolder = folderMaker();
  const result = await mapFiles(
    driver,
    entries,
    (entry) => entry.size,
    async (entry) => {
      const target = localTarget(folder, entry.path, prefix);
      await makeFolder(dirname(target));
      const onBytes = fileProgress(onProgress, entry.path, entry.size);
      const fetch = async (dest: string) => {
        const fetched = await fetchOne(driver, prefix + entry.path, dest, { signal, onBytes }, entry.size);
        checkEntry(entry, fetched, prefix);
        return fetched;
      };
      const key = cacheKeyOf("sha256", entry.sha256);
      const got = await fetchThroughCache(options.cache, key, { target, size: entry.size }, fetch, () => {
        onBytes?.(entry.size);
        return { size: entry.size, sha256: key?.hex ?? "" };
      });
      onProgress?.({ type: "file-done", path: entry.path, size: got.size });
      return { path: entry.path, size: got.size, sha256: got.sha256 };
    },
    options,
  );
  onProgress?.({ type: "done", operation: "download", files: entries.length, bytes: sum(result) });
  return result;
}

/**
 * The local path of a downloaded file. Records and legacy listings are checked when read; this is the
 * last line of defence: the path must be clean and the target must stay inside `folder`.
 */
export function localTarget(folder: string, path: string, prefix: string): string {
  let clean: string | undefined;
  try {
    clean = validateArtifactPath(path, "path");
  } catch {
    clean = undefined;
  }
  const root = resolve(folder);
  const target = resolve(root, ...path.split("/"));
  const inside = relative(root, target);
  if (
    clean !== path ||
    inside === "" ||
    inside === ".." ||
    inside.startsWith(`..${sep}`) ||
    isAbsolute(inside)
  ) {
    throw new ArtifactError(
      "UNEXPECTED",
      `refusing to download '${prefix}${path}': its path would leave the download folder; the store's record or listing is corrupt`,
      { context: { operation: "download", key: prefix + path } },
    );
  }
  return target;
}

async function fetchOne(
  driver: StorageDriver,
  key: string,
  target: string,
  options: { signal?: AbortSignal | undefined; onBytes?: BytesCallback },
  sizeHint: number,
): Promise<HashedBytes> {
  try {
    // A download is not a commit: like cp, it leaves flushing to the kernel (fsync here cost 3-5x on
    // small files; bench/README.md). Local logs are durable (log-version, hashed-copy).
    // Every driver's answer stops at the record's size: a longer object never fills the disk.
    const limit = { maxBytes: sizeHint, key, backend: driver.backend };
    if (driver.localPath) {
      const store = { root: driver.url, path: driver.localPath(key), key };
      return await copyStoreFileHashed(store, target, { ...options, limit }, sizeHint);
    }
    const stream = await driver.read(key, options.signal ? { signal: options.signal } : {});
    if (sizeHint <= TINY_FILE_BYTES) return await writeTinyHashed(stream, target, { ...options, limit });
    return await writeStreamHashed(stream, target, { ...options, limit });
  } catch (error) {
    const missing =
      errnoOf(error) === "ENOENT" || (error instanceof ArtifactError && error.code === "NOT_FOUND");
    if (!missing || (errnoOf(error) === "ENOENT" && !driver.localPath)) {
      throw mapLocalFileError(error, "downloading", `'${key}' to ${target}`);
    }
    throw new ArtifactError(
      "CHECKSUM_MISMATCH",
      `file '${key}' listed in the commit record is missing from the store`,
      {
        cause: error,
        context: { backend: driver.backend, operation: "download", key },
      },
    );
  }
}

/**
 * A tiny object (by its record) is gathered in memory and written in one synchronous call: no write
 * stream per file. More bytes than the record's size stop the read with CHECKSUM_MISMATCH, before
 * anything is written.
 */
async function writeTinyHashed(
  stream: Readable,
  target: string,
  options: { onBytes?: BytesCallback; limit: ByteLimit },
): Promise<HashedBytes> {
  const hash = createHash("sha256");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    checkByteLimit(size, options.limit);
    hash.update(buffer);
    chunks.push(buffer);
  }
  writeFileSync(target, Buffer.concat(chunks, size), { flag: "wx" });
  options.onBytes?.(size);
  return { size, sha256: hash.digest("hex") };
}

function checkEntry(entry: FileEntry, got: HashedBytes, prefix: string): void {
  if (entry.sha256 === undefined && entry.size === got.size) return;
  if (entry.size === got.size && entry.sha256 === got.sha256) return;
  throw new ArtifactError(
    "CHECKSUM_MISMATCH",
    `file '${prefix}${entry.path}' is corrupt: expected ${entry.size} bytes with sha256 ${entry.sha256 ?? "(none)"}, got ${got.size} bytes with sha256 ${got.sha256}; the stored copy was changed or damaged`,
    { context: { operation: "download", key: prefix + entry.path } },
  );
}

/** Deletes every object under `prefix` (a whole folder at once on local disk). Best effort callers catch. */
export async function deletePrefix(
  driver: StorageDriver,
  prefix: string,
  signal?: AbortSignal,
): Promise<void> {
  if (driver.localPath && prefix.endsWith("/")) {
    const folder = driver.localPath(prefix.slice(0, -1));
    // rm removes a linked folder's link, but would empty a folder reached through a linked parent.
    if (await resolvesInside(driver.url, dirname(folder))) await rm(folder, { recursive: true, force: true });
    return;
  }
  const keys: string[] = [];
  for await (const entry of driver.list(prefix, signal ? { signal } : {}))
    if (entry.type === "object") keys.push(entry.key);
  await mapConcurrent(keys, (key) => driver.delete(key), { concurrency: 16, signal });
}

function sum(entries: readonly FileEntry[]): number {
  return entries.reduce((total, entry) => total + entry.size, 0);
}
