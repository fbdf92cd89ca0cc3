/**
 * Collects the local files to log: one file, or every file under a folder (contents at the version
 * root). Validates everything before anything is written: missing path, empty folder, symlinks that
 * leave the folder, bad `artifactPath`.
 */
import type { Dirent } from "node:fs";
import { lstatSync } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { validateArtifactPath } from "../../core/names.js";
import { ArtifactError } from "../../errors.js";
import { errnoOf } from "../../storage/fs-errors.js";

/** A local file to upload. */
export interface LocalFile {
  /** Absolute local path (symlinks resolved). */
  source: string;
  /** Relative POSIX path inside the version. */
  path: string;
  /** Size in bytes when collected. */
  size: number;
}

/** Collects the files of `localPath` (a file or a folder). */
export async function collectLocalFiles(localPath: string, artifactPath?: string): Promise<LocalFile[]> {
  if (typeof localPath !== "string" || localPath === "") {
    throw new ArtifactError("INVALID_ARGUMENT", "`localPath` must be a path to a file or a folder");
  }
  const target = artifactPath === undefined ? undefined : validateArtifactPath(artifactPath);
  const info = await stat(localPath).catch((error: unknown) => {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") {
      throw new ArtifactError(
        "NOT_FOUND",
        `local path ${localPath} does not exist; pass an existing file or folder`,
        {
          cause: error,
        },
      );
    }
    throw error;
  });
  if (info.isFile()) {
    return [{ source: await realpath(localPath), path: target ?? basename(localPath), size: info.size }];
  }
  if (!info.isDirectory()) {
    throw new ArtifactError("INVALID_ARGUMENT", `local path ${localPath} is neither a file nor a folder`);
  }
  const root = await realpath(localPath);
  const files: LocalFile[] = [];
  await walk(root, root, files);
  if (files.length === 0) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `folder ${localPath} has no files to log; write files into it first`,
    );
  }
  if (target === undefined) return files;
  return files.map((file) => ({ ...file, path: `${target}/${file.path}` }));
}

async function walk(root: string, folder: string, files: LocalFile[]): Promise<void> {
  const entries: Dirent[] = await readdir(folder, { withFileTypes: true });
  for (const [i, entry] of entries.entries()) {
    const absolute = join(folder, entry.name);
    // Synchronous lstat: microseconds on a local disk, much cheaper than a thread-pool round trip each.
    if (entry.isFile())
      files.push({ source: absolute, path: relativePath(root, absolute), size: lstatSync(absolute).size });
    else if (entry.isDirectory()) await walk(root, absolute, files);
    else if (entry.isSymbolicLink()) await addSymlink(root, absolute, relativePath(root, absolute), files);
    if (i % 1024 === 1023) await new Promise((resolve) => setImmediate(resolve));
  }
}

function relativePath(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join("/");
}

/** Follows a symlink only when it stays inside the folder being logged. */
async function addSymlink(root: string, absolute: string, path: string, files: LocalFile[]): Promise<void> {
  const resolved = await realpath(absolute).catch(() => null);
  if (resolved === null) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `symlink ${absolute} is broken; remove it or point it at a file`,
    );
  }
  if (resolved !== root && !resolved.startsWith(root + sep)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `symlink ${absolute} points outside the folder being logged (${resolved}); copy the file into the folder instead`,
    );
  }
  const info = await stat(resolved);
  if (info.isFile()) files.push({ source: resolved, path, size: info.size });
  else if (info.isDirectory()) {
    if (absolute.startsWith(resolved + sep)) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `symlink ${absolute} points at its own parent folder (a loop)`,
      );
    }
    const nested: LocalFile[] = [];
    await walk(resolved, resolved, nested);
    for (const file of nested) files.push({ ...file, path: `${path}/${file.path}` });
  }
}
