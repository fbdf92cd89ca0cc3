/** The GCS driver's one error mapping: ApiError / GaxiosError / auth errors → ArtifactError codes. */
import { ArtifactError, type ErrorCode, type ErrorContext } from "../errors.js";
import { mapNetworkError } from "./cloud-common.js";

/** What the failing call was about. */
export interface GcsErrorSubject {
  operation: string;
  bucket: string;
  url: string;
  key?: string;
  condition?: "ifNotExists" | "ifMatch";
  /**
   * What a 404 means: set to "bucket" once a bucket check confirmed it. Without it, a 404 of a write
   * or a list is a missing bucket (neither has a missing object) and any other 404 a missing object.
   */
  missing?: "bucket";
}

interface GcsLikeError {
  name?: string;
  code?: unknown;
  status?: unknown;
  message?: string;
  response?: { status?: number };
  errors?: { reason?: string }[];
}

/**
 * The HTTP status of an SDK error. A 412 arrives as `code` on simple uploads (ApiError) and as `status`
 * / `response.status` on resumable ones (GaxiosError): check all three (FINDINGS §3).
 */
export function gcsStatus(error: unknown): number | undefined {
  const e = (error ?? {}) as GcsLikeError;
  for (const value of [e.code, e.status, e.response?.status]) if (typeof value === "number") return value;
  return undefined;
}

/** Maps any error thrown by the GCS SDK to an {@link ArtifactError}. */
export function mapGcsError(error: unknown, subject: GcsErrorSubject): ArtifactError {
  if (error instanceof ArtifactError) return error;
  const context: ErrorContext = {
    backend: "gcs",
    operation: subject.operation,
    bucket: subject.bucket,
    ...(subject.key === undefined ? {} : { key: subject.key }),
  };
  const status = gcsStatus(error);
  const network = status === undefined ? mapNetworkError(error, context, subject.url) : null;
  if (network) return network;
  const e = (error ?? {}) as GcsLikeError;
  const detail = e.message ?? String(error);
  const [code, message, retryable] = classify(status, e, subject, detail);
  return new ArtifactError(code, message, { retryable, context: { ...context, status }, cause: error });
}

function classify(
  status: number | undefined,
  e: GcsLikeError,
  s: GcsErrorSubject,
  detail: string,
): [ErrorCode, string, boolean] {
  const what = s.key === undefined ? `bucket '${s.bucket}'` : `'${s.key}' in bucket '${s.bucket}'`;
  if (status === 404 && (s.missing === "bucket" || s.operation === "write" || s.operation === "list"))
    return [
      "NOT_FOUND",
      `GCS bucket '${s.bucket}' does not exist (${s.url}); create it or fix the URL`,
      false,
    ];
  if (status === 404) return ["NOT_FOUND", `${what} does not exist (${s.url})`, false];
  if (status === 412) {
    if (s.condition === "ifMatch")
      return [
        "CONFLICT",
        `${what} changed since it was read (generation mismatch); read it again and retry`,
        false,
      ];
    return ["ALREADY_EXISTS", `${what} already exists (create-only write)`, false];
  }
  if (
    status === 401 ||
    /Could not load the default credentials|invalid_grant|Unable to detect a Project Id/i.test(detail)
  )
    return [
      "UNAUTHENTICATED",
      `GCS rejected or found no credentials for ${s.url}; run 'gcloud auth application-default login' or set GOOGLE_APPLICATION_CREDENTIALS (${detail})`,
      false,
    ];
  if (status === 403)
    return [
      "PERMISSION_DENIED",
      `Access denied to ${what} during ${s.operation} (${s.url}); grant the account a Storage role on the bucket`,
      false,
    ];
  if (status === 429) return ["RATE_LIMITED", `GCS is throttling requests to ${s.url}; retry later`, true];
  if (status === 408) return ["TIMEOUT", `GCS request timed out during ${s.operation} of ${what}`, true];
  if (status !== undefined && status >= 500)
    return ["UNAVAILABLE", `GCS server error ${status} during ${s.operation} of ${what}; retry later`, true];
  if (status === 400) return ["INVALID_ARGUMENT", `GCS rejected ${s.operation} of ${what}: ${detail}`, false];
  if (e.name === "RequestError" || /FILE_NO_UPLOAD|CONTENT_DOWNLOAD_MISMATCH|mismatch/i.test(detail))
    return ["UNAVAILABLE", `GCS transfer of ${what} failed during ${s.operation}: ${detail}`, true];
  return ["UNEXPECTED", `Unexpected GCS error during ${s.operation} of ${what}: ${detail}`, false];
}
