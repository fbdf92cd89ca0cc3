/**
 * GET requests on sockets of our own whose body bytes the kernel reads straight into 1 MiB pool buffers
 * (`onread` of `net.connect` / `tls.connect`), emitted as chunks a download sink writes without copying
 * (storage/buffer-pool.ts). Node's HTTP client copies every body byte out of a fresh 64 KiB read buffer
 * into a new one, and the fresh memory faults in page by page: for a 1 GiB download from azurite that was
 * 0.45 s of parser copy and 200,000–400,000 page faults, a third of our CPU (bench/README.md).
 *
 * Only what a blob GET needs is spoken: HTTP/1.1, keep-alive, answers framed by `Content-Length`. A 2xx
 * answer framed any other way (chunked, compressed) comes back as `unsupported`, and the caller asks
 * again on its usual path. Error answers are read whole (at most 64 KiB) and their connection closed.
 */
import { isIP, connect as netConnect, type Socket } from "node:net";
import { Readable } from "node:stream";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { handOver, POOL_BUFFER_BYTES, takeBuffer } from "../storage/buffer-pool.js";

/** What a GET came back with. Header names are lower case; repeated headers are joined with ", ". */
export type ZeroCopyAnswer =
  /** A 2xx answer with a `Content-Length`: its body as a stream of (mostly pool) buffers. */
  | { kind: "body"; status: number; headers: Record<string, string>; body: Readable }
  /** Any other status, with (at most 64 KiB of) its body as text. */
  | { kind: "error"; status: number; headers: Record<string, string>; text: string }
  /** A 2xx answer this path cannot frame (chunked, compressed): nothing of its body was read. */
  | { kind: "unsupported"; status: number; headers: Record<string, string> };

/** Options of {@link ZeroCopyGetter}. */
export interface ZeroCopyGetterOptions {
  /** Trusted CA certificates for `https:` (besides Node's, including NODE_EXTRA_CA_CERTS). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Idle connections kept for reuse. @default 16 */
  maxIdle?: number;
  /** Longest wait in ms for an answer's head before the connection is closed (ETIMEDOUT); 0: none. @default 60000 */
  headTimeoutMs?: number;
}

/** Bodies up to this size are read into one buffer of their own size, not a 1 MiB pool buffer. */
const SMALL_BODY_BYTES = 64 * 1024;
/** Largest response head (status line and headers) accepted. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Most bytes of an error answer kept. */
const MAX_ERROR_BYTES = 64 * 1024;

/** GETs to one origin (`http://host:port` or `https://host:port`) on keep-alive connections. */
export class ZeroCopyGetter {
  readonly #origin: URL;
  readonly #options: ZeroCopyGetterOptions;
  readonly #idle: Connection[] = [];
  #closed = false;

  constructor(origin: string | URL, options: ZeroCopyGetterOptions = {}) {
    this.#origin = new URL(origin);
    if (this.#origin.protocol !== "http:" && this.#origin.protocol !== "https:") {
      throw new TypeError(`zero-copy GET needs an http: or https: origin, got ${this.#origin.protocol}`);
    }
    this.#options = options;
  }

  /**
   * GETs `url` (on this getter's origin) with `headers`, resolving once the answer's head arrived.
   * Rejects with the socket's error (`code` ECONNREFUSED, ECONNRESET…) or `signal.reason`.
   */
  async get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<ZeroCopyAnswer> {
    const target = new URL(url);
    if (target.origin !== this.#origin.origin) {
      throw new TypeError(`zero-copy GET of ${target.origin} on a getter for ${this.#origin.origin}`);
    }
    const head = requestHead(target, headers);
    for (;;) {
      signal?.throwIfAborted();
      let reused = this.#idle.pop();
      while (reused !== undefined && !reused.alive) reused = this.#idle.pop();
      const connection = reused ?? this.#connect();
      try {
        return await connection.exchange(head, signal);
      } catch (error) {
        // A kept connection the server closed meanwhile: nothing was sent back, ask on a new one.
        if (reused === undefined || !(error as { beforeAnswer?: boolean }).beforeAnswer) throw error;
      }
    }
  }

