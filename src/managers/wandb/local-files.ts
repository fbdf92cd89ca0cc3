/** Collects the files to log and hashes them streamed. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { PathFilterOptions } from "../../core/path-filter.js";
import { checkFileUnchanged, collectLocalFiles as collectFiles } from "../filesystem/local-files.js";
import { type ContentDigests, ContentHasher } from "./digests.js";
import type { UploadPart } from "./multipart.js";

/** A local file to log with its artifact path, size and base64 md5. */
export interface LocalFile {
  /** Absolute or caller-relative path on disk. */
  localPath: string;
  /** Relative POSIX path inside the artifact. */
  path: string;
  size: number;
  /** Modification time when collected: a file that changes before its upload ends is a CONFLICT. */
  mtimeMs: number;
  /** The manifest entry digest: base64 md5, or base64 xxh3-128 when `extra.alg` is "XXH128". */
  digest: string;
  /** base64 md5 when `digest` is not one (W&B storage checks uploads by md5). */
  md5?: string | undefined;
  /** `{ alg: "XXH128" }` for an xxh3-128 digest (the manifest entry's `extra`). */
  extra?: { alg: "XXH128" };
  /** The parts of a file at or above the multipart threshold, hashed in the same read as `digest`. */
  parts?: UploadPart[] | undefined;
}

/**
 * Lists the files to log with the same rules as every backend (the filesystem manager's collector:
 * a folder's contents or one file at `artifactPath`, symlinks only inside the folder, no empty folder).
 */
export async function collectLocalFiles(
  localPath: string,
  artifactPath: string | undefined,
  filter: PathFilterOptions = {},
): Promise<Array<{ localPath: string; path: string; size: number; mtimeMs: number }>> {
  const files = await collectFiles(localPath, artifactPath, filter);
  return files.map((file) => ({
    localPath: file.source,
    path: file.path,
    size: file.size,
    mtimeMs: file.mtimeMs,
  }));
}

/**
 * CONFLICT when the file changed since it was collected and hashed: the bytes sent no longer match
 * the manifest's digest (the store would answer BadDigest, or keep a torn file).
 */
export function checkLocalFileUnchanged(file: LocalFile): Promise<void> {
  const { localPath: source, path, size, mtimeMs } = file;
  return checkFileUnchanged({ source, path, size, mtimeMs }, size, "wandb");
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

/** Streams a file through md5 and, when `xxh128`, xxh3-128 in the same read (base64 digests). */
export async function digestFile(
  path: string,
  options: { xxh128: boolean; signal?: AbortSignal | undefined },
): Promise<ContentDigests> {
  const hash = await ContentHasher.create(options.xxh128);
  for await (const chunk of createReadStream(path, signalOf(options.signal))) hash.update(chunk as Buffer);
  return hash.digests();
}

function signalOf(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}
