/**
 * The in-memory byte store: a sorted map in this process. Stores created with the same name share
 * their objects (`memory://NAME`), so two managers on one URL see the same artifacts.
 */
import { Readable } from "node:stream";
import { ArtifactError, throwIfAborted } from "../errors.js";
import { collectBody } from "../storage/body.js";
import type {
  CopyOptions,
  CopyResult,
  DriverCallOptions,
  ListEntry,
  ListOptions,
  ObjectInfo,
  ReadOptions,
  StorageDriver,
  WriteBody,
  WriteOptions,
  WriteResult,
} from "../storage/driver.js";
import { folderOf, validateKey, validatePrefix } from "../storage/keys.js";
import { compareCodePoints } from "../util/compare.js";

interface MemoryObject {
  data: Buffer;
  etag: string;
  lastModified: Date;
}

/** The objects of one named memory store. */
export type MemoryStore = Map<string, MemoryObject>;

const STORES = new Map<string, MemoryStore>();
let etagCounter = 0;

/** Options of {@link createMemoryDriver}. */
export interface MemoryDriverOptions {
  /** Name of a process-wide store to share; omit for a private store. */
  name?: string;
}

/** Creates a memory driver; drivers with the same `name` share one store. */
export function createMemoryDriver(options: MemoryDriverOptions = {}): StorageDriver {
  const { name } = options;
  let store: MemoryStore;
  if (name === undefined) store = new Map();
  else {
    store = STORES.get(name) ?? new Map();
    STORES.set(name, store);
  }
  return new MemoryDriver(store, name === undefined ? "memory://" : `memory://${name}`);
}

/** Forgets a named memory store (its objects are freed when no driver uses them). */
export function deleteMemoryStore(name: string): void {
  STORES.delete(name);
}

class MemoryDriver implements StorageDriver {
  readonly backend = "memory";
  readonly capabilities = {
    writeIfNotExists: true,
    writeIfMatch: true,
    rangeRead: true,
    multipart: false,
    atomicRenamePrefix: true,
  };

  constructor(
    private readonly store: MemoryStore,
    readonly url: string,
  ) {}

  async stat(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    throwIfAborted(options.signal);
    validateKey(key, this.backend);
    const object = this.store.get(key);
    return object === undefined ? null : info(key, object);
  }

  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    throwIfAborted(options.signal);
    validateKey(key, this.backend);
    const object = this.store.get(key);
    if (object === undefined) throw notFound(key);
    const offset = options.range?.offset ?? 0;
    const length = options.range?.length;
    const end = length === undefined ? object.data.length : offset + length;
    return Readable.from([object.data.subarray(offset, end)]);
  }

  async write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    validateKey(key, this.backend);
    throwIfAborted(options.signal);
    const data = await collectBody(body, { signal: options.signal, onBytes: options.onBytes });
    throwIfAborted(options.signal);
    // Check and set run synchronously, so concurrent create-only writers cannot both win.
    const existing = this.store.get(key);
    if (options.ifNotExists && existing !== undefined) {
      throw new ArtifactError("ALREADY_EXISTS", `object '${key}' already exists in ${this.url}`, {
        context: { backend: this.backend, operation: "write", key },
      });
    }
    if (options.ifMatch !== undefined && existing?.etag !== options.ifMatch) {
      throw new ArtifactError("CONFLICT", `object '${key}' changed since it was read (etag mismatch)`, {
        context: { backend: this.backend, operation: "write", key },
      });
    }
    const object = { data, etag: `m${++etagCounter}`, lastModified: new Date() };
    this.store.set(key, object);
    return { key, size: data.length, etag: object.etag };
  }

  /**
   * Shares the source's bytes (buffers are never changed in place: a write stores a new one). Checked:
   * the source exists and matches `ifSourceMatch`, in the same synchronous step as the set.
   */
  async copy(from: string, to: string, options: CopyOptions = {}): Promise<CopyResult> {
    throwIfAborted(options.signal);
    validateKey(from, this.backend);
    validateKey(to, this.backend);
    const source = this.store.get(from);
    if (source === undefined) throw notFound(from, "copy");
    if (options.ifSourceMatch !== undefined && source.etag !== options.ifSourceMatch) {
      throw new ArtifactError("CONFLICT", `object '${from}' changed since it was read (etag mismatch)`, {
        context: { backend: this.backend, operation: "copy", key: from },
      });
    }
    const object = { data: source.data, etag: `m${++etagCounter}`, lastModified: new Date() };
    this.store.set(to, object);
    return { key: to, size: object.data.length, etag: object.etag };
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<ListEntry> {
    throwIfAborted(options.signal);
    validatePrefix(prefix, this.backend);
    const keys = [...this.store.keys()].filter((key) => key.startsWith(prefix)).sort(compareCodePoints);
    const base = folderOf(prefix);
    let lastPrefix = "";
    for (const key of keys) {
      throwIfAborted(options.signal);
      const slash = options.delimiter ? key.indexOf("/", base.length) : -1;
      if (slash !== -1) {
        const folder = key.slice(0, slash + 1);
        if (folder !== lastPrefix) yield { type: "prefix", key: folder };
        lastPrefix = folder;
        continue;
      }
      const object = this.store.get(key);
      if (object !== undefined) yield { type: "object", ...info(key, object) };
    }
  }

  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    validateKey(key, this.backend);
    this.store.delete(key);
  }

  async renamePrefix(from: string, to: string, options: DriverCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    validatePrefix(from, this.backend);
    validatePrefix(to, this.backend);
    const keys = [...this.store.keys()];
    if (!keys.some((key) => key.startsWith(from))) {
      throw new ArtifactError("NOT_FOUND", `prefix '${from}' holds nothing to rename in ${this.url}`, {
        context: { backend: this.backend, operation: "renamePrefix", key: from },
      });
    }
    if (keys.some((key) => key.startsWith(to))) {
      throw new ArtifactError("ALREADY_EXISTS", `prefix '${to}' is not empty in ${this.url}`, {
        context: { backend: this.backend, operation: "renamePrefix", key: to },
      });
    }
    for (const key of keys) {
      if (!key.startsWith(from)) continue;
      const object = this.store.get(key) as MemoryObject;
      this.store.delete(key);
      this.store.set(to + key.slice(from.length), object);
    }
  }
}

function info(key: string, object: MemoryObject): ObjectInfo {
  return { key, size: object.data.length, lastModified: object.lastModified, etag: object.etag };
}

function notFound(key: string, operation = "read"): ArtifactError {
  return new ArtifactError("NOT_FOUND", `object '${key}' does not exist in the memory store`, {
    context: { backend: "memory", operation, key },
  });
}
