/**
 * One file of a version as a stream (`artifacts cat`): on a file or object store it streams from the
 * store and checks the bytes against the record as they pass (size at once, sha256 at the end); on
 * other backends (W&B) the library downloads and verifies the one file first, then streams it.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { validateArtifactPath } from "../core/names.js";
import type { FileEntry, VersionOptions } from "../core/types.js";
import { ArtifactError } from "../errors.js";
import { abortable } from "../storage/body.js";
import { checkByteLimit } from "../storage/byte-limit.js";
import type { ArtifactManager } from "./artifact-manager.js";
import { FileSystemArtifactManager } from "./file-system-artifact-manager.js";
import { versionPrefix } from "./filesystem/layout.js";

/** Options of {@link openArtifactFile}: which version (default latest) of which collection. */
export type OpenArtifactFileOptions = VersionOptions;

/** An opened file: what the record says of it, and its bytes. */
export interface OpenedArtifactFile {
  name: string;
  collection: string;
  version: string;
  /** The file's entry in the version's record (path, size, sha256). */
  file: FileEntry;
  /**
   * The file's bytes. The stream fails with `CHECKSUM_MISMATCH` when they differ from the record: at
   * once when more bytes come than the recorded size, at the end for a short file or a wrong sha256.
   * Bytes read before that failure were not the recorded file.
   */
  stream: Readable;
  /**
   * Whether the bytes were verified before the first one was handed out (downloaded whole first);
   * false when they are checked as they stream.
   */
  verifiedBeforeStreaming: boolean;
}

/** Opens `path` of a version of `name` for reading. Throws `NOT_FOUND` naming the version's files when absent. */
export async function openArtifactFile(
  manager: ArtifactManager,
  name: string,
  path: string,
  options: OpenArtifactFileOptions = {},
): Promise<OpenedArtifactFile> {
  const wanted = validateArtifactPath(path, "path");
  const record = await manager.getVersion(name, options);
  const file = record.files.find((entry) => entry.path === wanted);
  if (file === undefined) {
    const some = record.files.slice(0, 5).map((entry) => entry.path);
    const more = record.files.length > some.length ? ", …" : "";
    throw new ArtifactError(
      "NOT_FOUND",
      `${name}:${record.version} in collection '${record.collection}' has no file '${wanted}' (its files: ${some.join(", ")}${more})`,
      { context: { operation: "open", key: wanted } },
    );
  }
  const opened = { name, collection: record.collection, version: record.version, file };
  const n = Number(record.version.slice(1));
  if (manager instanceof FileSystemArtifactManager && file.ref === undefined && Number.isInteger(n)) {
    const driver = await manager.getDriver();
    const key = `${versionPrefix(record.collection, name, n)}${file.path}`;
    const source = await driver.read(key, options.signal ? { signal: options.signal } : {});
    const stream = Readable.from(checked(source, file, key, driver.backend, options.signal));
    return { ...opened, stream, verifiedBeforeStreaming: false };
  }
  return {
    ...opened,
    stream: await downloadedCopy(manager, name, file, options),
    verifiedBeforeStreaming: true,
  };
}

/** Passes `source` on, failing with CHECKSUM_MISMATCH when its size or sha256 differs from `file`'s. */
async function* checked(
  source: Readable,
  file: FileEntry,
  key: string,
  backend: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of abortable(source, signal)) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    checkByteLimit(size, { maxBytes: file.size, key, backend });
    hash.update(buffer);
    yield buffer;
  }
  const sha256 = hash.digest("hex");
  if (size !== file.size || (file.sha256 !== undefined && sha256 !== file.sha256)) {
    throw new ArtifactError(
      "CHECKSUM_MISMATCH",
      `file '${file.path}' is corrupt: the store gave ${size} bytes with sha256 ${sha256}, its record says ${file.size} bytes${file.sha256 ? ` with sha256 ${file.sha256}` : ""} (the stored copy was changed or damaged)`,
      { context: { backend, operation: "read", key } },
    );
  }
}

/** Downloads (and so verifies) the one file into a temporary folder, then streams it; the folder goes at the end. */
async function downloadedCopy(
  manager: ArtifactManager,
  name: string,
  file: FileEntry,
  options: OpenArtifactFileOptions,
): Promise<Readable> {
  const dir = await mkdtemp(join(tmpdir(), "artifact-file-"));
  try {
    await manager.downloadArtifact(name, { ...options, to: dir, paths: [file.path] });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const stream = createReadStream(join(dir, file.path));
  stream.once("close", () => void rm(dir, { recursive: true, force: true }));
  return stream;
}
