/**
 * sha256 of big downloads on a worker thread, so that hashing (~0.6 s per GiB here, with SHA-NI) runs
 * beside the thread that receives the bytes and hands them to the disk, not in turn with it. The bytes
 * are not copied: pool buffers live in shared memory (storage/buffer-pool.ts), and the worker reads the
 * same memory the socket filled. One worker per process, started on first use, holding the process
 * open only while a hash is in progress. Where a worker cannot start, hashing stays on this thread.
 */
import { createHash, type Hash } from "node:crypto";
import { Worker } from "node:worker_threads";

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
      hash.update(new Uint8Array(m.memory, m.offset, m.length));
      parentPort.postMessage({ id: m.id, type: "updated" });
    } else if (m.type === "digest") {
      const hash = hashes.get(m.id) ?? createHash("sha256");
      hashes.delete(m.id);
      parentPort.postMessage({ id: m.id, type: "digest", hex: hash.digest("hex") });
    } else if (m.type === "drop") hashes.delete(m.id);
  });
});
`;

/** An incremental sha256 whose updates may run on another thread. */
export interface BufferHash {
  /**
   * Hashes `length` bytes at the start of `buffer`, after every earlier update. Resolves once they are
   * hashed: until then the caller must not change or reuse `buffer`.
   */
  update(buffer: Buffer, length: number): Promise<void>;
  /** The hex digest, after every update. */
  digest(): Promise<string>;
  /** Forgets the hash (after a failure); pending updates still resolve or reject. */
  drop(): void;
}

type Reply = { id: number; type: "updated" } | { id: number; type: "digest"; hex: string };

interface Waiter {
  resolve: (hex: string) => void;
  reject: (error: unknown) => void;
}

/** The process's hashing worker, and the replies each hash still waits for (in order). */
class HashWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiter[]>();
  #nextId = 1;
  #active = 0;
  #failure: unknown;

  constructor() {
    // None of this process's flags (loaders, --input-type, profilers): the code above needs none.
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    this.#worker.unref();
    this.#worker.on("message", (reply: Reply) =>
      this.#waiting
        .get(reply.id)
        ?.shift()
        ?.resolve(reply.type === "digest" ? reply.hex : ""),
    );
    this.#worker.on("error", (error) => this.#failAll(error));
    this.#worker.on("exit", (code) => this.#failAll(new Error(`the hashing worker exited (code ${code})`)));
  }

  /** Whether the worker still works. */
  get usable(): boolean {
    return this.#failure === undefined;
  }

  open(): BufferHash {
    const id = this.#nextId++;
    const waiters: Waiter[] = [];
    this.#waiting.set(id, waiters);
    if (this.#active++ === 0) this.#worker.ref();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      if (--this.#active === 0) this.#worker.unref();
    };
    const ask = (message: Record<string, unknown>): Promise<string> => {
      if (this.#failure !== undefined) return Promise.reject(this.#failure);
      return new Promise<string>((resolve, reject) => {
        waiters.push({ resolve, reject });
        this.#worker.postMessage({ id, ...message });
      });
    };
    return {
      update: async (buffer, length) => {
        if (!(buffer.buffer instanceof SharedArrayBuffer)) {
          throw new TypeError("an off-thread hash needs a buffer in shared memory (a pool buffer)");
        }
        await ask({ type: "update", memory: buffer.buffer, offset: buffer.byteOffset, length });
      },
      digest: async () => {
        try {
          return await ask({ type: "digest" });
        } finally {
          this.#waiting.delete(id);
          close();
        }
      },
      drop: () => {
        if (closed) return;
        if (this.#failure === undefined) this.#worker.postMessage({ id, type: "drop" });
        // Replies still due (updates already sent) find no waiters once the entry is gone.
        for (const waiter of waiters.splice(0)) waiter.resolve("");
        this.#waiting.delete(id);
        close();
      },
    };
  }

  #failAll(error: unknown): void {
    this.#failure ??= error;
    for (const waiters of this.#waiting.values())
      for (const waiter of waiters.splice(0)) waiter.reject(error);
    this.#waiting.clear();
  }
}

let shared: HashWorker | undefined;
let unavailable = false;

/** A sha256 on the process's hashing worker, or null where no worker can run (the caller hashes itself). */
export function offThreadHash(): BufferHash | null {
  if (unavailable) return null;
  try {
    if (shared === undefined || !shared.usable) shared = new HashWorker();
  } catch {
    unavailable = true;
    return null;
  }
  return shared.open();
}

/** The same interface on this thread (small files, and where no worker runs). */
export function onThreadHash(): BufferHash {
  const hash: Hash = createHash("sha256");
  return {
    update: async (buffer, length) => {
      hash.update(buffer.subarray(0, length));
    },
    digest: async () => hash.digest("hex"),
    drop: () => undefined,
  };
}
