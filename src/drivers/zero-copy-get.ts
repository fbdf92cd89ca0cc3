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
 *
 * Why our own and not undici (issue 19): the same driver downloads on undici 7.30.3 (`Pool.dispatch`,
 * bench/undici-getter.ts), interleaved with these on radosgw, azurite and the GCS fake in three runs,
 * took 1.3–2.8× the CPU and ~3× the page faults for a 1 GiB object (undici copies every received byte
 * into its WASM parser's memory and hands the body on in fresh ~64 KiB read buffers; gathering those
 * into pool buffers saved 1–7 %), and were 1.17–1.74× slower at the median in seven of eight
 * server-runs (8 % faster in one); small objects were a tie or up to 1.4× slower.
 * Numbers: bench/README.md, "undici against our HTTP client (issue 19)".
 */
import { isIP, connect as netConnect } from "node:net";
import type { Readable } from "node:stream";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { CONNECTIONS_PER_ORIGIN } from "./http-requester.js";
import { requestHead } from "./http1.js";
import { Connection, type OnRead } from "./zero-copy-connection.js";

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
  /** Idle connections kept for reuse. @default CONNECTIONS_PER_ORIGIN (96) */
  maxIdle?: number;
  /** Longest wait in ms for an answer's head before the connection is closed (ETIMEDOUT); 0: none. @default 60000 */
  headTimeoutMs?: number;
}

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
    if (this.#closed || this.#idle.length >= (this.#options.maxIdle ?? CONNECTIONS_PER_ORIGIN))
      connection.destroy();
    else this.#idle.push(connection);
  }
}
