/**
 * Fault injection: make the next N matching requests fail with a status (with an optional
 * `Retry-After`), or cut the connection mid-way. Also records every request for assertions.
 */

/** Which requests a fault applies to. */
export type RequestKind = "graphql" | "upload" | "download" | "file_stream";

/** One injected fault. */
export interface FaultRule {
  kind: RequestKind;
  /** GraphQL operation name (e.g. `CreateArtifactFiles`), or for storage `file` / `manifest` / `part` / `blob`; any when absent. */
  operation?: string;
  /** Answer this status instead of serving the request. */
  status?: number;
  /** `Retry-After` header value sent with `status`. */
  retryAfter?: string;
  /**
   * Destroy the socket after this many body bytes (uploads: read, downloads: written). GraphQL: 0 drops
   * the request unexecuted; N > 0 executes it and cuts the answer after N bytes.
   */
  cutAfterBytes?: number;
  /** Storage uploads: hold the answer this many ms after the body arrived (widens overlap). */
  delayMs?: number;
  /** How many matching requests fail. @default 1 */
  times?: number;
}

/** A served request, as recorded. */
export interface RequestRecord {
  kind: RequestKind;
  operation?: string;
  status: number;
  faulted: boolean;
  /** file_stream: the run it streams to, and the exit code a `complete` chunk gives. */
  run?: string;
  exitcode?: number;
}

export class Faults {
  readonly #rules: Array<FaultRule & { left: number }> = [];
  /** Every request the emulator served or failed, in order. */
  readonly requests: RequestRecord[] = [];
  /**
   * Storage GETs answer this many redirects (302, then 307, …, each to the same object under another
   * path) before they serve, as storage behind a CDN may. @default 0
   */
  downloadRedirects = 0;
  /** Multipart part uploads are answered 200 without an `ETag` header (a broken proxy). @default false */
  dropPartEtags = false;
  /** Declared bytes (`Content-Length`) of storage uploads being received or answered right now. */
  uploadBytesInFlight = 0;
  /** The most `uploadBytesInFlight` has been since the last reset. */
  maxUploadBytesInFlight = 0;

  /** Counts a storage upload as in flight; the returned function ends it. */
  uploadStarted(bytes: number): () => void {
    this.uploadBytesInFlight += bytes;
    this.maxUploadBytesInFlight = Math.max(this.maxUploadBytesInFlight, this.uploadBytesInFlight);
    let done = false;
    return () => {
      if (!done) this.uploadBytesInFlight -= bytes;
      done = true;
    };
  }

  /** Adds a fault; returns `this` for chaining. */
  inject(rule: FaultRule): this {
    this.#rules.push({ ...rule, left: rule.times ?? 1 });
    return this;
  }

  /** Removes every pending fault and forgets recorded requests. */
  reset(): void {
    this.#rules.length = 0;
    this.requests.length = 0;
    this.maxUploadBytesInFlight = this.uploadBytesInFlight;
  }

  /** Faults not yet used up. */
  get pending(): number {
    return this.#rules.reduce((n, r) => n + r.left, 0);
  }

  /** Takes the first matching fault (counting it down), if any. */
  take(kind: RequestKind, operation?: string): FaultRule | undefined {
    const rule = this.#rules.find(
      (r) => r.left > 0 && r.kind === kind && (r.operation === undefined || r.operation === operation),
    );
    if (rule) rule.left--;
    return rule;
  }

  record(record: RequestRecord): void {
    this.requests.push(record);
  }
}
