/** The S3 driver's one error mapping: SDK and network errors → ArtifactError codes with retry flags. */
import { ArtifactError, type ErrorCode, type ErrorContext } from "../errors.js";
import { mapNetworkError } from "./cloud-common.js";

/** What the failing call was about. */
export interface S3ErrorSubject {
  operation: string;
  bucket: string;
  url: string;
  key?: string;
  /** The write was create-only (412 means "exists"), or conditional on an etag (412 means "changed"). */
  condition?: "ifNotExists" | "ifMatch";
}

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** Maps any error thrown by the S3 client to an {@link ArtifactError}. */
export function mapS3Error(error: unknown, subject: S3ErrorSubject): ArtifactError {
  if (error instanceof ArtifactError) return error;
  const context: ErrorContext = {
    backend: "s3",
    operation: subject.operation,
    bucket: subject.bucket,
    ...(subject.key === undefined ? {} : { key: subject.key }),
  };
  const network = mapNetworkError(error, context, subject.url);
  if (network) return network;
  const e = (error ?? {}) as SdkError;
  const name = e.Code ?? e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const [code, message, retryable] = classify(name, status, subject, e.message ?? String(error));
  return new ArtifactError(code, message, {
    retryable,
    context: { ...context, status, s3Code: name },
    cause: error,
  });
}

function classify(
  name: string,
  status: number | undefined,
  s: S3ErrorSubject,
  detail: string,
): [ErrorCode, string, boolean] {
  const what = s.key === undefined ? `bucket '${s.bucket}'` : `'${s.key}' in bucket '${s.bucket}'`;
  if (name === "NoSuchBucket")
    return [
      "NOT_FOUND",
      `S3 bucket '${s.bucket}' does not exist (${s.url}); create it or fix the URL`,
      false,
    ];
  if (name === "NoSuchKey" || name === "NotFound" || status === 404)
    return ["NOT_FOUND", `${what} does not exist (${s.url})`, false];
  // AWS: 409 ConditionalRequestConflict = a concurrent conflicting operation on the key; retry it
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
  if (name === "ConditionalRequestConflict")
    return ["CONFLICT", `a concurrent operation on ${what} conflicted with this ${s.operation}; retry`, true];
  if (name === "PreconditionFailed" || status === 412) {
    if (s.condition === "ifMatch")
      return [
        "CONFLICT",
        `${what} changed since it was read (etag mismatch); read it again and retry`,
        false,
      ];
    return ["ALREADY_EXISTS", `${what} already exists (create-only write)`, false];
  }
  if (["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"].includes(name))
    return [
      "UNAUTHENTICATED",
      `S3 rejected the credentials for ${s.url} (${name}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile`,
      false,
    ];
  if (name === "CredentialsProviderError")
    return [
      "UNAUTHENTICATED",
      `No AWS credentials found for ${s.url}; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the accessKeyId/secretAccessKey storage options`,
      false,
    ];
  if (name === "AccessDenied" || name === "AllAccessDisabled" || status === 403)
    return [
      "PERMISSION_DENIED",
      `Access denied to ${what} during ${s.operation} (${s.url}); check the bucket policy and IAM permissions`,
      false,
    ];
  if (name === "SlowDown" || name === "TooManyRequests" || status === 429 || status === 503)
    return ["RATE_LIMITED", `S3 is throttling requests to ${s.url} (${name}); retry later`, true];
  if (name === "RequestTimeout" || name === "RequestTimeTooSkewed" || status === 408)
    return ["TIMEOUT", `S3 request timed out during ${s.operation} of ${what}`, true];
  if (name === "InvalidBucketName")
    return ["INVALID_ARGUMENT", `'${s.bucket}' is not a valid S3 bucket name (${s.url})`, false];
  if (
    name === "EntityTooLarge" ||
    name === "InvalidRange" ||
    status === 400 ||
    status === 411 ||
    status === 413
  )
    return ["INVALID_ARGUMENT", `S3 rejected ${s.operation} of ${what}: ${name}: ${detail}`, false];
  if (status !== undefined && status >= 500)
    return [
      "UNAVAILABLE",
      `S3 server error ${status} (${name}) during ${s.operation} of ${what}; retry later`,
      true,
    ];
  return ["UNEXPECTED", `Unexpected S3 error during ${s.operation} of ${what}: ${name}: ${detail}`, false];
}
