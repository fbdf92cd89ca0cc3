/**
 * `gs://bucket/prefix` on Google Cloud Storage through `@google-cloud/storage` (JSON API).
 * Create-only writes send `ifGenerationMatch=0`, conditional replaces `ifGenerationMatch=<generation>`
 * (https://cloud.google.com/storage/docs/request-preconditions); the driver's etag is the generation.
 */
import type { Readable } from "node:stream";
import type { Bucket } from "@google-cloud/storage";
import { throwIfAborted } from "../errors.js";
import type {
  CopyOptions,
  CopyResult,
  DriverCallOptions,
  DriverCapabilities,
  ListEntry,
  ListOptions,
  ObjectInfo,
  ReadOptions,
  StorageDriver,
  WriteBody,
  WriteOptions,
  WriteResult,
} from "../storage/driver.js";
import { type BucketLocation, emptyStream, isAbortOf, parseBucketUrl } from "./cloud-common.js";
import { withCloudLayers } from "./cloud-layers.js";
import { createGcsClient, type GcsDriverOptions, type ResolvedGcsClient } from "./gcs-config.js";
import { copyGcs } from "./gcs-copy.js";
import { type GcsErrorSubject, gcsStatus, mapGcsError } from "./gcs-errors.js";
import { GcsMediaReader } from "./gcs-media.js";
import { GcsMultipartUploader } from "./gcs-multipart.js";
import { GcsResumableUploader } from "./gcs-resumable.js";
import { listGcs, openGcsRead, writeGcs } from "./gcs-transfer.js";

export type { GcsDriverOptions } from "./gcs-config.js";

/** Creates the driver of a `gs://bucket/prefix` store. The GCS SDK is loaded on first use of this function. */
export async function createGcsDriver(
  url: string,
  storageOptions: Record<string, unknown> = {},
): Promise<StorageDriver> {
  const location = parseBucketUrl(url, ["gs", "gcs"]);
  const driver = new GcsDriver(url, location, await createGcsClient(storageOptions as GcsDriverOptions));
  return withCloudLayers(driver, storageOptions);
}

/** The GCS byte store. Keys are stored under the URL's prefix. */
export class GcsDriver implements StorageDriver {
  readonly backend = "gcs";
  readonly capabilities: DriverCapabilities;
  readonly bucket: Bucket;
  /** Direct media downloads; null where the SDK's download stack is kept (`directReads`). */
  readonly #media: GcsMediaReader | null;
  /** Streamed writes with chunks of our own; null where the SDK's upload stream is kept (`directUploads`). */
  readonly uploader: GcsResumableUploader | null;
  /** Small writes in one request of our own; null where the SDK's `file.save` is kept (`directUploads`). */
  readonly multipartUploader: GcsMultipartUploader | null;
  #bucketChecked = false;

  constructor(
    readonly url: string,
    readonly location: BucketLocation,
    readonly resolved: ResolvedGcsClient,
  ) {
    this.bucket = resolved.storage.bucket(location.bucket);
    this.capabilities = {
      writeIfNotExists: true,
      writeIfMatch: true,
      rangeRead: true,
      // Streams go up as one resumable upload in retryable chunks; parts are not sent in parallel.
      multipart: false,
      atomicRenamePrefix: false,
      writeBufferBytes: resolved.writeBufferBytes,
    };
    // On a custom endpoint by default, else opt-in (direct-paths.ts); a proxy keeps the SDK's stack.
    this.#media = resolved.directReads ? new GcsMediaReader(resolved.storage) : null;
    this.uploader = resolved.directUploads
      ? new GcsResumableUploader(resolved.storage, resolved.onRetry)
      : null;
    this.multipartUploader = resolved.directUploads ? new GcsMultipartUploader(resolved.storage) : null;
  }

  /** The SDK file object of a driver key (optionally pinned to a generation precondition). */
  file(key: string) {
    return this.bucket.file(this.location.prefix + key);
  }

