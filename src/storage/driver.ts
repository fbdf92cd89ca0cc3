/**
 * The byte-store contract. A driver stores bytes under string keys ("a/b/c.txt", '/'-separated, no
 * leading '/'); everything artifact-shaped (versions, claims, records, aliases, digests) lives above it,
 * in the managers. Every driver passes the conformance suite in test/conformance/.
 */
import type { Readable } from "node:stream";

/** What a driver can do; the manager picks code paths from these flags. */
export interface DriverCapabilities {
  /** `write(…, { ifNotExists: true })` is enforced by the store (never silently overwrites). */
  writeIfNotExists: boolean;
  /** `write(…, { ifMatch })` is enforced (conditional replace). */
  writeIfMatch: boolean;
  /** `read(…, { range })` returns only the requested bytes. */
  rangeRead: boolean;
  /** Large writes are split into parts uploaded in parallel. */
  multipart: boolean;
  /** `renamePrefix` exists and moves a whole prefix atomically (local disk, memory). */
  atomicRenamePrefix: boolean;
  /**
   * `stat` and `read` take `{ version }` (an object version ID, S3 with bucket versioning) and `stat`
   * reports `version`. Absent: no versions; never pass `version` to such a driver (it is not checked).
   */
  versionedReads?: boolean;
  /**
   * Most bytes one `write` holds in memory at once, whatever the body's size (a small body read whole,
   * parts or blocks in flight). Managers reserve min(file size, this) from their bytes-in-flight budget
   * per file. Absent: unknown, so a write is assumed to hold the whole body.
   */
  writeBufferBytes?: number;
}

/** Metadata of one stored object. */
export interface ObjectInfo {
  key: string;
  /** Size in bytes. */
  size: number;
  lastModified?: Date;
  /** Opaque version tag for `ifMatch` (etag, generation, mtime+size…). */
  etag?: string;
  /** Base64 md5 of the content, where the service keeps one for every object (GCS; not composites). */
  md5?: string;
  /**
   * The service's own ETag of the object where `etag` holds something else: on GCS `etag` is the
   * generation and this is the object's etag (what W&B records for a `gs://` reference).
   */
  serviceEtag?: string;
  /** The object's version ID, on a driver with `capabilities.versionedReads` and a versioned bucket. */
  version?: string;
}

/** One entry of a listing: an object, or (with `delimiter`) a common prefix ending in '/'. */
export type ListEntry = ({ type: "object" } & ObjectInfo) | { type: "prefix"; key: string };

/** Options every driver call takes. */
export interface DriverCallOptions {
  /** Cancels the call; it rejects with `signal.reason` and leaves nothing half written. */
  signal?: AbortSignal;
}

/** Options of `stat`. */
export interface StatOptions extends DriverCallOptions {
  /** This version of the object (drivers with `capabilities.versionedReads` only). */
  version?: string;
}

/** Options of `read`. */
export interface ReadOptions extends StatOptions {
  /** Byte range; `length` undefined = to the end. */
  range?: { offset: number; length?: number };
}

/** Options of `write`: conditions (create-only, if-match), size and content type hints, progress. */
export interface WriteOptions extends DriverCallOptions {
  /** Create-only: throw `ALREADY_EXISTS` when the key exists, atomically with respect to other writers. */
  ifNotExists?: boolean;
  /** Replace only if the current object has this etag, else throw `CONFLICT`. */
  ifMatch?: string;
  /** Size of the body in bytes when known (lets cloud drivers pick single-put vs multipart). */
  size?: number;
  /** Content type to store. @default "application/octet-stream" */
  contentType?: string;
  /** Called with the number of bytes written so far. */
  onBytes?: (bytesWritten: number) => void;
}

/** What `write` stored. */
export interface WriteResult {
  key: string;
  /** Bytes written. */
  size: number;
  /** The new object's version tag, usable as `ifMatch`, when the store returns one. */
  etag?: string;
}

