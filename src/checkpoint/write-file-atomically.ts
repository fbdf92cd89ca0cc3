/**
 * Writes a file so that it appears whole or not at all, and durably: a temporary file beside it,
 * flushed to disk, then renamed into place.
 */
import { randomBytes } from "node:crypto";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Writes all of `chunk` (a single `write` call may write less). */
export type WriteAll = (chunk: Uint8Array) => Promise<void>;

// One write call is capped at 1 GiB: larger calls fail on some platforms.
const MAX_WRITE = 1 << 30;
/**
 * After this many bytes a `datasync` of what is written so far starts in the background, so the
 * disk writes overlap the copying of later bytes and the final flush has little left to do.
 */
const SYNC_EVERY = 128 << 20;

/** Flushes a folder's entries (the rename); not possible on every platform, so best effort. */
async function syncFolder(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, "r");
    await handle.sync();
  } catch {
    // Windows cannot open a folder; some file systems refuse fsync on one.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Calls `fill` with a function that appends bytes to a temporary file next to `path`, flushes the
 * file to disk (`fsync`), renames it to `path` and flushes the folder. On any failure the temporary
 * file is removed and the error rethrown.
 */
export async function writeFileAtomically(
  path: string,
  fill: (write: WriteAll) => Promise<void>,
): Promise<void> {
  const folder = dirname(path);
  const tmp = join(folder, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx");
  let unsynced = 0;
  let syncing: Promise<void> | undefined;
  let syncError: unknown;
  const write: WriteAll = async (chunk) => {
    for (let done = 0; done < chunk.byteLength; ) {
      done += (await handle.write(chunk, done, Math.min(chunk.byteLength - done, MAX_WRITE))).bytesWritten;
    }
    unsynced += chunk.byteLength;
    if (unsynced >= SYNC_EVERY && syncing === undefined) {
      // One background flush at a time; a failure is rethrown before the rename.
      unsynced = 0;
      syncing = handle.datasync().then(
        () => {
          syncing = undefined;
        },
        (error: unknown) => {
          syncError ??= error;
          syncing = undefined;
        },
      );
    }
  };
  try {
    await fill(write);
    await syncing;
    if (syncError !== undefined) throw syncError;
    await handle.sync();
    await handle.close();
    await rename(tmp, path);
  } catch (error) {
    await syncing;
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw error;
  }
  await syncFolder(folder);
}
