/**
 * Collects the local files to log: one file, or every file under a folder (contents at the version
 * root). Validates everything before anything is written: missing path, empty folder, symlinks that
 * leave the folder, bad `artifactPath`.
 */
import type { Dirent } from "node:fs";
import { lstatSync } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, join, sep } from "node:path";
import { validateArtifactPath } from "../../core/names.js";
import { createPathFilter, type PathFilterOptions } from "../../core/path-filter.js";
import { ArtifactError } from "../../errors.js";
import { errnoOf, mapLocalFileError } from "../../storage/fs-errors.js";

/** A local file to upload. */
export interface LocalFile {
  /** Absolute local path (symlinks resolved). */
  source: string;
  /** Relative POSIX path inside the version. */
  path: string;
  /** Size in bytes when collected. */
  size: number;
  /** Modification time (ms, sub-millisecond precision) when collected: a file that changes is caught. */
  mtimeMs: number;
}

/** What a file looks like after its bytes were read: bytes read, and its size and mtime then. */
export interface FileAfterRead {
  bytesRead: number;
  size: number;
  mtimeMs: number;
}

/**
 * Throws CONFLICT when `file` changed while it was read for logging (as tar's "file changed as we
 * read it"): other bytes read than it had, a new size, or a new modification time (a write in place
 * of the same length). The upload may hold a mix of old and new bytes; the caller's failure path
 * removes it. Writing a file while logging it is a race in the caller's code; log it once complete.
 */
export function checkUnchanged(
  file: Pick<LocalFile, "source" | "path" | "size" | "mtimeMs">,
  after: FileAfterRead,
  backend: string,
): void {
  if (after.bytesRead === file.size && after.size === file.size && after.mtimeMs === file.mtimeMs) return;
  const what =
    after.size !== file.size
      ? `its size went from ${file.size} to ${after.size} bytes`
      : after.bytesRead !== file.size
        ? `${after.bytesRead} of its ${file.size} bytes were read`
        : "it was modified again";
  throw new ArtifactError(
    "CONFLICT",
    `file ${file.source} changed while it was being logged (${what}); nothing was logged: log it again once it is no longer being written`,
    { context: { backend, operation: "log", key: file.path } },
  );
}

/** Stats `file` after its bytes were read and throws CONFLICT when it changed meanwhile (checkUnchanged). */
export async function checkFileUnchanged(
  file: Pick<LocalFile, "source" | "path" | "size" | "mtimeMs">,
  bytesRead: number,
  backend: string,
): Promise<void> {
  const now = await stat(file.source).catch((error: unknown) => {
    throw mapLocalFileError(error, "reading", file.source);
  });
  checkUnchanged(file, { bytesRead, size: now.size, mtimeMs: now.mtimeMs }, backend);
}

/** Collects the files of `localPath` (a file or a folder). */
export async function collectLocalFiles(
  localPath: string,
  artifactPath?: string,
  filter: PathFilterOptions = {},
): Promise<LocalFile[]> {
  if (typeof localPath !== "string" || localPath === "") {
    throw new ArtifactError("INVALID_ARGUMENT", "`localPath` must be a path to a file or a folder");
  }
  const keep = createPathFilter(filter);
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
    if (keep !== undefined && !keep(basename(localPath))) throw nothingLeft(localPath, filter);
    return [
      {
        source: await realpath(localPath),
        path: target ?? basename(localPath),
        size: info.size,
        mtimeMs: info.mtimeMs,
      },
    ];
  }
  if (!info.isDirectory()) {
    throw new ArtifactError("INVALID_ARGUMENT", `local path ${localPath} is neither a file nor a folder`);
  }
  const root = await realpath(localPath);
  const found: LocalFile[] = [];
  await walk({ root, files: found, walking: new Set([root]) }, root, "");
  const files = keep === undefined ? found : found.filter((file) => keep(file.path));
  if (files.length === 0 && found.length > 0) throw nothingLeft(localPath, filter);
  if (files.length === 0) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `folder ${localPath} has no files to log; write files into it first`,
    );
  }
  if (target === undefined) return files;
  return files.map((file) => ({ ...file, path: `${target}/${file.path}` }));
}

/** INVALID_ARGUMENT: include/exclude left no file of `localPath` to log. */
function nothingLeft(localPath: string, filter: PathFilterOptions): ArtifactError {
  const globs = [
    ...(filter.include ?? []).map((glob) => `include '${glob}'`),
    ...(filter.exclude ?? []).map((glob) => `exclude '${glob}'`),
  ];
  return new ArtifactError(
    "INVALID_ARGUMENT",
    `no file of ${localPath} is left to log after ${globs.join(", ")}; check the globs (a glob without '/' matches a name in any folder)`,
  );
}

/** One walk: the real path of the logged folder, the files found, the real folders being walked. */
interface WalkContext {
  /** Every symlink, however deep, must resolve inside this folder. */
  root: string;
  files: LocalFile[];
  /** Real paths of the folders on the current branch of the walk (a link back to one is a loop). */
  walking: Set<string>;
}

/** Walks `folder` (a real path) whose files go under the artifact path `prefix` ("" = the root). */
async function walk(ctx: WalkContext, folder: string, prefix: string): Promise<void> {
  const entries: Dirent[] = await readdir(folder, { withFileTypes: true });
  for (const [i, entry] of entries.entries()) {
    const absolute = join(folder, entry.name);
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    // Synchronous lstat: microseconds on a local disk, much cheaper than a thread-pool round trip each.
    if (entry.isFile()) {
      const { size, mtimeMs } = lstatSync(absolute);
      ctx.files.push({ source: absolute, path, size, mtimeMs });
    } else if (entry.isDirectory()) await walkInto(ctx, absolute, path);
    else if (entry.isSymbolicLink()) await addSymlink(ctx, absolute, path);
    if (i % 1024 === 1023) await new Promise((resolve) => setImmediate(resolve));
  }
}

async function walkInto(ctx: WalkContext, folder: string, path: string): Promise<void> {
  ctx.walking.add(folder);
  try {
    await walk(ctx, folder, path);
  } finally {
    ctx.walking.delete(folder);
  }
}

/** Follows a symlink only when it stays inside the folder being logged (checked against the walk's root). */
async function addSymlink(ctx: WalkContext, absolute: string, path: string): Promise<void> {
  const { root } = ctx;
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
  if (info.isFile()) ctx.files.push({ source: resolved, path, size: info.size, mtimeMs: info.mtimeMs });
  else if (info.isDirectory()) {
    if (ctx.walking.has(resolved)) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `symlink ${absolute} points at ${resolved}, a folder that contains the link (a loop); remove the link`,
      );
    }
    await walkInto(ctx, resolved, path);
  }
}