  /** Closes the idle connections; answers still being read finish on theirs. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) connection.destroy();
  }

  #connect(): Connection {
    const host = this.#origin.hostname.replace(/^\[|\]$/g, "");
    const secure = this.#origin.protocol === "https:";
    const port = Number(this.#origin.port || (secure ? 443 : 80));
    const headTimeoutMs = this.#options.headTimeoutMs ?? 60_000;
    const tlsOptions: ConnectionOptions = {
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ALPNProtocols: ["http/1.1"],
      ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
    };
    // `tls.connect` takes `onread` as `net.connect` does (Node docs), though @types/node omits it.
    const open = (onread: OnRead) =>
      secure
        ? tlsConnect({ host, port, ...tlsOptions, onread } as ConnectionOptions)
        : netConnect({ host, port, onread });
    return new Connection(open, (connection) => this.#release(connection), headTimeoutMs);
  }

  #release(connection: Connection): void {
    if (this.#closed || this.#idle.length >= (this.#options.maxIdle ?? 16)) connection.destroy();
    else this.#idle.push(connection);
  }
}

/** `net.connect`'s `onread` option. */
interface OnRead {
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

/** One keep-alive connection: a small state machine fed by the socket's reads. */
class Connection {
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
  #target: Buffer | undefined;
  #used = 0;
  #remaining = 0;
  #paused = false;
  // error body
  #errorAnswer: { status: number; headers: Record<string, string> } | undefined;
  #errorChunks: Buffer[] = [];
  #errorBytes = 0;
  #errorFraming: { length?: number; chunked: boolean } = { chunked: false };

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
    if (this.#state !== "idle") {
      const error = new Error(`the connection is ${this.#state === "dead" ? "closed" : "busy"}`);
      return Promise.reject(Object.assign(error, { beforeAnswer: this.#state === "dead" }));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => this.#fail(signal?.reason);
      this.#exchange = { resolve, reject, signal, onAbort, received: 0 };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#state = "head";
      this.#socket.ref();
      this.#socket.setTimeout(this.#headTimeoutMs);
      this.#socket.write(head, "latin1");
      if (this.#paused) this.#resume();
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
        return this.#onErrorBytes(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
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
    this.#errorAnswer = { status, headers };
    this.#errorChunks = [];
    this.#errorBytes = 0;
    this.#errorFraming = { ...(length === undefined ? {} : { length }), chunked };
    return this.#onErrorBytes(Buffer.from(rest));
  }

  #startBody(status: number, headers: Record<string, string>, length: number, rest: Buffer): boolean {
    if (rest.length > length) {
      this.#fail(protocolError(`${rest.length - length} bytes after a ${length}-byte body`));
      return false;
    }
    this.#state = "body";
    // The body's stalls are the reader's business (the retry layer's idle watchdog).
    this.#socket.setTimeout(0);
    this.#remaining = length;
    this.#target = length <= SMALL_BODY_BYTES ? Buffer.allocUnsafe(length) : takeBuffer();
    this.#used = rest.copy(this.#target);
    this.#remaining -= this.#used;
    this.#body = new Body(this);
    this.#settle({ kind: "body", status, headers, body: this.#body });
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
    const whole = this.#used === POOL_BUFFER_BYTES && target.length === POOL_BUFFER_BYTES;
    if (this.#used > 0) body.push(whole ? handOver(target) : target.subarray(0, this.#used));
    body.push(null);
    this.#finish();
    return true;
  }

  #onErrorBytes(bytes: Buffer): boolean {
    if (this.#errorBytes < MAX_ERROR_BYTES) this.#errorChunks.push(Buffer.from(bytes));
    this.#errorBytes += bytes.length;
    const { length, chunked } = this.#errorFraming;
    const raw = Buffer.concat(this.#errorChunks);
    let text: string | undefined;
    if (length !== undefined && this.#errorBytes >= length) text = raw.subarray(0, length).toString("utf8");
    else if (chunked) text = decodeChunked(raw)?.toString("utf8");
    if (text === undefined && this.#errorBytes >= MAX_ERROR_BYTES) text = raw.toString("utf8");
    if (text !== undefined) this.#endError(text);
    return true;
  }

  #endError(text: string): void {
    const answer = this.#errorAnswer as { status: number; headers: Record<string, string> };
    this.#settle({ kind: "error", ...answer, text: text.slice(0, MAX_ERROR_BYTES) });
    this.destroy();
  }

  #onEnd(): void {
    // An error answer framed by the connection's end.
    if (this.#state === "error-body") this.#endError(Buffer.concat(this.#errorChunks).toString("utf8"));
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
    this.#clearExchange();
    this.#body = undefined;
    this.destroy();
    if (exchange !== undefined && (state === "head" || state === "error-body")) {
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

/**
 * The request head. `Host` is the one in `headers` when given (a signature may cover it), else the
 * URL's. Header values with line breaks are refused.
 */
function requestHead(url: URL, headers: Record<string, string>): string {
  let host = url.host;
  let lines = "";
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      throw new TypeError(`header ${JSON.stringify(name)} has a line break in its name or value`);
    }
    const lower = name.toLowerCase();
    if (lower === "host") host = value;
    else if (lower !== "connection" && lower !== "content-length") lines += `${name}: ${value}\r\n`;
  }
  return `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${host}\r\n${lines}\r\n`;
}

/** Status, headers and version of a response head, or null when it is not HTTP/1.x. */
function parseHead(
  text: string,
): { status: number; headers: Record<string, string>; http10: boolean } | null {
  const lines = text.split("\r\n");
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? "");
  if (statusLine === null) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(statusLine[2]), headers, http10: statusLine[1] === "0" };
}

/** The `Content-Length`, or undefined when absent or not one plain number. */
function contentLength(headers: Record<string, string>): number | undefined {
  const value = headers["content-length"];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The payload of a complete chunked body, or null while it is incomplete. */
export function decodeChunked(raw: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf("\r\n", at, "latin1");
    if (lineEnd === -1) return null;
    const size = Number.parseInt(raw.toString("latin1", at, lineEnd).split(";")[0] ?? "", 16);
    if (!Number.isFinite(size)) return Buffer.concat(parts);
    if (size === 0) return Buffer.concat(parts);
    if (raw.length < lineEnd + 2 + size + 2) return null;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

function protocolError(what: string): Error {
  return Object.assign(new Error(`the server sent ${what}`), { code: "EPROTO" });
}

function connectionClosed(state: string): Error {
  const where = state === "body" ? "before the end of the body" : "before the answer";
  return Object.assign(new Error(`socket hang up: the server closed the connection ${where}`), {
    code: "ECONNRESET",
  });
}
