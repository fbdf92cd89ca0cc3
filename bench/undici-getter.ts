/**
 * The direct GETs of src/drivers/zero-copy-get.ts on undici (Node's HTTP client library) instead of our
 * own sockets: the same `get(url, headers, signal)` → {@link ZeroCopyAnswer}, so that `bench/cloud.ts
 * --http-clients own,undici` runs the real driver download path on either (through the factory of
 * src/drivers/direct-getter.ts). Measured in bench/README.md, "undici against our HTTP client (issue
 * 19)": the own client stayed, so this one lives with the benchmark (undici is a dev dependency) and
 * is tested like the own one (test/bench/undici-getter.test.ts), so that the comparison is fair.
 *
 * The lowest-level undici API: `Pool.dispatch` with a handler of undici 7's controller form, whose body
 * chunks are views of the socket's read buffers (undici's `request` wraps the same in a `BodyReadable`
 * with more per-request work). Bodies come as undici reads them (≤ 64 KiB views, not pool buffers), so
 * a download sink copies them once into its own buffers. As on the own path: a small body (≤ 64 KiB)
 * is answered once whole (storage/body.ts `markWholeBody`), an error answer is read whole (at most
 * 64 KiB kept), and a 2xx answer with a `Content-Encoding` comes back as `unsupported`.
 */
import { Readable } from "node:stream";
import { type Dispatcher, Pool } from "undici";
import { CONNECTIONS_PER_ORIGIN } from "../src/drivers/http-requester.js";
import type { ZeroCopyAnswer, ZeroCopyGetterOptions } from "../src/drivers/zero-copy-get.js";
import { markWholeBody } from "../src/storage/body.js";
import { handOver, POOL_BUFFER_BYTES, takeBuffer } from "../src/storage/buffer-pool.js";

/** Bodies up to this size are answered once whole (as zero-copy-connection.ts does). */
const SMALL_BODY_BYTES = 64 * 1024;
/** Most bytes of an error answer kept. */
const MAX_ERROR_BYTES = 64 * 1024;

type Controller = Dispatcher.DispatchController;

/** Options of {@link UndiciGetter}. */
export interface UndiciGetterOptions extends ZeroCopyGetterOptions {
  /**
   * Gather a big body's chunks into whole 1 MiB pool buffers handed over to the sink (one copy, as the
   * sink would make anyway, but then written as whole buffers), instead of passing undici's chunks on.
   */
  pooled?: boolean;
}

/** GETs to one origin on an undici `Pool` of keep-alive connections. */
export class UndiciGetter {
  readonly #origin: URL;
  readonly #pool: Pool;
  readonly #headTimeoutMs: number;
  readonly #pooled: boolean;

  constructor(origin: string | URL, options: UndiciGetterOptions = {}) {
    this.#pooled = options.pooled ?? false;
    this.#origin = new URL(origin);
    if (this.#origin.protocol !== "http:" && this.#origin.protocol !== "https:") {
      throw new TypeError(`direct GET needs an http: or https: origin, got ${this.#origin.protocol}`);
    }
    this.#headTimeoutMs = options.headTimeoutMs ?? 60_000;
    this.#pool = new Pool(this.#origin.origin, {
      connections: options.maxIdle ?? CONNECTIONS_PER_ORIGIN,
      headersTimeout: this.#headTimeoutMs,
      // A big body's stalls are the reader's business (the retry layer's idle watchdog).
      bodyTimeout: 0,
      ...(options.ca === undefined ? {} : { connect: { ca: options.ca } }),
    });
  }

  /** GETs `url` (on this getter's origin) with `headers`, resolving once the answer's head arrived. */
  get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<ZeroCopyAnswer> {
    const target = new URL(url);
    if (target.origin !== this.#origin.origin) {
      return Promise.reject(
        new TypeError(`direct GET of ${target.origin} on a getter for ${this.#origin.origin}`),
      );
    }
    signal?.throwIfAborted();
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      // undici refuses `connection`; it frames the request itself.
      if (lower !== "connection" && lower !== "content-length") sent[lower] = value;
    }
    return new Promise((resolve, reject) => {
      const handler = new AnswerHandler(resolve, reject, signal, this.#headTimeoutMs, this.#pooled);
      this.#pool.dispatch(
        { path: `${target.pathname}${target.search}`, method: "GET", headers: sent },
        handler,
      );
    });
  }

  /** Closes the pool's connections once the answers being read are done. */
  close(): void {
    this.#pool.close().catch(() => undefined);
  }
}

