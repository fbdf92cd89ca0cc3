/**
 * The local store stays inside its root. Someone who can write to the store can plant symbolic links,
 * FIFOs and devices: a read resolves the path and refuses anything that leads out of the root's real
 * path, opens the result with `O_NOFOLLOW | O_NONBLOCK` (a link swapped in meanwhile fails, a FIFO does
 * not block the open) and reads only regular files (fstat after the open). On Linux the opened file's
 * own path (`/proc/self/fd`) is checked again, which closes the window between the resolve and the open.
 * Folders the driver writes into must not be links at all.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readlinkSync,
  readSync,
  realpathSync,
  type Stats,
} from "node:fs";
import { type FileHandle, open, readlink, realpath } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { ArtifactError } from "../errors.js";
import { errnoOf } from "./fs-errors.js";

/** Flags of every read of a store file (O_NOFOLLOW and O_NONBLOCK do not exist on Windows: 0 there). */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

const realRoots = new Map<string, string>();

async function realRoot(root: string): Promise<string> {
  const known = realRoots.get(root);
  if (known !== undefined) return known;
  const real = await realpath(root);
  realRoots.set(root, real);
  return real;
}

function realRootSync(root: string): string {
  const known = realRoots.get(root);
  if (known !== undefined) return known;
  const real = realpathSync.native(root);
  realRoots.set(root, real);
  return real;
}

function isInside(realRootPath: string, real: string): boolean {
  const withSep = realRootPath.endsWith(sep) ? realRootPath : realRootPath + sep;
  return real === realRootPath || real.startsWith(withSep);
}

function outside(root: string, key: string, path: string, real: string, operation: string): ArtifactError {
  return new ArtifactError(
    "UNEXPECTED",
    `local store ${root}: '${key}' is a symbolic link (at ${path}) that leads out of the store, to ${real}; refusing to ${operation} it. Remove the link, or copy the file into the store`,
    { context: { backend: "local", operation, key, path } },
  );
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return "a FIFO";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  if (info.isSocket()) return "a socket";
  return "not a regular file";
}

function notRegular(root: string, key: string, path: string, info: Stats): Error {
  // A folder is no object (as on an object store): NOT_FOUND, as before.
  if (info.isDirectory()) return Object.assign(new Error(`${path} is a folder`), { code: "ENOENT" });
  return new ArtifactError(
    "UNEXPECTED",
    `local store ${root}: '${key}' is ${kindOf(info)} (at ${path}), not a regular file; refusing to read it. Remove it from the store`,
    { context: { backend: "local", operation: "read", key, path } },
  );
}

/** Where an open file really is (Linux); undefined where the platform cannot say. */
function openedPathSync(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

async function openedPath(fd: number): Promise<string | undefined> {
  return readlink(`/proc/self/fd/${fd}`).catch(() => undefined);
}

/** Whether `path` (missing or not) resolves inside the store; false for a missing path. */
export async function resolvesInside(root: string, path: string): Promise<boolean> {
  try {
    const [rootReal, real] = await Promise.all([realRoot(root), realpath(path)]);
    return isInside(rootReal, real);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === "ENOENT" || errno === "ENOTDIR" || errno === "ELOOP") return false;
    throw error;
  }
}

/**
 * Opens the store file `path` (of `key`) for reading: inside the root, a regular file. Errors: the fs
 * error (ENOENT for a missing file or a folder), `UNEXPECTED` for a link out of the store or a FIFO,
 * device or socket.
 */
export async function openStoreFile(
  root: string,
  path: string,
  key: string,
): Promise<{ handle: FileHandle; size: number }> {
  const [rootReal, real] = await Promise.all([realRoot(root), realpath(path)]);
  if (!isInside(rootReal, real)) throw outside(root, key, path, real, "read");
  const handle = await open(real, READ_FLAGS);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegular(root, key, path, info);
    const opened = await openedPath(handle.fd);
    if (opened !== undefined && !isInside(rootReal, opened)) throw outside(root, key, path, opened, "read");
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The same checks, synchronously, for a tiny file read in one call: reads at most `maxBytes + 1`
 * bytes (one more than the record allows, so that the caller sees it is too long).
 */
export function readStoreFileSync(root: string, path: string, key: string, maxBytes: number): Buffer {
  const rootReal = realRootSync(root);
  const real = realpathSync.native(path);
  if (!isInside(rootReal, real)) throw outside(root, key, path, real, "read");
  const fd = openSync(real, READ_FLAGS);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw notRegular(root, key, path, info);
    const opened = openedPathSync(fd);
    if (opened !== undefined && !isInside(rootReal, opened)) throw outside(root, key, path, opened, "read");
    const buffer = Buffer.allocUnsafe(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, length);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses a folder the driver is about to write into when it, or any folder between it and the root,
 * is a symbolic link (even one inside the store): its files would be written where the link points.
 * A folder not made yet is checked by its deepest existing parent, so that the check can run before
 * the `mkdir` (which would otherwise make folders where the link points) and again after it.
 */
export async function checkWriteFolder(root: string, folder: string, key: string): Promise<void> {
  let existing = folder;
  let real: string | undefined;
  while (real === undefined) {
    try {
      real = await realpath(existing);
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") throw error;
      // No root yet: the whole path is made new, inside it (the root itself may be a link).
      if (existing === root || dirname(existing) === existing) return;
      existing = dirname(existing);
    }
  }
  const expected = join(await realRoot(root), relative(root, existing));
  if (real === expected) return;
  throw new ArtifactError(
    "UNEXPECTED",
    `local store ${root}: the folder ${existing} (writing '${key}') is or lies under a symbolic link, to ${real}; refusing to write through it. Replace the link with a real folder`,
    { context: { backend: "local", operation: "write", key, path: existing } },
  );
}
