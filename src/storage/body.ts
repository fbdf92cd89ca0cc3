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

/** Reads a whole stream into a buffer (small objects only: records, aliases, claims). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
