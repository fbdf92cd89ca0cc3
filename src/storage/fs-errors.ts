/** Maps Node `fs` errors to ArtifactError codes (the local driver's one mapping function). */
import { ArtifactError, type ErrorCode } from "../errors.js";

const CODES: Record<string, ErrorCode> = {
  ENOENT: "NOT_FOUND",
  ENOTDIR: "NOT_FOUND",
  EEXIST: "ALREADY_EXISTS",
  ENOTEMPTY: "ALREADY_EXISTS",
  EACCES: "PERMISSION_DENIED",
  EPERM: "PERMISSION_DENIED",
  EROFS: "PERMISSION_DENIED",
  EISDIR: "INVALID_ARGUMENT",
  ENAMETOOLONG: "INVALID_ARGUMENT",
  ENOSPC: "UNAVAILABLE",
  EMFILE: "UNAVAILABLE",
  ENFILE: "UNAVAILABLE",
  EBUSY: "UNAVAILABLE",
};

const RETRYABLE = new Set(["EMFILE", "ENFILE", "EBUSY", "EAGAIN"]);

/** The `code` of a Node system error, or undefined. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Wraps an `fs` error; ArtifactErrors and non-system errors (e.g. `signal.reason`) pass through. */
export function mapFsError(error: unknown, operation: string, key: string, path: string): unknown {
  const errno = errnoOf(error);
  if (error instanceof ArtifactError || errno === undefined || !errno.startsWith("E")) return error;
  const code = CODES[errno] ?? "UNEXPECTED";
  return new ArtifactError(code, `local store: ${operation} '${key}' failed (${errno}) at ${path}`, {
    cause: error,
    retryable: RETRYABLE.has(errno),
    context: { backend: "local", operation, key, path },
  });
}

/** Wraps an `fs` error about a local file outside the store (a file being logged or downloaded). */
export function mapLocalFileError(error: unknown, what: string, path: string): unknown {
  const errno = errnoOf(error);
  if (error instanceof ArtifactError || errno === undefined || !errno.startsWith("E")) return error;
  return new ArtifactError(CODES[errno] ?? "UNEXPECTED", `${what} ${path} failed (${errno})`, {
    cause: error,
    retryable: RETRYABLE.has(errno),
    context: { backend: "local", operation: what, path },
  });
}
