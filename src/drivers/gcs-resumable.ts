/**
 * Streamed GCS writes as one resumable upload whose chunks we send ourselves
 * (https://cloud.google.com/storage/docs/performing-resumable-uploads). The SDK opens the session (its
 * credentials, the object's metadata and `ifGenerationMatch`); each chunk then goes out as one PUT on a
 * keep-alive socket while the next one is read (and hashed, upstream) from the source, so the client's
 * work overlaps the server's. The SDK's upload stream waits for each chunk's answer before it reads on,
 * and cost 4.4–4.9 s of client CPU per GiB; this path with the manager's pooled reads (taken over by
 * chunk-reader.ts, given back below) costs 1.3–1.4 s (bench/README, "Results, 2026-11-27 09:32").
 *
 * What the SDK's upload did and this one does too: chunks of `chunkSize` (a multiple of 256 KiB), a
 * chunk the server kept only part of is continued from the byte it reports, a failed chunk is retried
 * (network errors, 408, 429, 5xx) after asking the server what it has, the object's crc32c is checked
 * against the bytes sent (a mismatch deletes the object), and a failed upload cancels its session.
 */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { Storage } from "@google-cloud/storage";
import { ArtifactError, throwIfAborted } from "../errors.js";
import { returnBuffers } from "../storage/buffer-pool.js";
import { sleep } from "../storage/layers/retry.js";
import { announceRetry, type RetryListener } from "../storage/layers/retry-event.js";
import { type Chunk, ChunkReader } from "./chunk-reader.js";
import { isNetworkFailure } from "./cloud-common.js";
import { crc32cBase64, loadBestCrc32c } from "./gcs-crc32c.js";
import { gcsAuthHeaders, gcsStatusError, type StorageService } from "./gcs-media.js";
import { HttpRequester, readErrorBody } from "./http-requester.js";

/** Attempts per chunk, as the SDK's default `retryOptions` (3 retries). */
const CHUNK_ATTEMPTS = 4;
/** Longest first pause before a retry; doubles each time, at most {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 8_000;

/** The parts of the SDK's `File` a resumable upload needs. */
export interface ResumableFile {
  name: string;
  createResumableUpload(options: {
    metadata: { contentType: string };
    preconditionOpts?: { ifGenerationMatch: number };
  }): Promise<[string]>;
  delete(options?: { ifGenerationMatch?: number }): Promise<unknown>;
}

/** What a resumable upload is told. */
export interface ResumableUploadOptions {
  contentType: string;
  /** 0: create-only; a generation: replace that one only. */
  ifGenerationMatch?: number;
  chunkSize: number;
  signal?: AbortSignal | undefined;
}

/** The object resource GCS answers an upload with (the fields read here). */
export interface UploadedObject {
  generation?: string | number;
  crc32c?: string;
  size?: string | number;
}

/** Resumable uploads of one driver, on keep-alive sockets of their own. */
export class GcsResumableUploader {
  readonly #service: StorageService;
  readonly #requesters = new Map<boolean, HttpRequester>();
  readonly #onRetry: RetryListener | undefined;

  /** `onRetry` is told of each retry of a chunk, before its wait. */
  constructor(storage: Storage, onRetry?: RetryListener) {
    this.#service = storage as unknown as StorageService;
    this.#onRetry = onRetry;
  }

  /** Uploads `source` to `file` whole; resolves with the new object's generation. */
  async upload(
    file: ResumableFile,
    source: Readable,
    options: ResumableUploadOptions,
  ): Promise<{ generation?: string }> {
    const { signal, chunkSize } = options;
    throwIfAborted(signal);
    const crcOf = await loadBestCrc32c();
    const reader = new ChunkReader(source, chunkSize);
    let session: string | undefined;
    try {
      [session] = await file.createResumableUpload({
        metadata: { contentType: options.contentType },
        ...(options.ifGenerationMatch === undefined
          ? {}
          : { preconditionOpts: { ifGenerationMatch: options.ifGenerationMatch } }),
      });
      const uri = session;
      let offset = 0;
      let crc = 0;
      let chunk = await reader.take();
      for (;;) {
        for (const buffer of chunk.buffers) crc = crcOf(buffer, crc);
        const total = chunk.last ? offset + chunk.length : undefined;
        const sending = this.#sendChunk(uri, chunk, offset, total, signal);
        // The next chunk is read while this one is on its way (at most two chunks in memory).
        const next = chunk.last ? null : reader.take();
        next?.catch(() => undefined);
        const object = await sending;
        // The server has the chunk: its pool buffers go back (a failed upload just drops them).
        returnBuffers(chunk.owned);
        if (object !== null) {
          await checkCrc32c(file, object, crc);
          return object.generation === undefined ? {} : { generation: String(object.generation) };
        }
        offset += chunk.length;
        chunk = await (next as Promise<Chunk>);
      }
    } catch (error) {
      reader.stop();
      if (session !== undefined) this.#cancel(session);
      throw error;
    }
  }

