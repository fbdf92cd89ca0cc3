/**
 * A driver wrapper that stops a manager at exact points (before a read, once a read's stream is open,
 * around writes, deletes and prefix renames) until the test opens a gate, so that another manager can
 * delete, prune or log in between. Used by the delete-race tests on every backend.
 */
import { Readable } from "node:stream";
import type { StorageDriver } from "../../src/storage/driver.js";

type Hook = (key: string) => Promise<void> | void;

/** Where the wrapper stops; every hook is awaited. */
export interface DriverGates {
  beforeRead?: Hook;
  /** After the store answered a read (its stream is open), before the stream is handed over. */
  afterOpen?: Hook;
  beforeWrite?: Hook;
  /** After a write resolved; a throw here looks like a crash right after the write. */
  afterWrite?: Hook;
  beforeDelete?: Hook;
  afterRename?: (from: string, to: string) => Promise<void> | void;
  /** Called after a read's first chunk arrived; the rest of the stream waits for the returned promise. */
  afterFirstChunk?: (key: string) => Promise<void> | void;
  /** Hide `localPath`, so a local store's downloads go through `read` (where the gates see them). */
  hideLocalPath?: boolean;
}

/** `base` with `gates` around its calls. `close` is not forwarded (the base's owner closes it). */
export function gatedDriver(base: StorageDriver, gates: DriverGates): StorageDriver {
  const localPath = base.localPath?.bind(base);
  const renamePrefix = base.renamePrefix?.bind(base);
  const copy = base.copy?.bind(base);
  return {
    backend: base.backend,
    url: base.url,
    capabilities: base.capabilities,
    stat: (key, options) => base.stat(key, options),
    read: async (key, options) => {
      await gates.beforeRead?.(key);
      const stream = await base.read(key, options);
      await gates.afterOpen?.(key);
      const pause = gates.afterFirstChunk;
      if (pause === undefined) return stream;
      return Readable.from(
        (async function* () {
          let first = true;
          for await (const chunk of stream) {
            yield chunk as Buffer;
            if (first) await pause(key);
            first = false;
          }
        })(),
      );
    },
    write: async (key, body, options) => {
      await gates.beforeWrite?.(key);
      const result = await base.write(key, body, options);
      await gates.afterWrite?.(key);
      return result;
    },
    list: (prefix, options) => base.list(prefix, options),
    delete: async (key, options) => {
      await gates.beforeDelete?.(key);
      return base.delete(key, options);
    },
    ...(localPath && !gates.hideLocalPath ? { localPath } : {}),
    ...(copy ? { copy } : {}),
    ...(renamePrefix
      ? {
          renamePrefix: async (from: string, to: string, options?: Parameters<typeof renamePrefix>[2]) => {
            await renamePrefix(from, to, options);
            await gates.afterRename?.(from, to);
          },
        }
      : {}),
  };
}

/** A gate: `wait()` blocks callers until `open()`; `reached` resolves when the first caller arrives. */
export class Gate {
  #open!: () => void;
  #reached!: () => void;
  readonly #opened = new Promise<void>((resolve) => {
    this.#open = resolve;
  });
  /** Resolves once a caller waits at the gate. */
  readonly reached = new Promise<void>((resolve) => {
    this.#reached = resolve;
  });
  arrivals = 0;

  /** Blocks until the gate opens (returns at once when it is open). */
  wait(): Promise<void> {
    this.arrivals += 1;
    this.#reached();
    return this.#opened;
  }

  open(): void {
    this.#open();
  }
}