  /** The SDK file object of a key for a resumable upload: on a client that keeps the SDK's upload retries. */
  uploadFile(key: string) {
    return this.resolved
      .uploadStorage()
      .bucket(this.location.bucket)
      .file(this.location.prefix + key);
  }

  /** Maps an SDK error, rethrowing the abort reason unwrapped. */
  fail(error: unknown, subject: Omit<GcsErrorSubject, "bucket" | "url">, signal?: AbortSignal): never {
    if (isAbortOf(error, signal)) throw signal?.reason ?? error;
    throw mapGcsError(error, { ...subject, bucket: this.location.bucket, url: this.url });
  }

  // https://cloud.google.com/storage/docs/json_api/v1/objects/get
  async stat(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    throwIfAborted(options.signal);
    try {
      const [meta] = await this.file(key).getMetadata();
      throwIfAborted(options.signal);
      return {
        key,
        size: Number(meta.size ?? 0),
        ...(meta.updated ? { lastModified: new Date(meta.updated) } : {}),
        ...(meta.generation !== undefined ? { etag: String(meta.generation) } : {}),
        ...(meta.md5Hash ? { md5: meta.md5Hash } : {}),
        ...(typeof meta.etag === "string" ? { serviceEtag: meta.etag } : {}),
      };
    } catch (error) {
      if (gcsStatus(error) !== 404) return this.fail(error, { operation: "stat", key }, options.signal);
      await this.checkBucket(options.signal);
      return null;
    }
  }

  // https://cloud.google.com/storage/docs/json_api/v1/objects/get (alt=media)
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    throwIfAborted(options.signal);
    const { range } = options;
    if (range?.length === 0) {
      if ((await this.stat(key, options)) === null)
        this.fail({ code: 404, message: "No such object" }, { operation: "read", key });
      return emptyStream();
    }
    try {
      if (this.#media === null) return await openGcsRead(this, key, options);
      return await this.#media.open(this.location.bucket, this.location.prefix + key, options);
    } catch (error) {
      // A range starting at or past the end (or any range of an empty object) is empty, not an error.
      if (gcsStatus(error) === 416) return emptyStream();
      if (gcsStatus(error) === 404) await this.checkBucket(options.signal);
      return this.fail(error, { operation: "read", key }, options.signal);
    }
  }

  write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    return writeGcs(this, key, body, options);
  }

  list(prefix: string, options: ListOptions = {}): AsyncIterable<ListEntry> {
    return listGcs(this, prefix, options);
  }

  /** objects.rewrite of the source's generation; checks in gcs-copy.ts. */
  copy(from: string, to: string, options: CopyOptions = {}): Promise<CopyResult> {
    return copyGcs(this, from, to, options);
  }

  // https://cloud.google.com/storage/docs/json_api/v1/objects/delete
  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    try {
      await this.file(key).delete();
    } catch (error) {
      if (gcsStatus(error) !== 404) this.fail(error, { operation: "delete", key }, options.signal);
      await this.checkBucket(options.signal);
    }
  }

  /**
   * An object call's 404 does not say whether the object or the bucket is missing (and the message
   * text cannot tell either: "No such object: my-bucket/…"). Ask once per driver with a one-item
   * objects.list (the permission a store needs anyway): a 404 there means the bucket is missing.
   */
  async checkBucket(signal?: AbortSignal): Promise<void> {
    if (this.#bucketChecked) return;
    try {
      // https://cloud.google.com/storage/docs/json_api/v1/objects/list
      await this.bucket.getFiles({ prefix: this.location.prefix, maxResults: 1, autoPaginate: false });
      this.#bucketChecked = true;
    } catch (error) {
      const missing = gcsStatus(error) === 404 ? { missing: "bucket" as const } : {};
      this.fail(error, { operation: "stat", ...missing }, signal);
    }
  }

  async close(): Promise<void> {
    this.#media?.close();
    this.uploader?.close();
    this.multipartUploader?.close();
  }
}
