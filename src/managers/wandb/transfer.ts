/**
 * Byte transfers to and from pre-signed storage URLs (no W&B credentials, PROTOCOL.md section 2.4 D
 * and 4.3): streamed PUTs from disk and streamed GETs hashed on the fly. One attempt each; callers
 * wrap them in `withRetry`.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ArtifactError, isArtifactError } from "../../errors.js";
import { mapLocalFileError } from "../../storage/fs-errors.js";
import { type ContentDigests, ContentHasher } from "./digests.js";
import { tooBigError } from "./limits.js";
import { agentFor } from "./proxy.js";
import { errorForStatus, parseRetryAfter } from "./retry.js";

/** A streamed upload of a file, a byte range of it, or a small in-memory body (the manifest). */
export interface PutOptions {
  /** The file to send, or the bytes themselves. */
  body: { localPath: string; range?: { start: number; end: number } } | Buffer;
  size: number;
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Called with the bytes sent so far in this attempt. */
  onBytes?: (sent: number) => void;
}

/** PUTs the bytes and returns the response headers (the ETag of a part). */
export async function putFile(url: string, options: PutOptions): Promise<IncomingMessage["headers"]> {
  const { body, signal } = options;
  const source = Buffer.isBuffer(body)
    ? Readable.from([body])
    : createReadStream(body.localPath, body.range ?? {});
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      options.onBytes?.(sent);
      done(null, chunk);
    },
  });
  const headers = { ...options.headers, "content-length": String(options.size) };
  return send(url, "PUT", headers, signal, async (req) => {
    let sourceError: unknown;
    source.once("error", (error: unknown) => {
      sourceError = error;
    });
    await pipeline(source, counter, req, signalOf(signal)).catch((error: unknown) => {
      // the file being sent failed (EISDIR, EACCES…): not a network error, not retried (issue 18.10)
      const path = Buffer.isBuffer(body) ? "" : body.localPath;
      throw (
        (error === sourceError ? localFileFailure(error, "reading the upload", path) : undefined) ?? error
      );
    });
  });
}

/** What a download reports and how far it may go. */
export interface SaveOptions {
  signal?: AbortSignal | undefined;
  onBytes?: (received: number) => void;
  /** Fails with `CHECKSUM_MISMATCH` as soon as more bytes than this arrive (the manifest's size). */
  maxBytes?: number | undefined;
  /** What is downloaded, for that error. */
  what?: string | undefined;
  /** Also hash with xxh3-128 (an entry tagged `extra.alg: "XXH128"`). @default false */
  xxh128?: boolean | undefined;
}

/** What a download got: its base64 md5 (and xxh3-128 when asked) and its size. */
export interface SavedBytes extends ContentDigests {
  size: number;
}

/** GETs `url` into `dest` (or only hashes it when `dest` is undefined): base64 digests and size. */
export async function getToFile(
  url: string,
  dest: string | undefined,
  options: SaveOptions = {},
): Promise<SavedBytes> {
  let got: SavedBytes | undefined;
  const what = options.what ?? new URL(url).pathname;
  await send(url, "GET", {}, options.signal, undefined, async (res) => {
    got = await saveStream(res, dest, { ...options, what });
  });
  if (got === undefined) throw new ArtifactError("UNEXPECTED", `W&B storage GET ${what} gave no answer body`);
  return got;
}

/**
 * Streams `source` into `dest` (or only hashes it when `dest` is undefined): base64 digests and size,
 * stopping with `CHECKSUM_MISMATCH` past `maxBytes`.
 */
export async function saveStream(
  source: NodeJS.ReadableStream,
  dest: string | undefined,
  options: SaveOptions = {},
): Promise<SavedBytes> {
  const hash = await ContentHasher.create(options.xxh128 === true);
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (options.maxBytes !== undefined && size > options.maxBytes) {
        // An answer longer than the file must not fill the disk before the size check at the end.
        const message = `more than the ${options.maxBytes} bytes of ${options.what ?? "a file"} arrived; stopped reading`;
        done(
          new ArtifactError("CHECKSUM_MISMATCH", message, {
            context: { backend: "wandb", operation: "GET" },
          }),
        );
        return;
      }
      hash.update(chunk);
      options.onBytes?.(size);
      done(null, chunk);
    },
  });
  const file = dest === undefined ? undefined : createWriteStream(dest);
  let fileError: unknown;
  let sourceError: unknown;
  file?.once("error", (error) => {
    fileError = error;
  });
  // pipeline destroys the file with the source's error too (a cut connection): that one is no file error.
  (source as NodeJS.EventEmitter).once("error", (error) => {
    sourceError = error;
  });
  try {
    await pipeline(source, tap, file ?? discard, signalOf(options.signal));
  } catch (error) {
    // let the file close first, so a caller that removes its folder never races a late open
    if (file && !file.closed) await once(file, "close").catch(() => {});
    // the file being written failed (EISDIR, ENOSPC, EACCES…): not retried (issue 18.10)
    const local =
      error === fileError && error !== sourceError
        ? localFileFailure(error, "writing the download", dest ?? "")
        : undefined;
    throw local ?? error;
  }
  return { ...hash.digests(), size };
}

/** Whether a storage error means the pre-signed URL is no longer valid. */
export function isExpiredUrlError(error: unknown): boolean {
  return isArtifactError(error, "PERMISSION_DENIED") || isArtifactError(error, "UNAUTHENTICATED");
}

