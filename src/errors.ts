/**
 * The one error class of the library. Every failure the library reports is an `ArtifactError` with a
 * `code` from a closed union; tests and callers branch on `code`, never on message text.
 */

/** Every error code the library uses. */
export type ErrorCode =
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "INVALID_NAME"
  | "INVALID_ARGUMENT"
  | "CHECKSUM_MISMATCH"
  | "CHECKPOINT_INVALID"
  | "CONFLICT"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "UNSUPPORTED"
  | "RATE_LIMITED"
  | "TIMEOUT"
  | "UNAVAILABLE"
  | "UNEXPECTED";

/** Where an error happened: which backend, which operation, which key or artifact. */
export interface ErrorContext {
  backend?: string;
  operation?: string;
  key?: string;
  [extra: string]: unknown;
}

/** Options of the {@link ArtifactError} constructor. */
export interface ArtifactErrorOptions {
  /** Whether trying the same call again may succeed (network errors, 429, 5xx). @default false */
  retryable?: boolean;
  /** Backend, operation and key the error is about. */
  context?: ErrorContext;
  /** The original error (an SDK error, an `fs` error…). */
  cause?: unknown;
}

/** The library's error: a `code`, a message naming the subject and the fix, `retryable`, `context`, `cause`. */
export class ArtifactError extends Error {
  override readonly name = "ArtifactError";
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: ArtifactErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.context = options.context ?? {};
  }
}

/** True when `error` is an {@link ArtifactError}, optionally with the given code. */
export function isArtifactError(error: unknown, code?: ErrorCode): error is ArtifactError {
  return error instanceof ArtifactError && (code === undefined || error.code === code);
}

/** Throws `signal.reason` when the signal is aborted. Cancellation is never wrapped in an ArtifactError. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
