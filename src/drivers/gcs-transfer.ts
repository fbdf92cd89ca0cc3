/** GCS reads (ranged, validated), writes (one multipart request or a chunked resumable upload), listings. */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { throwIfAborted } from "../errors.js";
import type {
  ListEntry,
  ListOptions,
  ReadOptions,
  WriteBody,
  WriteOptions,
  WriteResult,
} from "../storage/driver.js";
import { PageCursors } from "../util/page-cursor.js";
import { countBytes, SMALL_BODY_LIMIT, smallBody } from "./cloud-common.js";
import type { GcsDriver } from "./gcs.js";
import type { GcsErrorSubject } from "./gcs-errors.js";

/** Bodies up to this size go in one multipart request (`resumable: false`). */
const SINGLE_REQUEST_LIMIT = 8 * 1024 * 1024;

/** Opens a read stream and waits for the response status, so a missing object rejects here. */
export function openGcsRead(driver: GcsDriver, key: string, options: ReadOptions): Promise<Readable> {
  const { range, signal } = options;
  const stream = driver.file(key).createReadStream({
    ...(range ? { start: range.offset } : {}),
    ...(range?.length !== undefined ? { end: range.offset + range.length - 1 } : {}),
    // The SDK can check crc32c only on whole-object reads; off unless asked (see GcsDriverOptions).
    validation: !range && driver.resolved.downloadValidation ? "crc32c" : false,
  });
  return new Promise((resolve, reject) => {
    const onAbort = () => stream.destroy(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = () => signal?.removeEventListener("abort", onAbort);
    stream.once("error", (error) => {
      cleanup();
      reject(error);
    });
    stream.once("response", (response: { statusCode?: number }) => {
      if ((response.statusCode ?? 500) < 300) {
        stream.once("close", cleanup);
        resolve(stream);
      }
    });
    stream.read(0);
  });
}

/** Writes a small body in one request and a stream as a chunked resumable upload. */
export async function writeGcs(
  driver: GcsDriver,
  key: string,
  body: WriteBody,
  options: WriteOptions,
): Promise<WriteResult> {
  const { signal, ifNotExists, ifMatch } = options;
  throwIfAborted(signal);
  const condition: GcsErrorSubject["condition"] = ifNotExists
    ? "ifNotExists"
    : ifMatch !== undefined
      ? "ifMatch"
      : undefined;
  const generation = ifNotExists ? 0 : ifMatch !== undefined ? Number(ifMatch) : undefined;
  const common = {
    contentType: options.contentType ?? "application/octet-stream",
    ...(generation === undefined ? {} : { preconditionOpts: { ifGenerationMatch: generation } }),
  };
  const file = driver.file(key);
  const buffer = await smallBody(body, options.size, SMALL_BODY_LIMIT);
  throwIfAborted(signal);
  let bodyError: unknown;
  try {
    if (buffer !== null && buffer.length <= SINGLE_REQUEST_LIMIT) {
      // https://cloud.google.com/storage/docs/uploading-objects (multipart upload)
      if (driver.multipartUploader !== null) {
        const uploaded = await driver.multipartUploader.upload(file, buffer, {
          contentType: common.contentType,
          ifGenerationMatch: generation,
          signal,
        });
        options.onBytes?.(buffer.length);
        return {
          key,
          size: buffer.length,
          ...(uploaded.generation === undefined ? {} : { etag: uploaded.generation }),
        };
      }
      await file.save(buffer, { ...common, resumable: false });
      options.onBytes?.(buffer.length);
      return { key, size: buffer.length, ...etagOf(file.metadata) };
    }
    const { Readable: NodeReadable } = await import("node:stream");
    let size = 0;
    const counted = countBytes(buffer !== null ? NodeReadable.from([buffer]) : (body as Readable), (n) => {
      size = n;
      options.onBytes?.(n);
    });
    // https://cloud.google.com/storage/docs/performing-resumable-uploads
    // The session and the SDK's chunks are retried inside the upload (gcs-retry.ts): a stream is not
    // replayed by the retry layer.
    const upload = driver.uploadFile(key);
    if (driver.uploader !== null) {
      let uploaded: { generation?: string };
      try {
        uploaded = await driver.uploader.upload(upload, counted.stream, {
          contentType: common.contentType,
          ...(generation === undefined ? {} : { ifGenerationMatch: generation }),
          chunkSize: driver.resolved.chunkSize,
          signal,
        });
      } catch (error) {
        bodyError = counted.sourceError();
        throw error;
      }
      return { key, size, ...(uploaded.generation === undefined ? {} : { etag: uploaded.generation }) };
    }
    const sink = upload.createWriteStream({
      ...common,
      resumable: true,
      chunkSize: driver.resolved.chunkSize,
    });
    try {
      await pipeline(counted.stream, sink, signal ? { signal } : {});
    } catch (error) {
      bodyError = counted.sourceError();
      throw error;
    }
    return { key, size, ...etagOf(upload.metadata) };
  } catch (error) {
    if (bodyError !== undefined) throw bodyError;
    return driver.fail(error, { operation: "write", key, ...(condition ? { condition } : {}) }, signal);
  }
}

function etagOf(metadata: { generation?: string | number } | undefined): { etag?: string } {
  return metadata?.generation === undefined ? {} : { etag: String(metadata.generation) };
}

/**
 * Pages through objects.list lazily (https://cloud.google.com/storage/docs/json_api/v1/objects/list).
 * With a delimiter, each page's items and prefixes are merged so entries stay in key order.
 */
export async function* listGcs(
  driver: GcsDriver,
  prefix: string,
  options: ListOptions,
): AsyncGenerator<ListEntry> {
  const { signal } = options;
  const root = driver.location.prefix;
  const base = {
    prefix: root + prefix,
    autoPaginate: false,
    ...(options.delimiter ? { delimiter: "/" } : {}),
  };
  const cursors = new PageCursors(`gs://${driver.location.bucket}/${root + prefix}`, { backend: "gcs" });
  let query: Record<string, unknown> | null = base;
  while (query) {
    throwIfAborted(signal);
    let page: unknown;
    try {
      page = await driver.bucket.getFiles(query);
    } catch (error) {
      driver.fail(error, { operation: "list", key: prefix }, signal);
    }
    const [files, next, response] = page as [
      {
        name: string;
        metadata: {
          size?: string | number;
          updated?: string;
          generation?: string | number;
          md5Hash?: string;
          etag?: string;
        };
      }[],
      Record<string, unknown> | null,
      { prefixes?: string[] } | undefined,
    ];
    const entries: ListEntry[] = (response?.prefixes ?? []).map((p) => ({
      type: "prefix",
      key: p.slice(root.length),
    }));
    for (const f of files) {
      const { size, updated, generation, md5Hash, etag } = f.metadata;
      entries.push({
        type: "object",
        key: f.name.slice(root.length),
        size: Number(size ?? 0),
        ...(updated ? { lastModified: new Date(updated) } : {}),
        ...(generation !== undefined ? { etag: String(generation) } : {}),
        ...(md5Hash ? { md5: md5Hash } : {}),
        ...(typeof etag === "string" ? { serviceEtag: etag } : {}),
      });
    }
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    yield* entries;
    // The SDK's next query drops `autoPaginate: false`; carry only its page token.
    const token = (next as { pageToken?: unknown } | null)?.pageToken;
    // a page token that repeats would list for ever (issue 18.8)
    query = typeof token === "string" && token !== "" ? { ...base, pageToken: cursors.next(token) } : null;
  }
}
