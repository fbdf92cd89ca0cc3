/**
 * `az://container/prefix` (or `https://ACCOUNT.blob.core.windows.net/container/prefix`) on Azure Blob
 * Storage through `@azure/storage-blob`. Create-only writes send `If-None-Match: *`, which Azure checks
 * on Put Blob and on Put Block List, so streamed block uploads are create-only too
 * (https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations).
 */
import { Readable } from "node:stream";
import type { ContainerClient } from "@azure/storage-blob";
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
import { PageCursors } from "../util/page-cursor.js";
import {
  type AzureDriverOptions,
  createAzureServiceClient,
  parseAzureUrl,
  type ResolvedAzureClient,
} from "./azure-config.js";
import { copyAzure } from "./azure-copy.js";
import type { AzureDirectReader } from "./azure-direct-reader.js";
import { type AzureErrorSubject, mapAzureError } from "./azure-errors.js";
import { countBytes, emptyStream, isAbortOf, SMALL_BODY_LIMIT, smallBody } from "./cloud-common.js";
import { withCloudLayers } from "./cloud-layers.js";

export type { AzureDriverOptions } from "./azure-config.js";

/** Creates the driver of an `az://container/prefix` store. The Azure SDK is loaded on first use of this function. */
export async function createAzureDriver(
  url: string,
  storageOptions: Record<string, unknown> = {},
): Promise<StorageDriver> {
  const location = parseAzureUrl(url);
  const resolved = await createAzureServiceClient(location, storageOptions as AzureDriverOptions);
  const driver = new AzureDriver(url, location.bucket, location.prefix, resolved);
  return withCloudLayers(driver, storageOptions);
}

/** The Azure Blob byte store. Keys are stored under the URL's prefix. */
export class AzureDriver implements StorageDriver {
  readonly backend = "azure";
  readonly capabilities: DriverCapabilities;
  readonly #container: ContainerClient;
  readonly #direct: AzureDirectReader | null;

  constructor(
    readonly url: string,
    readonly container: string,
    readonly prefix: string,
    readonly resolved: ResolvedAzureClient,
  ) {
    this.#direct = resolved.directReader;
    this.#container = resolved.service.getContainerClient(container);
    this.capabilities = {
      writeIfNotExists: true,
      writeIfMatch: true,
      rangeRead: true,
      multipart: true,
      atomicRenamePrefix: false,
      writeBufferBytes: resolved.writeBufferBytes,
    };
  }

