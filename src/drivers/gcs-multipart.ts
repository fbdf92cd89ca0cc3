/**
 * Small GCS writes as one multipart upload (the object's JSON metadata and its bytes in one
 * `multipart/related` POST, https://cloud.google.com/storage/docs/uploading-objects), sent by us on a
 * keep-alive socket with the SDK's credentials. The SDK's `file.save(…, { resumable: false })` cost about
 * 1.1 ms of client CPU per object (its request stack, a stream pipeline and hash validators per file):
 * 11-12 s for 10,000 small files, on a machine whose two cores the server shares (bench/README, 10:44).
 *
 * The object's crc32c goes in the metadata, so GCS checks the bytes it received and stores nothing when
 * they differ (400); the crc32c of the stored object is checked again on the answer, as the SDK did, for
 * servers that do not check (a mismatch deletes that generation). Retries come from the driver's layers:
 * the body is in memory.
 */
import { randomUUID } from "node:crypto";
import type { Storage } from "@google-cloud/storage";
import { ArtifactError, throwIfAborted } from "../errors.js";
import { crc32cBase64, loadBestCrc32c } from "./gcs-crc32c.js";
import { gcsAuthHeaders, gcsStatusError, type StorageService } from "./gcs-media.js";
import { checkCrc32c, parseObject, type ResumableFile } from "./gcs-resumable.js";
import { HttpRequester, readErrorBody } from "./http-requester.js";

/** The parts of the SDK's `File` a multipart upload needs. */
export interface MultipartFile extends Pick<ResumableFile, "name" | "delete"> {
  bucket: { name: string };
}

/** What a multipart upload is told. */
export interface MultipartUploadOptions {
  contentType: string;
  /** 0: create-only; a generation: replace that one only. */
  ifGenerationMatch?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Multipart uploads of one driver, on keep-alive sockets of their own. */
export class GcsMultipartUploader {
  readonly #service: StorageService & { apiEndpoint: string };
  readonly #http: HttpRequester;

  constructor(storage: Storage) {
    this.#service = storage as unknown as StorageService & { apiEndpoint: string };
    this.#http = new HttpRequester(this.#service.apiEndpoint.startsWith("https:"));
  }

  /** Uploads `data` as `file` in one request; resolves with the new object's generation. */
  async upload(
    file: MultipartFile,
    data: Buffer,
    options: MultipartUploadOptions,
  ): Promise<{ generation?: string }> {
    const { signal, ifGenerationMatch } = options;
    const crc = (await loadBestCrc32c())(data, 0);
    throwIfAborted(signal);
    const query = new URLSearchParams({ uploadType: "multipart" });
    if (ifGenerationMatch !== undefined) query.set("ifGenerationMatch", String(ifGenerationMatch));
    const url = `${this.#service.apiEndpoint}/upload/storage/v1/b/${encodeURIComponent(file.bucket.name)}/o?${query}`;
    const boundary = `am-${randomUUID()}`;
    const metadata = JSON.stringify({
      name: file.name,
      contentType: options.contentType,
      crc32c: crc32cBase64(crc),
    });
    const head = Buffer.from(
      `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${metadata}\r\n` +
        `--${boundary}\r\nContent-Type: ${options.contentType}\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const response = await this.#http.request(
      "POST",
      url,
      {
        ...(await gcsAuthHeaders(this.#service, url)),
        "Content-Type": `multipart/related; boundary=${boundary}`,
        "Content-Length": String(head.length + data.length + tail.length),
      },
      [head, data, tail],
      signal,
    );
    const status = response.statusCode ?? 500;
    const body = await readErrorBody(response);
    if (status >= 300) throw uploadError(status, body, file.name);
    const object = parseObject(body);
    await checkCrc32c(file, object, crc);
    return object.generation === undefined ? {} : { generation: String(object.generation) };
  }

  close(): void {
    this.#http.close();
  }
}

/**
 * The error of a failed upload. GCS refuses bytes that do not match the crc32c sent with them with a
 * 400 naming it ("Provided CRC32C … doesn't match calculated CRC32C …"): damaged on the way, stored
 * nowhere, worth sending again.
 */
function uploadError(status: number, body: string, name: string): Error {
  const error = gcsStatusError(status, body);
  if (status === 400 && /crc32c/i.test(error.message)) {
    return new ArtifactError(
      "CHECKSUM_MISMATCH",
      `GCS refused '${name}': the bytes it received do not match their crc32c (${error.message}); nothing was stored, write it again`,
      { retryable: true, cause: error, context: { backend: "gcs", operation: "write", key: name } },
    );
  }
  return error;
}
