/**
 * One keep-alive connection of the zero-copy GET (zero-copy-get.ts): a small state machine fed by the
 * socket's reads, which the kernel makes straight into the buffer that {@link Connection} names for each
 * (the answer's head buffer, then the body's pool buffers), and the body stream it pushes them to.
 */
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { markWholeBody } from "../storage/body.js";
import { handOver, POOL_BUFFER_BYTES, takeBuffer } from "../storage/buffer-pool.js";
import { connectionClosed, contentLength, decodeChunked, parseHead, protocolError } from "./http1.js";
import type { ZeroCopyAnswer } from "./zero-copy-get.js";

/**
 * Bodies up to this size are read into one buffer of their own size, not a 1 MiB pool buffer, and their
 * answer is given once the whole body arrived (a stream that cannot fail any more, storage/body.ts).
 */
const SMALL_BODY_BYTES = 64 * 1024;
/** Largest response head (status line and headers) accepted. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Most bytes of an error answer kept. */
const MAX_ERROR_BYTES = 64 * 1024;

/** `net.connect`'s `onread` option. */
export interface OnRead {
  buffer: () => Uint8Array;
  callback: (bytes: number, buffer: Uint8Array) => boolean;
}

/** One exchange in progress: the promise of its answer, then its body. */
interface Exchange {
  resolve: (answer: ZeroCopyAnswer) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  /** Bytes of the answer received so far (0: a dead kept connection may be retried). */
  received: number;
}

/** A non-2xx answer being read: its head, framing, and the first bytes of its body. */
interface ErrorBody {
  status: number;
  headers: Record<string, string>;
  /** `Content-Length`, when given. */
  length: number | undefined;
  chunked: boolean;
  /** Copies of the bytes received, up to MAX_ERROR_BYTES. */
  chunks: Buffer[];
  /** Bytes received, kept or not. */
  bytes: number;
}

/** One keep-alive connection: a small state machine fed by the socket's reads. */
export class Connection {
  readonly #socket: Socket;
  readonly #release: (connection: Connection) => void;
  readonly #headTimeoutMs: number;
  #state: "idle" | "head" | "body" | "error-body" | "dead" = "idle";
  #exchange: Exchange | undefined;
  // head
  #head = Buffer.allocUnsafe(4096);
  #headUsed = 0;
  #keepAlive = true;
  // body
  #body: Body | undefined;
  /** The answer of a small body, given once the body is whole. */
  #heldAnswer: Extract<ZeroCopyAnswer, { kind: "body" }> | undefined;
  #target: Buffer | undefined;
  #used = 0;
  #remaining = 0;
  #paused = false;
  // error body
  #error: ErrorBody | undefined;