  close(): void {
    for (const requester of this.#requesters.values()) requester.close();
  }

  /**
   * Sends `chunk` (bytes `start`… of the object; `total` on the last one) until the server has all of
   * it. Resolves with the object after the last chunk, else null.
   */
  async #sendChunk(
    uri: string,
    chunk: Chunk,
    start: number,
    total: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<UploadedObject | null> {
    const end = start + chunk.length;
    let from = start;
    let failures = 0;
    // After a failed attempt, the session is asked what it has before the chunk goes again.
    let ask = false;
    let wait = 0;
    const retryAfter = (failure: unknown) => {
      ask = true;
      wait = backoff(failures);
      const reason = Object.assign(new Error(describeFailure(failure)), {
        context: { backend: "gcs", operation: "write" },
      });
      announceRetry(this.#onRetry, reason, { attempt: failures, max: CHUNK_ATTEMPTS - 1, delayMs: wait });
    };
    for (;;) {
      let answer: Answer;
      try {
        if (ask) {
          await sleep(wait, signal);
          const status = await this.#status(uri, total, signal);
          if (status.object) return status.object;
          from = checkPersisted(status.persisted, start, end);
          ask = false;
        }
        const body = skipBytes(chunk.buffers, from - start);
        const range = end === from ? `bytes */${total ?? "*"}` : `bytes ${from}-${end - 1}/${total ?? "*"}`;
        answer = await this.#put(
          uri,
          { "Content-Length": String(end - from), "Content-Range": range },
          body,
          signal,
        );
      } catch (error) {
        // A network failure or a retryable status, of the chunk or of the status query.
        const status = (error as { code?: unknown }).code;
        const retryable = isNetworkFailure(error) || (typeof status === "number" && retryableStatus(status));
        if (signal?.aborted || !retryable || ++failures >= CHUNK_ATTEMPTS) throw error;
        retryAfter(error);
        continue;
      }
      if (answer.status === 200 || answer.status === 201) return parseObject(answer.body);
      if (answer.status === 308) {
        const persisted = checkPersisted(persistedOf(answer.range), start, end);
        if (persisted >= end && total === undefined) return null;
        // Part of the chunk was kept: send the rest (a chunk that made no progress counts as a failure).
        if (persisted === from && ++failures >= CHUNK_ATTEMPTS)
          throw gcsStatusError(503, `the upload session kept no bytes past ${from}`);
        from = persisted;
        continue;
      }
      if (!retryableStatus(answer.status) || ++failures >= CHUNK_ATTEMPTS) throw answerError(answer);
      retryAfter(answerError(answer));
    }
  }

  /** Asks the session what it has: the bytes persisted, or the object when it is complete. */
  async #status(
    uri: string,
    total: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ persisted: number; object?: UploadedObject }> {
    const answer = await this.#put(
      uri,
      { "Content-Length": "0", "Content-Range": `bytes */${total ?? "*"}` },
      [],
      signal,
    );
    if (answer.status === 200 || answer.status === 201)
      return { persisted: total ?? 0, object: parseObject(answer.body) };
    if (answer.status === 308) return { persisted: persistedOf(answer.range) };
    throw answerError(answer);
  }

  async #put(
    uri: string,
    headers: Record<string, string>,
    body: readonly Buffer[],
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    const response = await this.#requester(uri).request(
      "PUT",
      uri,
      { ...(await gcsAuthHeaders(this.#service, uri)), ...headers },
      body,
      signal,
    );
    return answerOf(response);
  }

  /** Cancels a session after a failure (best effort: an abandoned session expires after a week). */
  #cancel(uri: string): void {
    gcsAuthHeaders(this.#service, uri)
      .then((auth) => this.#requester(uri).request("DELETE", uri, { ...auth, "Content-Length": "0" }))
      .then((response) => response.resume())
      .catch(() => undefined);
  }

  #requester(uri: string): HttpRequester {
    const secure = uri.startsWith("https:");
    let requester = this.#requesters.get(secure);
    if (!requester) {
      requester = new HttpRequester(secure);
      this.#requesters.set(secure, requester);
    }
    return requester;
  }
}

