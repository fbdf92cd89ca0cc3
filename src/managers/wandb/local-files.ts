/** Collects the files to log (a folder walked recursively, or one file) and hashes them streamed. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { validateArtifactPath } from "../../core/names.js";
import { ArtifactError } from "../../errors.js";

/** A local file to log with its artifact path, size and base64 md5. */
export interface LocalFile {
  /** Absolute or caller-relative path on disk. */
  localPath: string;
  /** Relative POSIX path inside the artifact. */
  path: string;
  size: number;
  /** base64 md5 (the manifest entry digest). */
  digest: string;
}

/** Lists the files under `localPath` (a folder's contents, or the file as `artifactPath`). */
export async function collectLocalFiles(
  localPath: string,
  artifactPath: string | undefined,
): Promise<Array<{ localPath: string; path: string; size: number }>> {
  const info = await stat(localPath).catch((cause: NodeJS.ErrnoException) => {
    throw new ArtifactError(
      cause.code === "ENOENT" ? "NOT_FOUND" : "INVALID_ARGUMENT",
      `cannot log '${localPath}': ${cause.code === "ENOENT" ? "no such file or folder" : cause.message}`,
      { cause },
    );
  });
  if (info.isFile()) {
    const path = validateArtifactPath(artifactPath ?? basename(localPath));
    return [{ localPath, path, size: info.size }];
  }
  if (artifactPath !== undefined) {
    throw new ArtifactError("INVALID_ARGUMENT", "`artifactPath` applies to a single file, not to a folder");
  }
  const files: Array<{ localPath: string; path: string; size: number }> = [];
  for (const entry of await readdir(localPath, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const path = validateArtifactPath(relative(localPath, full).split(sep).join("/"), "file path");
    files.push({ localPath: full, path, size: (await stat(full)).size });
  }
  if (files.length === 0) {
    throw new ArtifactError("INVALID_ARGUMENT", `folder '${localPath}' has no files to log`);
  }
  return files;
}

/** Streams a file (or a byte range) through md5; returns base64 and hex of the digest. */
export async function md5File(
  path: string,
  options: { start?: number; end?: number; signal?: AbortSignal | undefined } = {},
): Promise<{ base64: string; hex: string }> {
  const hash = createHash("md5");
  const range = options.end === undefined ? {} : { start: options.start ?? 0, end: options.end };
  for await (const chunk of createReadStream(path, { ...range, ...signalOf(options.signal) })) {
    hash.update(chunk as Buffer);
  }
  const digest = hash.digest();
  return { base64: digest.toString("base64"), hex: digest.toString("hex") };
}

function signalOf(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}
