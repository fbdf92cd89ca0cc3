/** `mkdir -p` that holds up while other writers of the same local store prune the folders it makes. */
import { mkdir } from "node:fs/promises";
import { errnoOf } from "./fs-errors.js";

/** Attempts before a failure is taken as real (a file in the way, a folder removed each time). */
const MAX_ATTEMPTS = 16;

/**
 * Creates `path` and its missing parents; returns the first folder it created (as `mkdir` does), or
 * undefined when `path` existed. A local store prunes the folders a delete emptied (as an object store
 * has none), and Node's recursive `mkdir` reports ENOENT, or even ENOTDIR, when another process
 * removes a parent between its steps: those run again. A file really in the way fails every attempt
 * and its error is thrown.
 */
export async function makeFolders(path: string): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await mkdir(path, { recursive: true });
    } catch (error) {
      const errno = errnoOf(error);
      if ((errno !== "ENOENT" && errno !== "ENOTDIR") || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