  constructor(
    open: (onread: OnRead) => Socket,
    release: (connection: Connection) => void,
    headTimeoutMs: number,
  ) {
    this.#release = release;
    this.#headTimeoutMs = headTimeoutMs;
    this.#socket = open({ buffer: () => this.#nextBuffer(), callback: (n, b) => this.#onRead(n, b) });
    this.#socket.setNoDelay(true);
    this.#socket.on("error", (error) => this.#fail(error));
    this.#socket.on("end", () => this.#onEnd());
    this.#socket.on("close", () => this.#fail(connectionClosed(this.#state)));
    this.#socket.on("timeout", () => {
      const error = new Error(`no answer within ${this.#headTimeoutMs} ms`);
      this.#fail(Object.assign(error, { code: "ETIMEDOUT" }));
    });
  }

  /** False once the connection is closed (a kept connection the server closed meanwhile). */
  get alive(): boolean {
    return this.#state !== "dead";
  }

  /** Sends one request head and resolves with its answer. */
  exchange(head: string, signal: AbortSignal | undefined): Promise<ZeroCopyAnswer> {
    // The getter only hands out idle connections (it skips the ones that died while kept).
    if (this.#state !== "idle") return Promise.reject(new Error(`exchange on a ${this.#state} connection`));
    return new Promise((resolve, reject) => {
      const onAbort = () => this.#fail(signal?.reason);
      this.#exchange = { resolve, reject, signal, onAbort, received: 0 };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#state = "head";
      this.#socket.ref();
      this.#socket.setTimeout(this.#headTimeoutMs);
      this.#socket.write(head, "latin1");
    });
  }

  destroy(): void {
    this.#state = "dead";
    this.#socket.destroy();
  }

  /**
   * Where the kernel writes the next bytes read. Node asks for it right after each read's callback, so
   * it follows the state that callback left.
   */
  #nextBuffer(): Uint8Array {
    if (this.#state === "body" && this.#target !== undefined) {
      return this.#target.subarray(this.#used, Math.min(this.#target.length, this.#used + this.#remaining));
    }
    if (this.#state === "error-body") return this.#head;
    if (this.#headUsed === this.#head.length) {
      // Grow a head that did not fit (checked against MAX_HEAD_BYTES once it is read).
      const grown = Buffer.allocUnsafe(this.#head.length * 2);
      this.#head.copy(grown);
      this.#head = grown;
    }
    return this.#head.subarray(this.#headUsed);
  }

  #onRead(bytes: number, buffer: Uint8Array): boolean {
    if (this.#exchange !== undefined) this.#exchange.received += bytes;
    switch (this.#state) {
      case "head":
        this.#headUsed += bytes;
        return this.#onHeadBytes(bytes);
      case "body":
        this.#used += bytes;
        this.#remaining -= bytes;
        return this.#afterBodyBytes();
      case "error-body":
        return this.#onErrorBytes(buffer.subarray(0, bytes));
      default:
        // Bytes nobody asked for: the connection's framing is lost.
        this.destroy();
        return false;
    }
  }

  #onHeadBytes(bytes: number): boolean {
    const from = Math.max(0, this.#headUsed - bytes - 3);
    const end = this.#head.subarray(0, this.#headUsed).indexOf("\r\n\r\n", from, "latin1");
    if (end === -1) {
      if (this.#headUsed > MAX_HEAD_BYTES) this.#fail(protocolError("a response head over 64 KiB"));
      return true;
    }
    const parsed = parseHead(this.#head.toString("latin1", 0, end));
    if (parsed === null) {
      this.#fail(protocolError(`a malformed response head: ${this.#head.toString("latin1", 0, 80)}`));
      return false;
    }
    const rest = this.#head.subarray(end + 4, this.#headUsed);
    if (parsed.status >= 100 && parsed.status < 200) {
      // An interim answer (100 Continue): the real one follows.
      rest.copy(this.#head);
      this.#headUsed = rest.length;
      return rest.length === 0 ? true : this.#onHeadBytes(rest.length);
    }
    const { status, headers, http10 } = parsed;
    this.#keepAlive = !http10 && !/\bclose\b/i.test(headers.connection ?? "");
    const length = contentLength(headers);
    const encoded = headers["content-encoding"] !== undefined && headers["content-encoding"] !== "identity";
    const chunked = headers["transfer-encoding"] !== undefined;
    if (status >= 200 && status < 300) {
      if (length === undefined || encoded || chunked) {
        this.#settle({ kind: "unsupported", status, headers });
        this.destroy();
        return false;
      }
      return this.#startBody(status, headers, length, rest);
    }
    this.#state = "error-body";
    this.#error = { status, headers, length, chunked, chunks: [], bytes: 0 };
    return this.#onErrorBytes(rest);
  }

  #startBody(status: number, headers: Record<string, string>, length: number, rest: Buffer): boolean {
    if (rest.length > length) {
      this.#fail(protocolError(`${rest.length - length} bytes after a ${length}-byte body`));
      return false;
    }
    this.#state = "body";
    const small = length <= SMALL_BODY_BYTES;
    // A big body's stalls are the reader's business (the retry layer's idle watchdog); a small one is
    // awaited here, under the head's time limit.
    if (!small) this.#socket.setTimeout(0);
    this.#remaining = length;
    this.#target = small ? Buffer.allocUnsafe(length) : takeBuffer();
    this.#used = rest.copy(this.#target);
    this.#remaining -= this.#used;
    this.#body = new Body(this);
    const answer = { kind: "body", status, headers, body: this.#body } as const;
    if (small) this.#heldAnswer = answer;
    else this.#settle(answer);
    return this.#afterBodyBytes();
  }

  /** Emits filled buffers; returns false (pausing the socket) while the body's reader is behind. */
  #afterBodyBytes(): boolean {
    const body = this.#body as Body;
    const target = this.#target as Buffer;
    let wantMore = true;
    if (this.#used === target.length && this.#remaining > 0) {
      wantMore = body.push(handOver(target));
      this.#target = takeBuffer();
      this.#used = 0;
    }
    if (this.#remaining > 0) {
      if (!wantMore) this.#paused = true;
      return wantMore;
    }
    // The whole body arrived.
    // Only a pool buffer can be full at 1 MiB (a small body's buffer is at most 64 KiB).
    const whole = this.#used === POOL_BUFFER_BYTES;
    if (this.#used > 0) body.push(whole ? handOver(target) : target.subarray(0, this.#used));
    body.push(null);
    const held = this.#heldAnswer;
    if (held !== undefined) {
      this.#heldAnswer = undefined;
      markWholeBody(body);
      this.#settle(held);
    }
    this.#finish();
    return true;
  }

  /** `bytes` is a view of a buffer the next read reuses: it is copied when kept. */
  #onErrorBytes(bytes: Uint8Array): boolean {
    const error = this.#error as ErrorBody;
    if (error.bytes < MAX_ERROR_BYTES) error.chunks.push(Buffer.from(bytes));
    error.bytes += bytes.length;
    const raw = Buffer.concat(error.chunks);
    let text: string | undefined;
    if (error.length !== undefined && error.bytes >= error.length) {
      text = raw.subarray(0, error.length).toString("utf8");
    } else if (error.chunked) text = decodeChunked(raw)?.toString("utf8");
    if (text === undefined && error.bytes >= MAX_ERROR_BYTES) text = raw.toString("utf8");
    if (text !== undefined) this.#endError(text);
    return true;
  }

  #endError(text: string): void {
    const { status, headers } = this.#error as ErrorBody;
    this.#error = undefined;
    this.#settle({ kind: "error", status, headers, text: text.slice(0, MAX_ERROR_BYTES) });
    this.destroy();
  }

  #onEnd(): void {
    // An error answer framed by the connection's end.
    const error = this.#error;
    if (this.#state === "error-body" && error) this.#endError(Buffer.concat(error.chunks).toString("utf8"));
    else this.#fail(connectionClosed(this.#state));
  }

  /** Called by a body stream when its reader wants more (a finished body's call is ignored). */
  resume(body: Body): void {
    if (this.#paused && this.#body === body) this.#resume();
  }

  #resume(): void {
    this.#paused = false;
    this.#socket.resume();
  }

  /** Called by a body stream when it is destroyed: before its end, that closes the connection. */
  abandon(body: Body, error: Error | null): void {
    if (this.#body === body) this.#fail(error ?? new Error("the body was closed before its end"));
  }

  /** The exchange is over: the connection goes back to the getter, or is closed. */
  #finish(): void {
    this.#clearExchange();
    this.#body = undefined;
    this.#target = undefined;
    if (!this.#keepAlive) {
      this.destroy();
      return;
    }
    // The buffer of the next read is chosen now, as this read completes: the next answer's head.
    this.#state = "idle";
    this.#headUsed = 0;
    this.#socket.unref();
    this.#release(this);
  }

  #settle(answer: ZeroCopyAnswer): void {
    const exchange = this.#exchange;
    if (answer.kind !== "body") this.#clearExchange();
    exchange?.resolve(answer);
  }

  #clearExchange(): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    exchange.signal?.removeEventListener("abort", exchange.onAbort);
    this.#exchange = undefined;
  }

  /** Fails whatever is in progress (the answer's promise, or the body stream) and closes the socket. */
  #fail(error: unknown): void {
    const state = this.#state;
    const exchange = this.#exchange;
    const body = this.#body;
    const held = this.#heldAnswer !== undefined;
    this.#clearExchange();
    this.#body = undefined;
    this.#heldAnswer = undefined;
    this.destroy();
    // A small body not yet whole has not been given: its answer fails instead.
    if (exchange !== undefined && (state === "head" || state === "error-body" || held)) {
      if (state === "head" && exchange.received === 0 && error instanceof Error) {
        Object.assign(error, { beforeAnswer: true });
      }
      exchange.reject(error);
    } else if (state === "body") body?.destroy(error as Error);
  }
}

/** The body of a 2xx answer: pushed by its connection, paused and resumed with the reader. */
class Body extends Readable {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    // One chunk: the socket pauses after each buffer a reader has not taken yet, so a reader that
    // pulls (an async iterator) gets one buffer per read, never two concatenated into a copy.
    super({ highWaterMark: POOL_BUFFER_BYTES });
    this.#connection = connection;
  }

  override _read(): void {
    this.#connection.resume(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#connection.abandon(this, error);
    callback(error);
  }
}
