/**
 * The retry layer (OpenDAL's RetryLayer): retries only errors marked `retryable`, with jittered
 * exponential backoff. Reads resume from the byte they stopped at, listings restart after the last key
 * they yielded, and writes are retried only when the body can be replayed (bytes, not a stream).
 */
import { finished, PassThrough, type Readable } from "node:stream";
import { ArtifactError, isArtifactError, throwIfAborted } from "../../errors.js";
import { isWholeBody } from "../body.js";
import type {
  DriverCallOptions,
  ListEntry,
  ListOptions,
  ReadOptions,
  StorageDriver,
  WriteBody,
  WriteOptions,
} from "../driver.js";
import { announceRetry, type RetryListener } from "./retry-event.js";

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Extra attempts after the first one. @default 3 */
  retries?: number;
  /** Backoff base in ms: attempt n waits a random time in [0, min(maxDelayMs, minDelayMs × 2^n)]. @default 200 */
  minDelayMs?: number;
  /** Longest wait between attempts in ms. @default 5000 */
  maxDelayMs?: number;
  /**
   * A download that receives no byte for this long is treated as a dead connection and reopened at
   * the next byte (some HTTP stacks never report a connection that dies mid-body). 0 disables it.
   * @default 60000
   */
  idleTimeoutMs?: number;
  /** Told of every retry before its wait (attempt, most retries, delay, reason). @default none */
  onRetry?: RetryListener | undefined;
}

/** Extra attempts of a retryable failure. */
export const DEFAULT_RETRIES = 3;

/** Wraps `driver` so that retryable failures are tried again. */
export function withRetry(driver: StorageDriver, options: RetryOptions = {}): StorageDriver {
  const retry = makeRetrier(options);
  const retries = options.retries ?? DEFAULT_RETRIES;
  const layered: StorageDriver = {
    backend: driver.backend,
    url: driver.url,
    capabilities: driver.capabilities,
    stat: (key, opts) => retry(() => driver.stat(key, opts), opts),
    delete: (key, opts) => retry(() => driver.delete(key, opts), opts),
    write: (key, body, opts) => retryWrite(driver, retry, key, body, opts ?? {}),
    read: (key, opts) =>
      resumableRead(
        driver,
        retry,
        { retries, idle: options.idleTimeoutMs ?? 60_000, onRetry: options.onRetry },
        key,
        opts ?? {},
      ),
    list: (prefix, opts) => retryList(driver, prefix, { retries, onRetry: options.onRetry }, opts ?? {}),
    close: () => driver.close?.() ?? Promise.resolve(),
  };
  if (driver.localPath) layered.localPath = driver.localPath.bind(driver);
  if (driver.renamePrefix) layered.renamePrefix = driver.renamePrefix.bind(driver);
  // A copy is idempotent (same source, same target): retried as a whole.
  const copy = driver.copy?.bind(driver);
  if (copy) layered.copy = (from, to, opts) => retry(() => copy(from, to, opts), opts);
  return layered;
}

/** Runs `attempt` until it succeeds, fails for good, or the retries are used up. */
type Retrier = <T>(attempt: () => Promise<T>, opts?: DriverCallOptions) => Promise<T>;

function makeRetrier(options: RetryOptions): Retrier {
  const retries = options.retries ?? DEFAULT_RETRIES;
  const min = options.minDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  return async (attempt, opts) => {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (n >= retries || !isArtifactError(error) || !error.retryable || opts?.signal?.aborted) throw error;
        const delayMs = Math.random() * Math.min(max, min * 2 ** n);
        announceRetry(options.onRetry, error, { attempt: n + 1, max: retries, delayMs });
        await sleep(delayMs, opts?.signal);
      }
    }
  };
}

/**
 * A create-only write whose response was lost may have succeeded: its retry then sees ALREADY_EXISTS.
 * That retry may be ours or the SDK's own (its ALREADY_EXISTS looks the same), so ANY ALREADY_EXISTS of
 * a create-only write of bytes is checked: when the stored bytes equal ours, that write was ours (claims
 * and commit records are unique by content).
 */
async function retryWrite(
  driver: StorageDriver,
  retry: Retrier,
  key: string,
  body: WriteBody,
  opts: WriteOptions,
) {
  if (typeof body !== "string" && !(body instanceof Uint8Array)) return driver.write(key, body, opts);
  try {
    return await retry(() => driver.write(key, body, opts), opts);
  } catch (error) {
    if (!opts.ifNotExists || !isArtifactError(error, "ALREADY_EXISTS")) throw error;
    const mine = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
    if (!(await storedEquals(driver, retry, key, mine, opts))) throw error;
    return { key, size: mine.length };
  }
}

/** Whether `key` holds exactly `mine` (reads at most one byte more than `mine`; a missing key is false). */
async function storedEquals(
  driver: StorageDriver,
  retry: Retrier,
  key: string,
  mine: Buffer,
  opts: WriteOptions,
): Promise<boolean> {
  const { signal } = opts;
  // An empty body (a tombstone): the size says it all, and a ranged read of an empty object is an
  // error on some stores (S3's 416).
  if (mine.length === 0)
    return (await retry(() => driver.stat(key, signal ? { signal } : {}), opts))?.size === 0;
  const range = driver.capabilities.rangeRead ? { range: { offset: 0, length: mine.length + 1 } } : {};
  const read = async () =>
    Buffer.concat(await (await driver.read(key, { ...range, ...(signal ? { signal } : {}) })).toArray());
  try {
    return (await retry(read, opts)).equals(mine);
  } catch (readError) {
    if (isArtifactError(readError, "NOT_FOUND")) return false;
    throw readError;
  }
}

