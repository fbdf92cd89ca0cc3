/** A small cross-process lock for the local driver's conditional replace (`ifMatch`). */
import { mkdir, rmdir, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { ArtifactError } from "../errors.js";
import { errnoOf } from "./fs-errors.js";

/** A lock older than this is left over by a crashed process and is broken. */
const STALE_LOCK_MS = 30_000;
/** How long to wait for a lock before giving up with `CONFLICT`. */
const LOCK_TIMEOUT_MS = 10_000;

/** Runs `fn` while holding the lock folder `path` (created with `mkdir`, which is atomic). */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    try {
      await mkdir(path);
      break;
    } catch (error) {
      if (errnoOf(error) !== "EEXIST") throw error;
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > STALE_LOCK_MS) await rmdir(path).catch(() => {});
      if (Date.now() > deadline) {
        throw new ArtifactError("CONFLICT", `lock ${path} is held by another writer; try again`, {
          retryable: true,
        });
      }
      await sleep(delay + Math.random() * delay);
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(path).catch(() => {});
  }
}
