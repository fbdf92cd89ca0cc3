/**
 * Multipart upload of big files (PROTOCOL.md 2.4 step D): parts of 100 MiB (or size/10000 rounded up
 * to 4 KiB), hex md5 per part in the file spec, each part PUT with `Content-MD5`, `Content-Length` and
 * `Content-Type`, then `completeMultipartUploadArtifact` with the returned ETags.
 */

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { ByteBudget } from "../../core/byte-budget.js";
import { ArtifactError } from "../../errors.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { type ContentDigests, ContentHasher } from "./digests.js";
import type { LocalFile } from "./local-files.js";
import { COMPLETE_MULTIPART_UPLOAD } from "./queries.js";
import { withRetry } from "./retry.js";
import type { WandbSession } from "./session.js";
import { putFile } from "./transfer.js";
import type { FileUploadNode } from "./upload.js";

/** Files this big or bigger are uploaded in parts (the SDK's threshold). */
export const MULTIPART_THRESHOLD = 2 * 1024 ** 3;
const MIN_PART_SIZE = 100 * 1024 ** 2;
const MAX_PARTS = 10_000;

/** One part of a multipart upload: its byte range (inclusive) and md5. */
export interface UploadPart {
  partNumber: number;
  start: number;
  end: number;
  hexMD5: string;
  base64MD5: string;
}

/** The SDK's part size for a file of `size` bytes. */
export function defaultPartSize(size: number): number {
  const needed = Math.ceil(size / MAX_PARTS);
  return Math.max(MIN_PART_SIZE, Math.ceil(needed / 4096) * 4096);
}

/**
 * Hashes a big file in ONE streamed read: the whole file's base64 md5 (and xxh3-128 when asked) and each
 * part's md5 (the slices are hashed from the same chunks), so a multipart upload reads the file twice
 * in all: once here, once to send it.
 */
export async function hashFileAndParts(
  file: { localPath: string; size: number },
  partSize: number | undefined,
  signal: AbortSignal | undefined,
  xxh128 = false,
): Promise<ContentDigests & { parts: UploadPart[] }> {
  const size = partSize ?? defaultPartSize(file.size);
  const whole = await ContentHasher.create(xxh128);
  const parts: UploadPart[] = [];
  let part = createHash("md5");
  let start = 0;
  let offset = 0;
  const closePart = () => {
    const md5 = part.digest();
    parts.push({ partNumber: parts.length + 1, start, end: offset - 1, ...md5Strings(md5) });
    part = createHash("md5");
    start = offset;
  };
  const range = { start: 0, end: Math.max(0, file.size - 1), ...(signal ? { signal } : {}) };
  for await (const data of createReadStream(file.localPath, range)) {
    whole.update(data as Buffer);
    for (let chunk = data as Buffer; chunk.length > 0; ) {
      const take = Math.min(chunk.length, start + size - offset);
      part.update(chunk.subarray(0, take));
      offset += take;
      chunk = chunk.subarray(take);
      if (offset === start + size) closePart();
    }
  }
  if (offset > start) closePart();
  return { ...whole.digests(), parts };
}

function md5Strings(md5: Buffer): { hexMD5: string; base64MD5: string } {
  return { hexMD5: md5.toString("hex"), base64MD5: md5.toString("base64") };
}

/** Uploads the parts to their URLs and completes the upload. */
export async function uploadMultipart(
  session: WandbSession,
  options: {
    file: LocalFile;
    node: FileUploadNode;
    parts: UploadPart[];
    /** Bytes in flight shared with the other uploads of the log; each part holds its size. */
    budget: ByteBudget;
    signal: AbortSignal | undefined;
    onBytes: (bytes: number) => void;
  },
): Promise<void> {
  const { node, file, signal } = options;
  const multipart = node.uploadMultipartUrls;
  if (!multipart || node.storagePath === null) {
    throw new ArtifactError("UNEXPECTED", `W&B gave no multipart URLs for '${file.path}'`);
  }
  const contentType = contentTypeOf(node.uploadHeaders);
  const sentPerPart = new Map<number, number>();
  const report = () => options.onBytes([...sentPerPart.values()].reduce((a, b) => a + b, 0));
  const etags = await mapConcurrent(
    options.parts,
    async (part) => {
      const url = multipart.uploadUrlParts.find((p) => Number(p.partNumber) === part.partNumber)?.uploadUrl;
      if (url === undefined) {
        throw new ArtifactError(
          "UNEXPECTED",
          `W&B gave no URL for part ${part.partNumber} of '${file.path}'`,
        );
      }
      const headers = { "Content-MD5": part.base64MD5, "Content-Type": contentType };
      const size = part.end - part.start + 1;
      const send = () =>
        putFile(url, {
          body: { localPath: file.localPath, range: { start: part.start, end: part.end } },
          size,
          headers,
          signal,
          onBytes: (bytes) => {
            sentPerPart.set(part.partNumber, bytes);
            report();
          },
        });
      const response = await withRetry(() => options.budget.use(size, send, signal), {
        ...session.settings.retry,
        signal,
      });
      const etag = response.etag;
      if (typeof etag !== "string" || etag === "") {
        // completing with an empty ETag fails at the end, after every part was sent: fail the part now
        throw new ArtifactError(
          "UNEXPECTED",
          `storage accepted part ${part.partNumber} of '${file.path}' but answered no ETag; the multipart upload cannot be completed`,
          { context: { backend: "wandb", operation: "upload", key: file.path } },
        );
      }
      return { partNumber: part.partNumber, hexMD5: etag };
    },
    { concurrency: Math.min(4, session.settings.concurrency), signal },
  );
  await session.client.request(
    COMPLETE_MULTIPART_UPLOAD,
    {
      completeMultipartAction: "Complete",
      completedParts: etags,
      artifactID: node.artifact?.id,
      storagePath: node.storagePath,
      uploadID: multipart.uploadID,
    },
    { signal },
  );
}

function contentTypeOf(lines: readonly string[] | null): string {
  const line = lines?.find((l) => l.toLowerCase().startsWith("content-type:"));
  return line === undefined ? "application/octet-stream" : line.slice(line.indexOf(":") + 1).trim();
}