/** A read stream that reopens the object at the next byte when the connection fails mid-way. */
async function resumableRead(
  driver: StorageDriver,
  retry: Retrier,
  limits: { retries: number; idle: number; onRetry: RetryListener | undefined },
  key: string,
  opts: ReadOptions,
): Promise<Readable> {
  const start = opts.range?.offset ?? 0;
  const end = opts.range?.length === undefined ? undefined : start + opts.range.length;
  const open = (offset: number) => {
    const range = end === undefined ? { offset } : { offset, length: end - offset };
    return retry(() => driver.read(key, { ...opts, range }), opts);
  };
  const first = await (opts.range === undefined ? retry(() => driver.read(key, opts), opts) : open(start));
  // A body that arrived whole cannot fail in transit: no resumable stream (and no watchdog) for it.
  if (isWholeBody(first)) return first;
  const out = new PassThrough();
  void pump({ first, out, start, open, ...limits, signal: opts.signal });
  return out;
}

interface PumpState {
  first: Readable;
  out: PassThrough;
  start: number;
  open: (offset: number) => Promise<Readable>;
  retries: number;
  idle: number;
  onRetry: RetryListener | undefined;
  signal: AbortSignal | undefined;
}

async function pump(state: PumpState): Promise<void> {
  const { first, out, start, open, retries, idle, signal } = state;
  let offset = start;
  let source = first;
  out.once("close", () => source.destroy());
  // One timer for the whole read, pushed back on every chunk (`refresh` allocates nothing: a new timer
  // per 64 KiB chunk was 16,000 timers per GiB). While the reader is slow it only re-arms itself.
  let watchdog: NodeJS.Timeout | undefined;
  let readerSlow = false;
  const onIdle = () => {
    if (readerSlow) {
      watchdog?.refresh();
      return;
    }
    source.destroy(new ArtifactError("TIMEOUT", `no data for ${idle} ms while reading`, { retryable: true }));
  };
  const arm = () => {
    if (idle === 0) return;
    if (watchdog === undefined) {
      watchdog = setTimeout(onIdle, idle);
      watchdog.unref();
    } else watchdog.refresh();
  };
  try {
    await pumpLoop();
  } finally {
    clearTimeout(watchdog);
  }
  async function pumpLoop(): Promise<void> {
    for (let failures = 0; ; ) {
      try {
        arm();
        for await (const chunk of chunksOf(source)) {
          arm();
          offset += (chunk as Buffer).length;
          if (!out.write(chunk)) {
            readerSlow = true; // a slow reader is not a dead connection
            await new Promise((resolve) => out.once("drain", resolve));
            readerSlow = false;
            arm();
          }
          if (out.destroyed) return;
        }
        out.end();
        return;
      } catch (error) {
        if (out.destroyed || signal?.aborted || failures++ >= retries || !isNetworkLike(error)) {
          out.destroy(error as Error);
          return;
        }
        // Reopened at once, at the next byte: a retry too, announced as one.
        announceRetry(state.onRetry, error, {
          attempt: failures,
          max: retries,
          delayMs: 0,
          operation: "read",
        });
        try {
          source = await open(offset);
        } catch (reopenError) {
          out.destroy(reopenError as Error);
          return;
        }
      }
    }
  }
}

/** Chunks a stream may hold for its reader before it is paused. */
const QUEUED_CHUNKS = 4;

/**
 * The chunks of `source` as they were pushed. A `for await` over a stream reads it with `read()`,
 * which joins every chunk waiting in its buffer into a new one: a copy of the bytes, and the end of
 * pool buffers handed over by a zero-copy read (storage/buffer-pool.ts).
 */
async function* chunksOf(source: Readable): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= QUEUED_CHUNKS) source.pause();
    wake?.();
  };
  source.on("data", onData);
  const stopWatching = finished(source, { writable: false }, (error) => {
    ended = true;
    failure = error;
    wake?.();
  });
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        if (source.isPaused() && queue.length < QUEUED_CHUNKS) source.resume();
        yield chunk;
      } else if (ended) {
        if (failure) throw failure;
        return;
      } else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    }
  } finally {
    source.off("data", onData);
    stopWatching();
  }
}

/** Mid-stream failures are socket errors (raw, not ArtifactErrors) or retryable ArtifactErrors. */
function isNetworkLike(error: unknown): boolean {
  if (isArtifactError(error)) return error.retryable;
  const code = (error as { code?: unknown }).code;
  const text = `${String(code)} ${(error as Error).message ?? ""}`;
  return /ECONNRESET|EPIPE|ETIMEDOUT|ECONNABORTED|ERR_STREAM_PREMATURE_CLOSE|UND_ERR|aborted|socket hang up/i.test(
    text,
  );
}

/** A listing that, after a retryable failure, restarts and skips what it already yielded (keys are sorted). */
async function* retryList(
  driver: StorageDriver,
  prefix: string,
  policy: { retries: number; onRetry: RetryListener | undefined },
  opts: ListOptions,
): AsyncGenerator<ListEntry> {
  const { retries } = policy;
  let last: string | undefined;
  let attempt = 0;
  while (true) {
    const pages = driver.list(prefix, opts)[Symbol.asyncIterator]();
    try {
      while (true) {
        const step = await pages.next();
        if (step.done) return;
        const entry = step.value;
        if (last !== undefined && Buffer.compare(Buffer.from(entry.key), Buffer.from(last)) <= 0) continue;
        last = entry.key;
        yield entry;
      }
    } catch (error) {
      if (attempt++ >= retries || !isArtifactError(error) || !error.retryable || opts.signal?.aborted)
        throw error;
      const delayMs = Math.random() * 200 * 2 ** attempt;
      announceRetry(policy.onRetry, error, { attempt, max: retries, delayMs, operation: "list" });
      await sleep(delayMs, opts.signal);
    }
  }
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(signal);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