  #fail(
    error: unknown,
    subject: Omit<AzureErrorSubject, "container" | "url" | "auth">,
    signal?: AbortSignal,
  ): never {
    if (isAbortOf(error, signal)) throw signal?.reason ?? error;
    throw mapAzureError(error, {
      ...subject,
      container: this.container,
      url: this.url,
      auth: this.resolved.auth,
    });
  }

  #blob(key: string) {
    return this.#container.getBlockBlobClient(this.prefix + key);
  }

  // https://learn.microsoft.com/rest/api/storageservices/get-blob-properties
  async stat(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    const { signal } = options;
    try {
      const p = await this.#blob(key).getProperties(signal ? { abortSignal: signal } : {});
      return {
        key,
        size: p.contentLength ?? 0,
        ...(p.lastModified ? { lastModified: p.lastModified } : {}),
        ...(p.etag ? { etag: p.etag } : {}),
      };
    } catch (error) {
      if (isMissingBlob(error)) return null;
      return this.#fail(error, { operation: "stat", key }, signal);
    }
  }

  // https://learn.microsoft.com/rest/api/storageservices/get-blob
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    const { signal, range } = options;
    if (range?.length === 0) {
      if ((await this.stat(key, options)) === null)
        this.#fail({ code: "BlobNotFound", statusCode: 404 }, { operation: "read", key });
      return emptyStream();
    }
    try {
      // Through the SDK when there is no direct reader, or its answer is framed in a way it does not read.
      const direct = await this.#direct?.open(this.prefix + key, options);
      if (direct) return direct;
      const out = await this.#blob(key).download(
        range?.offset ?? 0,
        range?.length,
        signal ? { abortSignal: signal } : {},
      );
      return (out.readableStreamBody as Readable | undefined) ?? emptyStream();
    } catch (error) {
      // A range starting at or past the end (or any range of an empty blob) is empty, not an error.
      if ((error as { statusCode?: number }).statusCode === 416) return emptyStream();
      return this.#fail(error, { operation: "read", key }, signal);
    }
  }

  // https://learn.microsoft.com/rest/api/storageservices/put-blob and put-block-list
  async write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    const { signal, ifNotExists, ifMatch } = options;
    const condition = ifNotExists ? "ifNotExists" : ifMatch !== undefined ? "ifMatch" : undefined;
    const common = {
      ...(signal ? { abortSignal: signal } : {}),
      blobHTTPHeaders: { blobContentType: options.contentType ?? "application/octet-stream" },
      conditions: {
        ...(ifNotExists ? { ifNoneMatch: "*" } : {}),
        ...(ifMatch !== undefined ? { ifMatch } : {}),
      },
    };
    const buffer = await smallBody(body, options.size, SMALL_BODY_LIMIT);
    throwIfAborted(signal);
    let bodyError: unknown;
    try {
      if (buffer !== null && buffer.length <= this.resolved.blockSize) {
        const out = await this.#blob(key).upload(buffer, buffer.length, common);
        options.onBytes?.(buffer.length);
        return { key, size: buffer.length, ...(out.etag ? { etag: out.etag } : {}) };
      }
      let size = 0;
      const source = buffer !== null ? Readable.from([buffer]) : (body as Readable);
      const counted = countBytes(source, (n) => {
        size = n;
        options.onBytes?.(n);
      });
      const { blockSize, concurrency } = this.resolved;
      try {
        const out = await this.#blob(key).uploadStream(counted.stream, blockSize, concurrency, common);
        return { key, size, ...(out.etag ? { etag: out.etag } : {}) };
      } catch (error) {
        bodyError = counted.sourceError();
        throw error;
      }
    } catch (error) {
      if (bodyError !== undefined) throw bodyError;
      return this.#fail(error, { operation: "write", key, ...(condition ? { condition } : {}) }, signal);
    }
  }

  list(prefix: string, options: ListOptions = {}): AsyncIterable<ListEntry> {
    return this.#list(prefix, options);
  }

  // https://learn.microsoft.com/rest/api/storageservices/list-blobs
  async *#list(prefix: string, options: ListOptions): AsyncGenerator<ListEntry> {
    const { signal } = options;
    const full = this.prefix + prefix;
    const opts = { prefix: full, ...(signal ? { abortSignal: signal } : {}) };
    const pages = options.delimiter
      ? this.#container.listBlobsByHierarchy("/", opts).byPage()
      : this.#container.listBlobsFlat(opts).byPage();
    const root = this.prefix.length;
    const cursors = new PageCursors(`az://${this.#container.containerName}/${full}`, { backend: "azure" });
    while (true) {
      let step: Awaited<ReturnType<typeof pages.next>>;
      try {
        step = await pages.next();
      } catch (error) {
        this.#fail(error, { operation: "list", key: prefix }, signal);
      }
      if (step.done) return;
      const segment = step.value.segment as {
        blobItems: {
          name: string;
          properties: { contentLength?: number; lastModified?: Date; etag?: string };
        }[];
        blobPrefixes?: { name: string }[];
      };
      const entries: ListEntry[] = (segment.blobPrefixes ?? []).map((p) => ({
        type: "prefix",
        key: p.name.slice(root),
      }));
      for (const b of segment.blobItems) {
        const { contentLength, lastModified, etag } = b.properties;
        entries.push({
          type: "object",
          key: b.name.slice(root),
          size: contentLength ?? 0,
          ...(lastModified ? { lastModified } : {}),
          ...(etag ? { etag } : {}),
        });
      }
      entries.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
      yield* entries;
      // the SDK follows the marker it is given: one that repeats would list for ever (issue 18.8)
      const marker = (step.value as { continuationToken?: string }).continuationToken;
      if (marker) cursors.next(marker);
    }
  }

  /** Copy Blob From URL (sync) or Copy Blob (async, polled); checks in azure-copy.ts. */
  copy(from: string, to: string, options: CopyOptions = {}): Promise<CopyResult> {
    const { auth } = this.resolved;
    const context = {
      source: this.#blob(from),
      target: this.#blob(to),
      maxSyncCopyBytes: this.resolved.maxSyncCopyBytes,
      sharedKey: auth === "account key" || auth === "connection string",
      fail: this.#fail.bind(this),
    };
    return copyAzure(context, from, to, options);
  }

  // https://learn.microsoft.com/rest/api/storageservices/delete-blob
  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    const { signal } = options;
    try {
      await this.#blob(key).delete(signal ? { abortSignal: signal } : {});
    } catch (error) {
      if (isMissingBlob(error)) return;
      this.#fail(error, { operation: "delete", key }, signal);
    }
  }

  async close(): Promise<void> {
    this.#direct?.close();
  }
}

/** A 404 about the blob, not about the container (HEAD carries the code only in details.errorCode). */
function isMissingBlob(error: unknown): boolean {
  const e = error as { statusCode?: number; code?: string; details?: { errorCode?: string } };
  return e.statusCode === 404 && (e.code ?? e.details?.errorCode) !== "ContainerNotFound";
}
