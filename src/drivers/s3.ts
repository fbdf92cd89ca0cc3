/**
 * `s3://bucket/prefix` on AWS S3 or any S3-compatible server (Ceph RGW, MinIO, R2…), through the official
 * AWS SDK v3. Create-only writes use `PutObject` with `If-None-Match: *`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 */
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import type {
  CopyOptions,
  CopyResult,
  DriverCallOptions,
  DriverCapabilities,
  ListEntry,
  ListOptions,
  ObjectInfo,
  ReadOptions,
  StatOptions,
  StorageDriver,
  WriteBody,
  WriteOptions,
  WriteResult,
} from "../storage/driver.js";
import { type BucketLocation, emptyStream, isAbortOf, parseBucketUrl, rangeHeader } from "./cloud-common.js";
import { withCloudLayers } from "./cloud-layers.js";
import { loadSdk } from "./load-sdk.js";
import { type ResolvedS3Config, resolveS3Config, type S3DriverOptions } from "./s3-config.js";
import { copyS3 } from "./s3-copy.js";
import { S3DirectClient } from "./s3-direct-client.js";
import { mapS3Error, type S3ErrorSubject } from "./s3-errors.js";
import { listS3, writeS3 } from "./s3-transfer.js";

type S3Sdk = typeof import("@aws-sdk/client-s3");

/** Creates the driver of an `s3://bucket/prefix` store. The AWS SDK is loaded on first use of this function. */
export async function createS3Driver(
  url: string,
  storageOptions: Record<string, unknown> = {},
): Promise<StorageDriver> {
  const location = parseBucketUrl(url, ["s3"]);
  const config = resolveS3Config(storageOptions as S3DriverOptions);
  const sdk = await loadSdk("@aws-sdk/client-s3", () => import("@aws-sdk/client-s3"));
  let client = new sdk.S3Client(config.client);
  try {
    await client.config.region();
  } catch {
    // No region anywhere (no env, no profile): sign for us-east-1; on AWS `followRegionRedirects` (on by
    // default without a custom endpoint) then retries in the bucket's region after S3's 301.
    client.destroy();
    client = new sdk.S3Client({ ...config.client, region: "us-east-1" });
  }
  return withCloudLayers(new S3Driver(url, location, config, sdk, client), storageOptions);
}

/** The S3 byte store. Keys are stored under the URL's prefix. */
export class S3Driver implements StorageDriver {
  readonly backend = "s3";
  readonly capabilities: DriverCapabilities;
  #bucketChecked = false;
  /** Direct reads and small writes, made on first use; null where the SDK's path is needed (see s3-direct-client.ts). */
  #direct: Promise<S3DirectClient | null> | undefined;

  constructor(
    readonly url: string,
    readonly location: BucketLocation,
    readonly config: ResolvedS3Config,
    readonly sdk: S3Sdk,
    readonly client: S3Client,
  ) {
    this.capabilities = {
      writeIfNotExists: true,
      writeIfMatch: true,
      rangeRead: true,
      multipart: true,
      atomicRenamePrefix: false,
      versionedReads: true,
      writeBufferBytes: config.writeBufferBytes,
    };
  }

  /** The full object key of a driver key. */
  objectKey(key: string): string {
    return this.location.prefix + key;
  }

  /** Maps an SDK error, rethrowing the abort reason unwrapped. */
  fail(error: unknown, subject: Omit<S3ErrorSubject, "bucket" | "url">, signal?: AbortSignal): never {
    if (isAbortOf(error, signal)) throw signal?.reason ?? error;
    throw mapS3Error(error, { ...subject, bucket: this.location.bucket, url: this.url });
  }

  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
  async stat(key: string, options: StatOptions = {}): Promise<ObjectInfo | null> {
    const { signal, version } = options;
    try {
      const out = await this.client.send(
        new this.sdk.HeadObjectCommand({
          Bucket: this.location.bucket,
          Key: this.objectKey(key),
          ...(version === undefined ? {} : { VersionId: version }),
        }),
        signal ? { abortSignal: signal } : {},
      );
      return {
        key,
        size: out.ContentLength ?? 0,
        ...(out.LastModified ? { lastModified: out.LastModified } : {}),
        ...(out.ETag ? { etag: out.ETag } : {}),
        // "null" is the version ID of objects written before versioning was turned on
        ...(out.VersionId && out.VersionId !== "null" ? { version: out.VersionId } : {}),
      };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) {
        await this.checkBucket(signal);
        return null;
      }
      // HEAD errors have no body: a 403 could be bad keys or a denied key; a GET names the reason.
      if (status === 403) {
        const probe = await this.read(key, {
          range: { offset: 0, length: 1 },
          ...(signal ? { signal } : {}),
        });
        probe.destroy(); // it only explains the 403: do not leave its response (and socket) open
      }
      return this.fail(error, { operation: "stat", key }, signal);
    }
  }

  /** A HEAD 404 does not say whether the key or the bucket is missing: ask once per driver. */
  async checkBucket(signal?: AbortSignal): Promise<void> {
    if (this.#bucketChecked) return;
    try {
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
      await this.client.send(
        new this.sdk.HeadBucketCommand({ Bucket: this.location.bucket }),
        signal ? { abortSignal: signal } : {},
      );
      this.#bucketChecked = true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404)
        this.fail(Object.assign(error as object, { Code: "NoSuchBucket" }), { operation: "stat" });
      this.fail(error, { operation: "stat" }, signal);
    }
  }

  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    const { signal, range, version } = options;
    if (range?.length === 0) {
      if ((await this.stat(key, options)) === null)
        this.fail({ name: "NoSuchKey" }, { operation: "read", key });
      return emptyStream();
    }
    try {
      // A version is read through the SDK (the direct GET does not take one).
      const direct = version === undefined ? await this.direct() : null;
      if (direct !== null) return await direct.open(this.objectKey(key), options);
      const out = await this.client.send(
        new this.sdk.GetObjectCommand({
          Bucket: this.location.bucket,
          Key: this.objectKey(key),
          ...(range ? { Range: rangeHeader(range) } : {}),
          ...(version === undefined ? {} : { VersionId: version }),
        }),
        signal ? { abortSignal: signal } : {},
      );
      return (out.Body as Readable | undefined) ?? emptyStream();
    } catch (error) {
      // A range starting at or past the end (or any range of an empty object) is empty, not an error.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 416) return emptyStream();
      return this.fail(error, { operation: "read", key }, signal);
    }
  }

  /** The direct client of the bucket, or null where the SDK's path is needed (see s3-direct-client.ts). */
  direct(): Promise<S3DirectClient | null> {
    if (!this.config.directRequests) return Promise.resolve(null);
    this.#direct ??= S3DirectClient.create(this.sdk, this.client, this.location.bucket).catch(() => null);
    return this.#direct;
  }

  write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    return writeS3(this, key, body, options);
  }

  list(prefix: string, options: ListOptions = {}): AsyncIterable<ListEntry> {
    return listS3(this, prefix, options);
  }

  /** CopyObject, or UploadPartCopy parts above `multipartCopyThreshold`; checks in s3-copy.ts. */
  copy(from: string, to: string, options: CopyOptions = {}): Promise<CopyResult> {
    return copyS3(this, from, to, options);
  }

  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    const { signal } = options;
    try {
      await this.client.send(
        new this.sdk.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return;
      this.fail(error, { operation: "delete", key }, signal);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    (await this.#direct)?.close();
  }
}