/** One GET's answer: the promise of its head, then its body. */
class AnswerHandler implements Dispatcher.DispatchHandler {
  readonly #resolve: (answer: ZeroCopyAnswer) => void;
  readonly #reject: (error: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#controller?.abort(this.#signal?.reason);
  #controller: Controller | undefined;
  #settled = false;
  #mode: "body" | "small" | "error" | "dropped" = "body";
  #status = 0;
  #headers: Record<string, string> = {};
  #body: Readable | undefined;
  #chunks: Buffer[] = [];
  #bytes = 0;
  readonly #headTimeoutMs: number;
  /** A small body is awaited under the head's time limit, as on the own path. */
  #smallTimer: NodeJS.Timeout | undefined;
  readonly #pooled: boolean;
  /** `pooled`: the pool buffer being filled, and its bytes used. */
  #target: Buffer | undefined;
  #used = 0;

  constructor(
    resolve: (answer: ZeroCopyAnswer) => void,
    reject: (error: unknown) => void,
    signal: AbortSignal | undefined,
    headTimeoutMs: number,
    pooled: boolean,
  ) {
    this.#pooled = pooled;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#headTimeoutMs = headTimeoutMs;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#signal?.aborted) controller.abort(this.#signal.reason);
  }

  onResponseStart(
    controller: Controller,
    status: number,
    raw: Record<string, string | string[] | undefined>,
  ): void {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    this.#status = status;
    this.#headers = headers;
    if (status < 200 || status >= 300) {
      this.#mode = "error";
      return;
    }
    const encoding = headers["content-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      this.#mode = "dropped";
      this.#settle({ kind: "unsupported", status, headers });
      controller.abort(new Error("an encoded answer, asked again on another path"));
      return;
    }
    const length = headers["content-length"];
    if (length !== undefined && /^\d+$/.test(length) && Number(length) <= SMALL_BODY_BYTES) {
      this.#mode = "small";
      if (this.#headTimeoutMs > 0) {
        this.#smallTimer = setTimeout(() => {
          const error = new Error(`no whole answer within ${this.#headTimeoutMs} ms`);
          controller.abort(Object.assign(error, { code: "ETIMEDOUT" }));
        }, this.#headTimeoutMs);
      }
      return;
    }
    const body = new Readable({
      // undici pauses the socket once a reader is 1 MiB behind, as the own path does.
      highWaterMark: POOL_BUFFER_BYTES,
      read: () => this.#controller?.resume(),
      destroy: (error, callback) => {
        if (this.#body !== undefined) {
          this.#body = undefined;
          this.#controller?.abort(error ?? new Error("the body was closed before its end"));
        }
        callback(error);
      },
    });
    this.#body = body;
    this.#settle({ kind: "body", status, headers, body });
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#mode === "body") {
      const body = this.#body;
      if (body === undefined) return;
      if (!this.#pooled) {
        if (!body.push(chunk)) controller.pause();
        return;
      }
      for (let at = 0; at < chunk.length; ) {
        this.#target ??= takeBuffer();
        const copied = chunk.copy(this.#target, this.#used, at);
        at += copied;
        this.#used += copied;
        if (this.#used === POOL_BUFFER_BYTES) {
          if (!body.push(handOver(this.#target))) controller.pause();
          this.#target = undefined;
          this.#used = 0;
        }
      }
    } else if (this.#mode === "small" || (this.#mode === "error" && this.#bytes < MAX_ERROR_BYTES)) {
      this.#chunks.push(chunk);
      this.#bytes += chunk.length;
    }
  }

  onResponseEnd(): void {
    const status = this.#status;
    const headers = this.#headers;
    if (this.#mode === "body") {
      const body = this.#body;
      this.#body = undefined;
      if (this.#target !== undefined && this.#used > 0) body?.push(this.#target.subarray(0, this.#used));
      this.#target = undefined;
      body?.push(null);
    } else if (this.#mode === "small") {
      const whole = Buffer.concat(this.#chunks, this.#bytes);
      const body = new Readable({ read() {} });
      if (whole.length > 0) body.push(whole);
      body.push(null);
      markWholeBody(body);
      this.#settle({ kind: "body", status, headers, body });
    } else if (this.#mode === "error") {
      const text = Buffer.concat(this.#chunks).subarray(0, MAX_ERROR_BYTES).toString("utf8");
      this.#settle({ kind: "error", status, headers, text });
    }
    this.#done();
  }

  onResponseError(_controller: Controller, error: Error): void {
    this.#done();
    if (!this.#settled) {
      this.#settled = true;
      this.#reject(this.#signal?.aborted ? this.#signal.reason : error);
      return;
    }
    const body = this.#body;
    this.#body = undefined;
    body?.destroy(this.#signal?.aborted ? this.#signal.reason : error);
  }

  #settle(answer: ZeroCopyAnswer): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(answer);
  }

  #done(): void {
    clearTimeout(this.#smallTimer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }
}
