/** S3 writes (one PutObject or a streamed multipart upload) and lazily paged listings. */
import { Readable } from "node:stream";
import { throwIfAborted } from "../errors.js";
import type { ListEntry, ListOptions, WriteBody, WriteOptions, WriteResult } from "../storage/driver.js";
import { PageCursors } from "../util/page-cursor.js";
import { countBytes, SMALL_BODY_LIMIT, smallBody } from "./cloud-common.js";
import { loadSdk } from "./load-sdk.js";
import type { S3Driver } from "./s3.js";
import type { S3ErrorSubject } from "./s3-errors.js";

/**
 * Small in-memory bodies go in one `PutObject` (create-only and conditional writes are enforced there);
 * streams go through lib-storage's `Upload`, which sends one PutObject when the stream turns out small
 * and a multipart upload with `queueSize` parts in flight otherwise. Multipart create-only relies on the
 * server honouring `If-None-Match` on CompleteMultipartUpload (AWS does, Ceph Pacific does not), so a
 * HEAD check runs first; the manager only uses `ifNotExists` for small claims and records.
 */
export async function writeS3(
  driver: S3Driver,
  key: string,
  body: WriteBody,
  options: WriteOptions,
): Promise<WriteResult> {
  const { signal, ifNotExists, ifMatch } = options;
  const condition: S3ErrorSubject["condition"] = ifNotExists
    ? "ifNotExists"
    : ifMatch !== undefined
      ? "ifMatch"
      : undefined;
  const params = {
    Bucket: driver.location.bucket,
    Key: driver.objectKey(key),
    ContentType: options.contentType ?? "application/octet-stream",
    ...(ifNotExists ? { IfNoneMatch: "*" } : {}),
    // Ceph RGW (Pacific) compares If-Match against the unquoted etag: send it bare to custom endpoints.
    ...(ifMatch !== undefined
      ? { IfMatch: driver.config.endpoint === undefined ? ifMatch : ifMatch.replace(/^"(.*)"$/, "$1") }
      : {}),
  };
  const subject = { operation: "write", key, ...(condition ? { condition } : {}) };
  const buffer = await smallBody(body, options.size, SMALL_BODY_LIMIT);
  throwIfAborted(signal);
  try {
    if (buffer !== null && buffer.length <= driver.config.partSize) {
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
      const direct = await driver.direct();
      const etag =
        direct !== null
          ? await direct.put(params.Key, buffer, {
              contentType: params.ContentType,
              ...(params.IfNoneMatch !== undefined ? { ifNoneMatch: params.IfNoneMatch } : {}),
              ...(params.IfMatch !== undefined ? { ifMatch: params.IfMatch } : {}),
              signal,
            })
          : (
              await driver.client.send(
                new driver.sdk.PutObjectCommand({ ...params, Body: buffer, ContentLength: buffer.length }),
                signal ? { abortSignal: signal } : {},
              )
            ).ETag;
      options.onBytes?.(buffer.length);
      return { key, size: buffer.length, ...(etag ? { etag } : {}) };
    }
    if (ifNotExists && (await driver.stat(key, signal ? { signal } : {})) !== null) {
      driver.fail({ name: "PreconditionFailed" }, subject);
    }
    return await uploadStream(driver, key, buffer ?? (body as Readable), params, options);
  } catch (error) {
    if (buffer === null && error !== null && error === bodyErrorOf(body)) throw error;
    return driver.fail(error, subject, signal);
  }
}

/** The error a body stream was destroyed with (its own failure is rethrown as is). */
function bodyErrorOf(body: WriteBody): unknown {
  return (body as { errored?: unknown }).errored;
}

async function uploadStream(
  driver: S3Driver,
  key: string,
  body: Buffer | Readable,
  params: Record<string, unknown>,
  options: WriteOptions,
): Promise<WriteResult> {
  const { Upload } = await loadSdk("@aws-sdk/lib-storage", () => import("@aws-sdk/lib-storage"));
  let size = 0;
  const counted = countBytes(Buffer.isBuffer(body) ? Readable.from([body]) : body, (n) => {
    size = n;
    options.onBytes?.(n);
  });
  if (options.signal?.aborted) throw options.signal.reason;
  const abortController = new AbortController();
  const onAbort = () => abortController.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // https://github.com/aws/aws-sdk-js-v3/tree/main/lib/lib-storage
  const upload = new Upload({
    client: driver.client,
    params: { ...params, Body: counted.stream } as never,
    partSize: driver.config.partSize,
    queueSize: driver.config.queueSize,
    leavePartsOnError: false,
    abortController,
  });
  try {
    const out = await upload.done();
    const etag = (out as { ETag?: string }).ETag;
    return { key, size, ...(etag ? { etag } : {}) };
  } catch (error) {
    throw counted.sourceError() ?? error;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Pages through ListObjectsV2 lazily (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
 * With a delimiter, each page's objects and common prefixes are merged so entries stay in key order.
 */
export async function* listS3(
  driver: S3Driver,
  prefix: string,
  options: ListOptions,
): AsyncGenerator<ListEntry> {
  const { signal } = options;
  const root = driver.location.prefix;
  const cursors = new PageCursors(`s3://${driver.location.bucket}/${root + prefix}`, { backend: "s3" });
  let token: string | undefined;
  do {
    let page: Awaited<ReturnType<typeof listPage>>;
    try {
      page = await listPage(driver, root + prefix, options.delimiter === true, token, signal);
    } catch (error) {
      driver.fail(error, { operation: "list", key: prefix }, signal);
    }
    const entries: ListEntry[] = [];
    for (const p of page.CommonPrefixes ?? []) {
      if (p.Prefix) entries.push({ type: "prefix", key: p.Prefix.slice(root.length) });
    }
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      entries.push({
        type: "object",
        key: o.Key.slice(root.length),
        size: o.Size ?? 0,
        ...(o.LastModified ? { lastModified: o.LastModified } : {}),
        ...(o.ETag ? { etag: o.ETag } : {}),
      });
    }
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    yield* entries;
    // a continuation token that repeats would list for ever (issue 18.8)
    token = page.IsTruncated ? cursors.next(page.NextContinuationToken) : undefined;
  } while (token !== undefined);
}

function listPage(
  driver: S3Driver,
  prefix: string,
  delimiter: boolean,
  token?: string,
  signal?: AbortSignal,
) {
  return driver.client.send(
    new driver.sdk.ListObjectsV2Command({
      Bucket: driver.location.bucket,
      Prefix: prefix,
      ...(delimiter ? { Delimiter: "/" } : {}),
      ...(token ? { ContinuationToken: token } : {}),
    }),
    signal ? { abortSignal: signal } : {},
  );
}
