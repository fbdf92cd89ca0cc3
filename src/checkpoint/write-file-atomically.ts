/** Writes a file so that it appears whole or not at all: a temporary file beside it, then a rename. */
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Writes all of `chunk` (a single `write` call may write less). */
export type WriteAll = (chunk: Uint8Array) => Promise<void>;

// One write call is capped at 1 GiB: larger calls fail on some platforms.
const MAX_WRITE = 1 << 30;

/**
 * Calls `fill` with a function that appends bytes to a temporary file next to `path`, then renames it
 * to `path`. On any failure the temporary file is removed and the error rethrown.
 */
export async function writeFileAtomically(
  path: string,
  fill: (write: WriteAll) => Promise<void>,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx");
  const write: WriteAll = async (chunk) => {
    for (let done = 0; done < chunk.byteLength; ) {
      done += (await handle.write(chunk, done, Math.min(chunk.byteLength - done, MAX_WRITE))).bytesWritten;
    }
  };
  try {
    await fill(write);
    await handle.close();
    await rename(tmp, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw error;
  }
}