/** A session's answer: status, the `Range` it kept, and the (small) body. */
interface Answer {
  status: number;
  range: string | undefined;
  body: string;
}

async function answerOf(response: IncomingMessage): Promise<Answer> {
  const range = response.headers.range;
  return { status: response.statusCode ?? 500, range, body: await readErrorBody(response) };
}

/**
 * The error of a failed answer. A session that is gone (404, 410: expired after a week, or cancelled)
 * is not a missing bucket, which is what a 404 of a write means to the error mapping.
 */
function answerError(answer: Answer): Error {
  if (answer.status === 404 || answer.status === 410) {
    return new ArtifactError(
      "UNAVAILABLE",
      `the GCS upload session is gone (HTTP ${answer.status}: expired or cancelled); write the object again`,
      { retryable: true, context: { backend: "gcs", operation: "write", status: answer.status } },
    );
  }
  return gcsStatusError(answer.status, answer.body);
}

/** The bytes a session holds, from its `Range: bytes=0-N` (none: 0). */
function persistedOf(range: string | undefined): number {
  const match = /^bytes=0-(\d+)$/.exec(range ?? "");
  return match ? Number(match[1]) + 1 : 0;
}

/** The server may keep less of a chunk than was sent, never less than the chunks before it. */
function checkPersisted(persisted: number, start: number, end: number): number {
  if (persisted < start || persisted > end) {
    throw new ArtifactError(
      "UNAVAILABLE",
      `the GCS upload session holds ${persisted} bytes while bytes ${start}-${end - 1} were being sent; start the upload again`,
      { retryable: true },
    );
  }
  return persisted;
}

/** The object resource of an answer's body ({} when it is not JSON). */
export function parseObject(body: string): UploadedObject {
  try {
    return JSON.parse(body) as UploadedObject;
  } catch {
    return {};
  }
}

/**
 * The object's crc32c (base64, big-endian) against the bytes sent. A mismatch means the stored object
 * is not what was sent: it is deleted (that generation only) and the write fails, as the SDK does.
 */
export async function checkCrc32c(
  file: Pick<ResumableFile, "name" | "delete">,
  object: UploadedObject,
  crc: number,
): Promise<void> {
  if (object.crc32c === undefined) return;
  const sent = crc32cBase64(crc);
  if (object.crc32c === sent) return;
  const generation = Number(object.generation);
  await file
    .delete(Number.isFinite(generation) ? { ifGenerationMatch: generation } : {})
    .catch(() => undefined);
  throw new ArtifactError(
    "CHECKSUM_MISMATCH",
    `GCS stored '${file.name}' with crc32c ${object.crc32c}, but the bytes sent have ${sent}; the object was deleted, write it again`,
    { retryable: true, context: { backend: "gcs", operation: "write", key: file.name } },
  );
}

/** The buffers of a chunk from byte `skip` on (views, no copy). */
function skipBytes(buffers: readonly Buffer[], skip: number): Buffer[] {
  if (skip === 0) return [...buffers];
  const out: Buffer[] = [];
  let left = skip;
  for (const buffer of buffers) {
    if (left >= buffer.length) left -= buffer.length;
    else {
      out.push(left > 0 ? buffer.subarray(left) : buffer);
      left = 0;
    }
  }
  return out;
}

/** One line on a failed chunk: the status's error message, or the network error's. */
function describeFailure(failure: unknown): string {
  const { code, message } = failure as { code?: unknown; message?: string };
  const text = message || "request failed";
  return typeof code === "number" && !text.startsWith("HTTP") ? `HTTP ${code} ${text}` : text;
}

function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Full jitter, as the retry layer's: up to 250 ms, doubling per failure, at most 8 s. */
function backoff(failures: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1));
}
