/** Helpers to turn a `WriteBody` into bytes or a stream, counting bytes and honouring a signal. */
import { Readable } from "node:stream";
import { throwIfAborted } from "../errors.js";
import type { WriteBody } from "./driver.js";

/** A readable stream over any body (strings as UTF-8). */
export function toReadable(body: WriteBody): Readable {
  if (typeof body === "string") return Readable.from([Buffer.from(body, "utf8")]);
  if (body instanceof Uint8Array) return Readable.from([body]);
  return body;
}

/** Reads a whole body into one buffer (for the memory driver and small JSON objects). */
export async function collectBody(
  body: WriteBody,
  options: { signal?: AbortSignal | undefined; onBytes?: ((bytes: number) => void) | undefined } = {},
): Promise<Buffer> {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of abortable(body, options.signal)) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    chunks.push(buffer);
    total += buffer.length;
    options.onBytes?.(total);
  }
  return Buffer.concat(chunks, total);
}

/** Iterates a stream, rejecting with `signal.reason` (and destroying the stream) once aborted. */
export async function* abortable(stream: Readable, signal: AbortSignal | undefined): AsyncGenerator<unknown> {
  throwIfAborted(signal);
  if (signal === undefined) {
    yield* stream;
    return;
  }
  const onAbort = () => stream.destroy(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of stream) {
      throwIfAborted(signal);
      yield chunk;
    }
    throwIfAborted(signal);
  } catch (error) {
    throwIfAborted(signal);
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Read streams that already hold their whole body (see {@link markWholeBody}). */
const wholeBodies = new WeakSet<Readable>();

/**
 * Marks a read stream that holds its whole body: every byte and its end already pushed, its connection
 * let go. Nothing of it can fail in transit any more, so the retry layer hands it over as it is instead
 * of through a resumable stream of its own (the zero-copy GET gives a small object's answer only once
 * its whole body arrived).
 */
export function markWholeBody(stream: Readable): void {
  wholeBodies.add(stream);
}

/** Whether `stream` was marked by {@link markWholeBody} and is not destroyed. */
export function isWholeBody(stream: Readable): boolean {
  return wholeBodies.has(stream) && !stream.destroyed;
}

/** Reads a whole stream into a buffer (small objects only: records, aliases, claims). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