/** Bounds of {@link getText}: its caller's signal, most bytes and longest time (with the options naming them). */
export interface GetTextOptions {
  signal?: AbortSignal | undefined;
  maxBytes: number;
  timeoutMs: number;
  /** What is downloaded, for the errors ("the manifest of v3"). */
  what: string;
  /** The options that raise the limits, named in the errors. */
  options: { maxBytes: string; timeoutMs: string };
}

/**
 * GETs a small document (the manifest) as text: past `maxBytes` it stops reading (`UNEXPECTED`), past
 * `timeoutMs` it gives up (`TIMEOUT`); neither is retryable (issue 18.6).
 */
export async function getText(url: string, limits: GetTextOptions): Promise<string> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  const key = new URL(url).pathname;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    await send(url, "GET", {}, signal, undefined, async (res) => {
      const declared = Number(res.headers["content-length"] ?? 0);
      for await (const chunk of declared > limits.maxBytes ? [] : res) {
        size += (chunk as Buffer).length;
        if (size > limits.maxBytes) break;
        chunks.push(chunk as Buffer);
      }
      if (declared > limits.maxBytes || size > limits.maxBytes) {
        res.destroy();
        throw tooBigError(limits.what, limits.maxBytes, limits.options.maxBytes, key);
      }
    });
  } catch (error) {
    if (limits.signal?.aborted) throw limits.signal.reason;
    if (!timeout.aborted) throw error;
    throw new ArtifactError(
      "TIMEOUT",
      `${limits.what} did not arrive within ${limits.timeoutMs} ms (${size} bytes came); raise the \`${limits.options.timeoutMs}\` option if it is that slow`,
      {
        cause: error,
        context: { backend: "wandb", operation: "download", key, option: limits.options.timeoutMs },
      },
    );
  }
  return Buffer.concat(chunks).toString("utf8");
}

type Writer = (req: import("node:http").ClientRequest) => Promise<void>;
type Reader = (res: IncomingMessage) => Promise<void>;

/** Redirects a storage GET follows, as the SDK's HTTP clients do (Go's and requests' limits are 10 and 30). */
export const MAX_STORAGE_REDIRECTS = 10;

function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  write?: Writer,
  read?: Reader,
  hops = 0,
): Promise<IncomingMessage["headers"]> {
  const target = new URL(url);
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const fail = (error: unknown) => reject(transferError(error, method, target, signal));
    const agent = agentFor(target); // HTTPS_PROXY / HTTP_PROXY (proxy.ts)
    const req = request(
      target,
      { method, headers, ...(agent ? { agent } : {}), ...signalOf(signal) },
      (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (method === "GET" && REDIRECTS.has(status) && location !== undefined) {
          // storage may answer a GET with a redirect (a CDN, another region): followed, and the new
          // answer gets every check the first one would have had
          res.resume();
          const next = redirectTarget(location, target, hops);
          return next instanceof ArtifactError
            ? reject(next)
            : send(next, method, headers, signal, write, read, hops + 1).then(resolve, reject);
        }
        if (status < 200 || status >= 300) {
          res.resume();
          const retryAfterMs = parseRetryAfter(res.headers["retry-after"] as string | undefined);
          return reject(
            errorForStatus(status, `W&B storage ${method} ${target.pathname} failed with HTTP ${status}`, {
              operation: method === "PUT" ? "upload" : "download",
              key: target.pathname,
              ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            }),
          );
        }
        (read ? read(res) : drain(res)).then(() => resolve(res.headers), fail);
      },
    );
    req.on("error", fail);
    if (write) write(req).catch(fail);
    else req.end();
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The URL a redirect leads to, or the error that stops it (too many hops, not http(s)). */
function redirectTarget(location: string, from: URL, hops: number): string | ArtifactError {
  const context = { backend: "wandb", operation: "download", key: from.pathname };
  if (hops >= MAX_STORAGE_REDIRECTS) {
    return new ArtifactError(
      "UNAVAILABLE",
      `W&B storage GET ${from.pathname} redirected more than ${MAX_STORAGE_REDIRECTS} times`,
      { context },
    );
  }
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return new ArtifactError(
      "UNEXPECTED",
      `W&B storage redirected to a bad URL ${JSON.stringify(location)}`,
      {
        context,
      },
    );
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    return new ArtifactError(
      "UNEXPECTED",
      `W&B storage redirected to ${next.protocol} (only http and https)`,
      {
        context,
      },
    );
  }
  return next.href;
}

async function discard(chunks: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of chunks);
}

async function drain(res: IncomingMessage): Promise<void> {
  for await (const _ of res);
}

function transferError(
  error: unknown,
  method: string,
  target: URL,
  signal: AbortSignal | undefined,
): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof ArtifactError) return error;
  return new ArtifactError(
    "UNAVAILABLE",
    `W&B storage ${method} ${target.host}${target.pathname} was interrupted: ${(error as Error).message}`,
    { retryable: true, cause: error, context: { backend: "wandb", operation: method, key: target.pathname } },
  );
}

/**
 * An error of the local file a transfer reads or writes (EISDIR, ENOSPC, EACCES, EROFS…) as a typed
 * error that is not retried: another attempt would meet the same disk (issue 18.10). Undefined when
 * `error` is no system error.
 */
export function localFileFailure(error: unknown, what: string, path: string): ArtifactError | undefined {
  const mapped = mapLocalFileError(error, what, path);
  if (!(mapped instanceof ArtifactError) || mapped === error) return undefined;
  return new ArtifactError(mapped.code, mapped.message, {
    cause: error,
    context: { ...mapped.context, backend: "wandb" },
  });
}

function signalOf(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}
