/**
 * The timeout layer (OpenDAL's TimeoutLayer): each metadata call (stat, delete, list page, in-memory
 * write, opening a read) must finish within `timeoutMs`, else it fails with a retryable TIMEOUT. It
 * sits inside the retry layer so that every attempt is timed. Streamed transfers are not timed as a
 * whole (a 1 GiB upload may take long); the SDKs time out stalled sockets themselves.
 */
import { ArtifactError } from "../../errors.js";
import type { DriverCallOptions, ListEntry, ListOptions, StorageDriver } from "../driver.js";

/** Options of {@link withTimeout}. */
export interface TimeoutOptions {
  /** Time limit of one call in ms; 0 disables the layer. @default DEFAULT_OPERATION_TIMEOUT_MS */
  timeoutMs?: number;
}

/** Time limit of one metadata call. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 60_000;

/** Wraps `driver` so that each call is cancelled and fails with TIMEOUT after `timeoutMs`. */
export function withTimeout(driver: StorageDriver, options: TimeoutOptions = {}): StorageDriver {
  const ms = options.timeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  if (ms === 0) return driver;
  const timed = async <T>(
    operation: string,
    key: string,
    opts: DriverCallOptions | undefined,
    call: (o: DriverCallOptions) => Promise<T>,
  ): Promise<T> => {
    // A read stream outlives its opening: it keeps the caller's signal, and only the opening is raced.
    // Other calls get a signal that also fires at the deadline (an AbortSignal.any only when the caller
    // has a signal too: AbortSignal.timeout and .any per call were ~8 % of the CPU of 10,000 small reads).
    const controller = operation === "read" ? undefined : new AbortController();
    let signal = opts?.signal;
    if (controller) signal = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    // Some SDK calls ignore the signal (GCS metadata calls): race them so the caller is released anyway.
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const caller = opts?.signal;
    const onAbort = () => rejectExpired?.(caller?.reason);
    let rejectExpired: ((reason: unknown) => void) | undefined;
    const expired = new Promise<never>((_, reject) => {
      rejectExpired = reject;
      // The caller's abort releases the caller at once too, even from a call that ignores its signal.
      caller?.addEventListener("abort", onAbort, { once: true });
      if (caller?.aborted) reject(caller.reason);
      timer = setTimeout(() => {
        timedOut = true;
        const reason = new DOMException("The operation was aborted due to timeout", "TimeoutError");
        controller?.abort(reason);
        reject(reason);
      }, ms);
    });
    const pending = call({ ...opts, ...(signal ? { signal } : {}) });
    try {
      return await Promise.race([pending, expired]);
    } catch (error) {
      if (!timedOut && !caller?.aborted) throw error;
      // A stream that opens after its deadline (or its caller's abort) is nobody's: close it.
      pending.then(
        (value) => (value as { destroy?: () => void } | null | undefined)?.destroy?.(),
        () => undefined,
      );
      if (caller?.aborted) throw caller.reason;
      throw new ArtifactError(
        "TIMEOUT",
        `${driver.backend} ${operation} of '${key}' took longer than ${ms} ms (${driver.url}); the server may be overloaded, retry later or raise the timeoutMs storage option`,
        { retryable: true, context: { backend: driver.backend, operation, key }, cause: error },
      );
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onAbort);
      expired.catch(() => undefined);
      pending.catch(() => undefined);
    }
  };
  // Each page of a listing (each step of its iterator) is timed like a metadata call: some SDKs'
  // listings ignore the signal, and a server that stops answering must not hang a listing for ever.
  async function* timedListing(prefix: string, opts: ListOptions): AsyncGenerator<ListEntry> {
    const pages = driver.list(prefix, opts)[Symbol.asyncIterator]();
    let step: IteratorResult<ListEntry>;
    try {
      for (;;) {
        step = await timed("list", prefix, opts, () => pages.next());
        if (step.done) return;
        yield step.value;
      }
    } finally {
      void pages.return?.()?.catch(() => undefined);
    }
  }
  const layered: StorageDriver = {
    backend: driver.backend,
    url: driver.url,
    capabilities: driver.capabilities,
    stat: (key, opts) => timed("stat", key, opts, (o) => driver.stat(key, o)),
    delete: (key, opts) => timed("delete", key, opts, (o) => driver.delete(key, o)),
    // Only in-memory bodies are timed; a stream's duration depends on its size.
    write: (key, body, opts) =>
      typeof body === "string" || body instanceof Uint8Array
        ? timed("write", key, opts, (o) => driver.write(key, body, { ...opts, ...o }))
        : driver.write(key, body, opts),
    // Only opening is timed: the timer must not cut a long download later.
    read: (key, opts) => timed("read", key, opts, (o) => driver.read(key, { ...opts, ...o })),
    list: (prefix, opts) => timedListing(prefix, opts ?? {}),
    close: () => driver.close?.() ?? Promise.resolve(),
  };
  if (driver.localPath) layered.localPath = driver.localPath.bind(driver);
  if (driver.renamePrefix) layered.renamePrefix = driver.renamePrefix.bind(driver);
  // Not timed: a server-side copy of a big object takes as long as the store needs (SDK sockets time out).
  if (driver.copy) layered.copy = driver.copy.bind(driver);
  return layered;
}
