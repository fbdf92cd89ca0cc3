/**
 * Small pieces every cloud driver shares: bucket URLs, key prefixes, bodies, byte counting, and the
 * network errors that no SDK classifies for us.
 */
import { Readable, Transform } from "node:stream";
import { ArtifactError, type ErrorContext } from "../errors.js";
import type { ReadOptions, WriteBody } from "../storage/driver.js";

/** A parsed `scheme://bucket/prefix` URL. */
export interface BucketLocation {
  bucket: string;
  /** Key prefix inside the bucket: "" or "a/b/" (always ends in '/'). */
  prefix: string;
}

/** Parses `s3://bucket/a/b` into `{ bucket: "bucket", prefix: "a/b/" }`, checking the scheme. */
export function parseBucketUrl(url: string, schemes: readonly string[]): BucketLocation {
  const match = /^([a-z0-9+.-]+):\/\/([^/?#]+)\/?([^?#]*)$/i.exec(url);
  const scheme = match?.[1]?.toLowerCase();
  if (!match || scheme === undefined || !schemes.includes(scheme)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected a store URL like '${schemes[0]}://bucket/prefix', got '${url}'`,
      { context: { operation: "parse-url" } },
    );
  }
  return { bucket: match[2] ?? "", prefix: keyPrefixOf(match[3]) };
}

/** The key prefix of a URL's path: "" or "a/b/" (empty segments dropped, always ends in '/'). */
export function keyPrefixOf(path: string | undefined): string {
  const segments = (path ?? "").split("/").filter((s) => s !== "");
  return segments.length === 0 ? "" : `${segments.join("/")}/`;
}

/** A string option from `storageOptions`, or an INVALID_ARGUMENT error naming it. */
export function stringOption(options: Record<string, unknown>, name: string): string | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`${name}\` storage option to be a string, got \`${typeof value}\``,
    );
  }
  return value;
}

/** A positive integer option from `storageOptions`, or an INVALID_ARGUMENT error naming it. */
export function intOption(options: Record<string, unknown>, name: string, fallback: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`${name}\` storage option to be a positive integer, got \`${String(value)}\``,
    );
  }
  return value;
}

/** `storageOptions` without the keys the driver consumes itself (the rest goes to the SDK client). */
export function withoutKeys(
  options: Record<string, unknown>,
  keys: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([k]) => !keys.includes(k)));
}

/** A buffer for small in-memory bodies, else `null` (the body is a stream). */
export function bodyBuffer(body: WriteBody): Buffer | null {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return null;
}

/** A counted body stream and the error its source raised, if any (rethrown unwrapped by the drivers). */
export interface CountedBody {
  stream: Readable;
  /** The source stream's own error, so a failing body is reported as itself, not as a store error. */
  sourceError(): unknown;
}

/** Passes `source` through, calling `onBytes` with the running total. Source errors propagate. */
export function countBytes(source: Readable, onBytes?: (bytes: number) => void): CountedBody {
  let total = 0;
  let error: unknown;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onBytes?.(total);
      done(null, chunk);
    },
  });
  source.on("error", (e) => {
    error ??= e;
    counter.destroy(e);
  });
  return { stream: source.pipe(counter), sourceError: () => error };
}

/** Streams of known size up to this many bytes are sent in one request (and retried as a whole). */
export const SMALL_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * A small stream body of known `size` (at most `limit` bytes) read into memory, so that it goes up in
 * one request (and can be retried); `null` for bigger or unknown-size streams. A stream that turns out
 * longer than `limit` is not buffered further: INVALID_ARGUMENT (its declared size is wrong).
 */
export async function smallBody(
  body: WriteBody,
  size: number | undefined,
  limit: number,
): Promise<Buffer | null> {
  const buffer = bodyBuffer(body);
  if (buffer !== null || size === undefined || size > limit) return buffer;
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop early (the throw) destroys the stream.
  for await (const chunk of body as Readable) {
    total += (chunk as Uint8Array).length;
    if (total > limit)
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `the body is longer than its declared size of ${size} bytes (over ${limit} bytes read); pass the right size or none`,
        { context: { size } },
      );
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/** The HTTP `Range` value of a read's range (`bytes=a-b`, or `bytes=a-` to the end). */
export function rangeHeader(range: NonNullable<ReadOptions["range"]>): string {
  const end = range.length === undefined ? "" : String(range.offset + range.length - 1);
  return `bytes=${range.offset}-${end}`;
}

/** An empty stream (zero-length ranges, empty objects). */
export function emptyStream(): Readable {
  return Readable.from([]);
}

/** Node/undici network error codes that mean "the server went away; trying again may work". */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

/** True when `error` is a socket-level failure: the server went away or could not be reached. */
export function isNetworkFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  const message = String((error as { message?: unknown } | null)?.message ?? "");
  return (
    (typeof code === "string" && NETWORK_CODES.has(code)) ||
    name === "TimeoutError" ||
    name === "FetchError" ||
    /\b(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up)\b/.test(message)
  );
}

/** An UNAVAILABLE (retryable) error when `error` is a socket-level failure, else `null`. */
export function mapNetworkError(error: unknown, context: ErrorContext, url: string): ArtifactError | null {
  if (!isNetworkFailure(error)) return null;
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  return new ArtifactError(
    "UNAVAILABLE",
    `Could not reach the ${context.backend} store '${url}' during ${context.operation} (${String(code ?? name)}); check that the server is running and reachable`,
    { retryable: true, context, cause: error },
  );
}

/** True when `error` is the abort of `signal` (which must be rethrown unwrapped). */
export function isAbortOf(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  return (error as { name?: unknown } | null)?.name === "AbortError" && signal?.aborted === true;
}
