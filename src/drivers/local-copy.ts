/**
 * In-store copies of the local driver: a reflink (`copyFile` with COPYFILE_FICLONE: shared blocks on
 * btrfs, XFS, APFS…; the kernel falls back to a plain copy elsewhere) into a temporary file, fdatasynced,
 * then renamed onto the target. Checked: the source's etag (inode, mtime, size) is the same before and
 * after the copy (else CONFLICT: it was replaced or written meanwhile) and the copy's size is the source's.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, type FileHandle, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ArtifactError, throwIfAborted } from "../errors.js";
import type { CopyOptions, CopyResult } from "../storage/driver.js";
import { mapFsError } from "../storage/fs-errors.js";
import { syncFile, syncFolder } from "../storage/local-sync.js";
import { INTERNAL_PREFIX, statOrNull } from "../storage/local-walk.js";

type FileInfo = NonNullable<Awaited<ReturnType<typeof statOrNull>>>;

/** What a copy needs of the local driver. */
export interface LocalCopyTarget {
  readonly backend: string;
  readonly root: string;
  /** The file of `key` (validated). */
  localPath(key: string): string;
  /** The file's info when it is a file inside the root, else null. */
  containedStat(path: string): Promise<FileInfo | null>;
  /** Creates the temporary file `tmp` for `key`, with its folders. */
  createTemporary(tmp: string, key: string): Promise<FileHandle>;
}

/** Copies object `from` onto `to` inside the store of `driver`. */
export async function copyLocalFile(
  driver: LocalCopyTarget,
  from: string,
  to: string,
  options: CopyOptions,
): Promise<CopyResult> {
  throwIfAborted(options.signal);
  const source = driver.localPath(from);
  const path = driver.localPath(to);
  const before = await sourceInfo(driver, from, source, options.ifSourceMatch);
  const tmp = join(dirname(path), `${INTERNAL_PREFIX}tmp-${randomBytes(8).toString("hex")}`);
  try {
    await (await driver.createTemporary(tmp, to)).close();
    await copyFile(source, tmp, constants.COPYFILE_FICLONE);
    await syncFile(tmp);
    const after = await statOrNull(source);
    const copied = await statOrNull(tmp);
    if (after?.etag !== before.etag) throw sourceChanged(driver, from);
    if (copied?.size !== before.size) {
      throw new ArtifactError(
        "CHECKSUM_MISMATCH",
        `copy of '${from}' to '${to}' holds ${copied?.size ?? 0} bytes, the source ${before.size}`,
        { context: { backend: driver.backend, operation: "copy", key: to } },
      );
    }
    throwIfAborted(options.signal);
    await rename(tmp, path);
    await syncFolder(dirname(path));
    const info = await statOrNull(path);
    return { key: to, size: before.size, ...(info ? { etag: info.etag } : {}) };
  } catch (error) {
    await rm(tmp, { force: true });
    throw mapFsError(error, "copy", to, path);
  }
}

/** The source of a copy: a regular file inside the root, with the etag asked for. */
async function sourceInfo(
  driver: LocalCopyTarget,
  key: string,
  path: string,
  ifSourceMatch: string | undefined,
): Promise<FileInfo> {
  const info = await driver.containedStat(path).catch((error) => {
    throw mapFsError(error, "copy", key, path);
  });
  if (info === null) {
    throw new ArtifactError("NOT_FOUND", `object '${key}' does not exist in the local store ${driver.root}`, {
      context: { backend: driver.backend, operation: "copy", key },
    });
  }
  if (ifSourceMatch !== undefined && info.etag !== ifSourceMatch) throw sourceChanged(driver, key);
  return info;
}

function sourceChanged(driver: LocalCopyTarget, key: string): ArtifactError {
  return new ArtifactError("CONFLICT", `object '${key}' changed since it was read (etag mismatch)`, {
    context: { backend: driver.backend, operation: "copy", key },
  });
}
