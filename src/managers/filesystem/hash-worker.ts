/**
 * sha256 of big downloads on a worker thread, so that hashing (~0.6 s per GiB here, with SHA-NI) runs
 * beside the thread that receives the bytes and hands them to the disk, not in turn with it. A written
 * pool buffer is moved to the worker (`postMessage` with a transfer list: its memory changes owner, no
 * copy) and comes back hashed. Ordinary buffers: shared memory (`SharedArrayBuffer`) would spare the
 * round trip, but V8 does not count it as pressure for its garbage collector, and pool buffers that a
 * consumer drops then pile up (bench/README, 13:25 run). One worker per process, started on first use,
 * holding the process open only while it owes an answer. Where no worker can start, the caller hashes.
 */
import { Worker } from "node:worker_threads";
import { POOL_BUFFER_BYTES } from "../../storage/buffer-pool.js";

/**
 * The worker's code, evaluated (no file of its own to find next to a bundle). Dynamic imports, so that it
 * runs as a script and as a module alike; messages wait in the port until its listener is added.
 */
const WORKER_SOURCE = `
Promise.all([import("node:worker_threads"), import("node:crypto")]).then(([{ parentPort }, { createHash }]) => {
  const hashes = new Map();
  parentPort.on("message", (m) => {
    if (m.type === "update") {
      let hash = hashes.get(m.id);
      if (hash === undefined) hashes.set(m.id, (hash = createHash("sha256")));
      hash.update(new Uint8Array(m.memory, 0, m.length));
      parentPort.postMessage({ id: m.id, memory: m.memory }, [m.memory]);
    } else if (m.type === "digest") {
      const hash = hashes.get(m.id) ?? createHash("sha256");
      hashes.delete(m.id);
      parentPort.postMessage({ id: m.id, hex: hash.digest("hex") });
    } else if (m.type === "drop") hashes.delete(m.id);
  });
});
`;

/** An incremental sha256 on the hashing worker. */
export interface TransferHash {
  /**
   * Hashes the first `length` bytes of `buffer`, a whole pool buffer, after every earlier update. The
   * buffer's memory goes to the worker (`buffer` is empty from now on) and comes back as the buffer
   * this resolves with, once hashed.
   */
  update(buffer: Buffer, length: number): Promise<Buffer>;
  /** The hex digest, after every update. */
  digest(): Promise<string>;
  /** Forgets the hash (after a failure). Updates in flight still resolve. */
  drop(): void;
}

type Reply = { id: number; memory: ArrayBuffer } | { id: number; hex: string };

interface Waiter {
  resolve: (reply: Reply) => void;
  reject: (error: unknown) => void;
}

/** Whether `buffer` spans the whole of its own memory of a pool buffer's size (so it can be moved). */
export function isWholePoolBuffer(buffer: Buffer): boolean {
  return (
    buffer.byteOffset === 0 &&
    buffer.length === POOL_BUFFER_BYTES &&
    buffer.buffer.byteLength === POOL_BUFFER_BYTES &&
    buffer.buffer instanceof ArrayBuffer
  );
}

/** The process's hashing worker, and the replies each hash waits for (in order). */
class HashWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiter[]>();
  /** Dropped hashes whose updates are still in flight. */
  readonly #dropped = new Set<number>();
  #nextId = 1;
  /** Replies the worker still owes (every message but `drop` gets one). */
  #due = 0;
  #failure: unknown;

  constructor() {
    // None of this process's flags (loaders, --input-type, profilers): the code above needs none.
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    this.#worker.unref();
    this.#worker.on("message", (reply: Reply) => {
      if (--this.#due === 0) this.#worker.unref();
      const waiters = this.#waiting.get(reply.id);
      waiters?.shift()?.resolve(reply);
      if (waiters?.length === 0 && this.#dropped.delete(reply.id)) this.#waiting.delete(reply.id);
    });
    this.#worker.on("error", (error) => this.#failAll(error));
    this.#worker.on("exit", (code) => this.#failAll(new Error(`the hashing worker exited (code ${code})`)));
  }

  get usable(): boolean {
    return this.#failure === undefined;
  }

  open(): TransferHash {
    const id = this.#nextId++;
    const waiters: Waiter[] = [];
    this.#waiting.set(id, waiters);
    let closed = false;
    const ask = (message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> => {
      if (this.#failure !== undefined) return Promise.reject(this.#failure);
      return new Promise<Reply>((resolve, reject) => {
        waiters.push({ resolve, reject });
        if (this.#due++ === 0) this.#worker.ref();
        this.#worker.postMessage({ id, ...message }, transfer);
      });
    };
    return {
      update: async (buffer, length) => {
        if (!isWholePoolBuffer(buffer))
          throw new TypeError("only a whole pool buffer can go to the hashing worker");
        const memory = buffer.buffer as ArrayBuffer;
        const reply = await ask({ type: "update", memory, length }, [memory]);
        return "memory" in reply ? Buffer.from(reply.memory) : Buffer.allocUnsafeSlow(0);
      },
      digest: async () => {
        try {
          const reply = await ask({ type: "digest" });
          return "hex" in reply ? reply.hex : "";
        } finally {
          closed = true;
          this.#waiting.delete(id);
        }
      },
      drop: () => {
        if (closed) return;
        closed = true;
        if (this.#failure === undefined) this.#worker.postMessage({ id, type: "drop" });
        if (waiters.length === 0) this.#waiting.delete(id);
        else this.#dropped.add(id);
      },
    };
  }

  #failAll(error: unknown): void {
    this.#failure ??= error;
    this.#due = 0;
    this.#dropped.clear();
    for (const waiters of this.#waiting.values())
      for (const waiter of waiters.splice(0)) waiter.reject(error);
    this.#waiting.clear();
  }
}

let shared: HashWorker | undefined;
let unavailable = false;

/** A sha256 on the process's hashing worker, or null where no worker can run (the caller hashes itself). */
export function offThreadHash(): TransferHash | null {
  if (unavailable) return null;
  try {
    if (shared === undefined || !shared.usable) shared = new HashWorker();
  } catch {
    unavailable = true;
    return null;
  }
  return shared.open();
}
