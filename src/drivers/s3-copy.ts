/**
 * Server-side copies on S3: CopyObject up to `multipartCopyThreshold` (5 GiB, S3's limit for one
 * CopyObject), else a multipart upload whose parts are UploadPartCopy ranges of the source.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
 *
 * Checked: every request carries `x-amz-copy-source-if-match` with the source's etag (given, or read
 * by a HEAD first), so the copy is of that object or fails CONFLICT (Ceph RGW ignores it on
 * UploadPartCopy: after a multipart copy a HEAD of the source must still show that etag); after the copy a HEAD of the new
 * object must show the source's size and, for a single-part source (its ETag is the md5 of its bytes),
 * the same ETag, i.e. the same md5. A multipart copy's ETag is an md5 of part md5s, so there only the
 * size and the pinned source are checked. A mismatch deletes the new object and throws CHECKSUM_MISMATCH.
 */

import { ArtifactError } from "../errors.js";
import type { CopyOptions, CopyResult } from "../storage/driver.js";
import { mapConcurrent } from "../util/map-concurrent.js";
import type { S3Driver } from "./s3.js";

/** Part size of a multipart copy (S3 allows 5 MiB to 5 GiB; at most 10,000 parts). */
export const S3_COPY_PART_SIZE = 512 * 1024 * 1024;
/** Parts copied at once in a multipart copy. */
const COPY_PART_CONCURRENCY = 4;
const MIN_PART = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/** Copies `from` to `to` inside the bucket (see the file's doc for what is checked). */
export async function copyS3(
  driver: S3Driver,
  from: string,
  to: string,
  options: CopyOptions,
): Promise<CopyResult> {
  const { signal } = options;
  const source = await sourceOf(driver, from, options);
  const subject = { operation: "copy", key: from, condition: "ifMatch" as const };
  const common = {
    Bucket: driver.location.bucket,
    Key: driver.objectKey(to),
    CopySource: `${driver.location.bucket}/${driver.objectKey(from).split("/").map(encodeURIComponent).join("/")}`,
    // Ceph RGW compares conditions against the unquoted etag (as for If-Match on writes).
    CopySourceIfMatch:
      driver.config.endpoint === undefined ? source.etag : source.etag.replace(/^"(.*)"$/, "$1"),
  };
  const inParts = source.size > driver.config.multipartCopyThreshold;
  try {
    if (!inParts) {
      await driver.client.send(
        new driver.sdk.CopyObjectCommand(common),
        signal ? { abortSignal: signal } : {},
      );
    } else await copyInParts(driver, common, source.size, signal);
  } catch (error) {
    return driver.fail(error, subject, signal);
  }
  // Ceph RGW ignores x-amz-copy-source-if-match on UploadPartCopy: the source must still be the one pinned.
  if (inParts && (await driver.stat(from, signal ? { signal } : {}))?.etag !== source.etag) {
    await driver.delete(to).catch(() => undefined);
    driver.fail({ name: "PreconditionFailed" }, subject);
  }
  const copied = await driver.stat(to, signal ? { signal } : {});
  // One CopyObject of a single-part source keeps its ETag (the md5 of the bytes); parts make a new one.
  const sameMd5 = inParts || source.etag.includes("-") || copied?.etag === source.etag;
  if (copied === null || copied.size !== source.size || !sameMd5) {
    await driver.delete(to).catch(() => undefined);
    throw new ArtifactError(
      "CHECKSUM_MISMATCH",
      `the copy of '${from}' to '${to}' does not match its source (${copied?.size ?? "no"} bytes, etag ${copied?.etag ?? "none"}; the source has ${source.size} bytes, etag ${source.etag})`,
      { context: { backend: "s3", operation: "copy", key: to } },
    );
  }
  return { key: to, size: copied.size, ...(copied.etag ? { etag: copied.etag } : {}) };
}

/** The source's size and etag: from the options when both are given, else from a HEAD. */
async function sourceOf(
  driver: S3Driver,
  from: string,
  options: CopyOptions,
): Promise<{ size: number; etag: string }> {
  const { signal } = options;
  if (options.size !== undefined && options.ifSourceMatch !== undefined)
    return { size: options.size, etag: options.ifSourceMatch };
  const info = await driver.stat(from, signal ? { signal } : {});
  if (info === null) driver.fail({ name: "NoSuchKey" }, { operation: "copy", key: from });
  if (options.ifSourceMatch !== undefined && info.etag !== options.ifSourceMatch)
    driver.fail({ name: "PreconditionFailed" }, { operation: "copy", key: from, condition: "ifMatch" });
  return { size: info.size, etag: info.etag ?? "" };
}

interface CopyParams {
  Bucket: string;
  Key: string;
  CopySource: string;
  CopySourceIfMatch: string;
}

/** A multipart upload of UploadPartCopy ranges; aborted (best effort) when any part fails. */
async function copyInParts(
  driver: S3Driver,
  params: CopyParams,
  size: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const send = <T>(command: unknown) =>
    driver.client.send(command as never, signal ? { abortSignal: signal } : {}) as Promise<T>;
  const { Bucket, Key } = params;
  const created = await send<{ UploadId?: string }>(
    new driver.sdk.CreateMultipartUploadCommand({ Bucket, Key }),
  );
  const UploadId = created.UploadId as string;
  const partSize = partSizeFor(size, driver.config.multipartCopyThreshold);
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += partSize)
    ranges.push({ start, end: Math.min(size, start + partSize) - 1 });
  try {
    const parts = await mapConcurrent(
      ranges,
      async (range, index) => {
        const out = await send<{ CopyPartResult?: { ETag?: string } }>(
          new driver.sdk.UploadPartCopyCommand({
            ...params,
            UploadId,
            PartNumber: index + 1,
            CopySourceRange: `bytes=${range.start}-${range.end}`,
          }),
        );
        return { PartNumber: index + 1, ETag: out.CopyPartResult?.ETag as string };
      },
      { concurrency: COPY_PART_CONCURRENCY, signal },
    );
    await send(
      new driver.sdk.CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (error) {
    await driver.client
      .send(new driver.sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
      .catch(() => undefined);
    throw error;
  }
}

/** Parts of at most the threshold (and at most S3_COPY_PART_SIZE), at least 5 MiB, at most 10,000 of them. */
function partSizeFor(size: number, threshold: number): number {
  const wanted = Math.max(MIN_PART, Math.min(S3_COPY_PART_SIZE, threshold));
  return Math.max(wanted, Math.ceil(size / MAX_PARTS));
}