/** Options of `copy`. */
export interface CopyOptions extends DriverCallOptions {
  /**
   * Copy only while the source still has this etag (as `stat` or `list` reported it), else throw
   * `CONFLICT`: the copy is of the object the caller looked at, not of one written since.
   */
  ifSourceMatch?: string;
  /** The source's size in bytes when known (cloud drivers pick one copy request or a multipart copy by it). */
  size?: number;
}

/** What `copy` stored. */
export interface CopyResult {
  key: string;
  /** Size in bytes of the new object, as the store reports it. */
  size: number;
  /** The new object's version tag, when the store returns one. */
  etag?: string;
}

/** Options of `list`. */
export interface ListOptions extends DriverCallOptions {
  /** With `true`, list one level: objects directly under the prefix plus `prefix` entries for sub-folders. @default false (recursive) */
  delimiter?: boolean;
}

/** Body accepted by `write`. Strings are written as UTF-8. */
export type WriteBody = Readable | Uint8Array | string;

/** The byte store. Each method documents its behaviour contract; the conformance suite checks it. */
export interface StorageDriver {
  /** Short backend name for messages and error context: "local", "memory", "s3", "gcs", "azure". */
  readonly backend: string;
  /** The store URL the driver was created from (for messages). */
  readonly url: string;
  readonly capabilities: DriverCapabilities;

  /** Metadata of `key`, or `null` when it does not exist (never throws NOT_FOUND). */
  stat(key: string, options?: StatOptions): Promise<ObjectInfo | null>;

  /** A stream of the object's bytes (or the range). Throws `NOT_FOUND` when missing. */
  read(key: string, options?: ReadOptions): Promise<Readable>;

  /**
   * Writes the whole body to `key`. Readers never see a partially written object. Throws `ALREADY_EXISTS`
   * with `ifNotExists` when the key exists and `CONFLICT` when `ifMatch` does not match. When the body
   * stream errors, nothing is left under `key` and the stream's error is rethrown.
   */
  write(key: string, body: WriteBody, options?: WriteOptions): Promise<WriteResult>;

  /**
   * Lists keys starting with `prefix` (a prefix is a plain string match; pass "a/b/" for a folder), in
   * lexicographic order of UTF-8 bytes where the store guarantees it. Pages lazily; throws rather than
   * ending early on an error.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<ListEntry>;

  /** Deletes `key`. Deleting a missing key succeeds. */
  delete(key: string, options?: DriverCallOptions): Promise<void>;

  /**
   * Only when `capabilities.atomicRenamePrefix`: moves every key under `from` to `to` in one atomic step.
   * Throws `ALREADY_EXISTS` when anything exists under `to` (on local disk also an empty folder `to`:
   * Python scaffold creates `v<N>/` before it copies its files in), leaving what is there untouched, and
   * `NOT_FOUND` when nothing exists under `from` (never a silent success: a writer must learn that its
   * staged files are gone). Local disk: the moved folders and both parents are fsynced before it resolves;
   * the files under `from` are durable only if their writers synced them (`write` does; whoever copies
   * files in through `localPath` must fdatasync them first).
   */
  renamePrefix?(from: string, to: string, options?: DriverCallOptions): Promise<void>;

  /**
   * Optional: copies the object at `from` to `to` inside the store without its bytes passing through
   * this process (server-side copy, reflink, a shared buffer), replacing `to`. Readers never see a
   * partial `to`. Throws `NOT_FOUND` when `from` is missing and `CONFLICT` when `ifSourceMatch` no
   * longer matches it. Each driver checks the new object against the source with what its store
   * reports (its doc says what: sizes, md5/crc hashes, etags) and throws `CHECKSUM_MISMATCH` on a
   * difference, deleting what it wrote. Not timed by the timeout layer (a big copy takes long);
   * retried as a whole.
   */
  copy?(from: string, to: string, options?: CopyOptions): Promise<CopyResult>;

  /**
   * Only for drivers backed by local files: the absolute filesystem path of `key`, so that managers can
   * copy with the kernel's fast paths. Never called for other drivers.
   */
  localPath?(key: string): string;

  /** Releases clients and sockets. Idempotent. */
  close?(): Promise<void>;
}
