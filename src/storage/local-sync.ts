/**
 * fsync for the local store: what a commit wrote must survive a power cut. A file's bytes are synced
 * (`fdatasync`) before it becomes visible under its name, and a folder is synced (`fsync`) after an
 * entry was added to it, so that the new name is on disk too.
 */
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { errnoOf } from "./fs-errors.js";
import { makeFolders } from "./make-folders.js";

/**
 * Errors of platforms and file systems that cannot open or sync a folder (Windows: EISDIR/EPERM;
 * some network and FUSE file systems: EINVAL, ENOTSUP). Their folders are not synced.
 */
const FOLDER_SYNC_UNSUPPORTED = new Set(["EISDIR", "EPERM", "EACCES", "EINVAL", "ENOTSUP", "EOPNOTSUPP"]);

/**
 * Flushes a file's bytes (and its size) to disk: `fdatasync` on a fresh read-only handle. A file that
 * is gone has nothing to flush (whoever needed it notices: a rename of its folder fails).
 */
export async function syncFile(path: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return;
    throw error;
  }
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Flushes a folder's entries to disk (`fsync` of the folder), where the platform can. A folder that is
 * gone (pruned by a concurrent delete or gc) has no entries to flush.
 */
export async function syncFolder(path: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const errno = errnoOf(error) ?? "";
    if (errno === "ENOENT" || FOLDER_SYNC_UNSUPPORTED.has(errno)) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!FOLDER_SYNC_UNSUPPORTED.has(errnoOf(error) ?? "")) throw error;
  } finally {
    await handle.close();
  }
}

/**
 * `mkdir -p` that syncs the parent of every folder it created, so that a file later synced inside
 * `path` can be found after a power cut. Costs nothing when `path` exists.
 */
export async function makeFoldersDurable(path: string): Promise<void> {
  const first = await makeFolders(path);
  if (first === undefined) return;
  const parents: string[] = [];
  for (let folder = path; ; folder = dirname(folder)) {
    parents.push(dirname(folder));
    if (folder === first || dirname(folder) === folder) break;
  }
  await Promise.all(parents.map(syncFolder));
}
