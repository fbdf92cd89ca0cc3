/** The Azure driver's one error mapping: RestError / identity errors → ArtifactError codes with retry flags. */
import { ArtifactError, type ErrorCode, type ErrorContext } from "../errors.js";
import { mapNetworkError } from "./cloud-common.js";

/** What the failing call was about. */
export interface AzureErrorSubject {
  operation: string;
  container: string;
  url: string;
  auth: string;
  key?: string;
  condition?: "ifNotExists" | "ifMatch";
}

/** Maps any error thrown by the Azure SDK to an {@link ArtifactError}. */
export function mapAzureError(error: unknown, subject: AzureErrorSubject): ArtifactError {
  if (error instanceof ArtifactError) return error;
  const context: ErrorContext = {
    backend: "azure",
    operation: subject.operation,
    container: subject.container,
    ...(subject.key === undefined ? {} : { key: subject.key }),
  };
  const e = (error ?? {}) as {
    name?: string;
    code?: string;
    statusCode?: number;
    message?: string;
    details?: { errorCode?: string };
  };
  const network = e.statusCode === undefined ? mapNetworkError(error, context, subject.url) : null;
  if (network) return network;
  if (
    e.name === "CredentialUnavailableError" ||
    e.name === "AuthenticationError" ||
    e.name === "AggregateAuthenticationError"
  ) {
    return new ArtifactError(
      "UNAUTHENTICATED",
      `No usable Azure credential for ${subject.url} (${e.name}); set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_KEY, or log in with 'az login'`,
      { context, cause: error },
    );
  }
  // HEAD responses have no body: the code is only in the x-ms-error-code header (details.errorCode).
  const name = e.code ?? e.details?.errorCode ?? e.name ?? "Error";
  const [code, message, retryable] = classify(name, e.statusCode, subject, e.message ?? String(error));
  return new ArtifactError(code, message, {
    retryable,
    context: { ...context, status: e.statusCode, azureCode: name },
    cause: error,
  });
}

function classify(
  name: string,
  status: number | undefined,
  s: AzureErrorSubject,
  detail: string,
): [ErrorCode, string, boolean] {
  const what =
    s.key === undefined ? `container '${s.container}'` : `'${s.key}' in container '${s.container}'`;
  if (name === "ContainerNotFound")
    return [
      "NOT_FOUND",
      `Azure container '${s.container}' does not exist (${s.url}); create it or fix the URL`,
      false,
    ];
  if (name === "BlobAlreadyExists")
    return ["ALREADY_EXISTS", `${what} already exists (create-only write)`, false];
  // Any other 409 (a lease on the blob, a pending copy, a container being deleted…) is not "exists".
  if (status === 409)
    return [
      "CONFLICT",
      `Azure refused ${s.operation} of ${what}: it conflicts with the blob's or container's state (${name}): ${detail}`,
      false,
    ];
  if (status === 412 || name === "ConditionNotMet") {
    if (s.condition === "ifNotExists")
      return ["ALREADY_EXISTS", `${what} already exists (create-only write)`, false];
    return ["CONFLICT", `${what} changed since it was read (etag mismatch); read it again and retry`, false];
  }
  if (name === "BlobNotFound" || status === 404)
    return ["NOT_FOUND", `${what} does not exist (${s.url})`, false];
  if (name === "AuthenticationFailed" || name === "InvalidAuthenticationInfo" || status === 401)
    return [
      "UNAUTHENTICATED",
      `Azure rejected the ${s.auth} credentials for ${s.url} (${name}); check the account key, SAS token or login`,
      false,
    ];
  // A shared-key request has no per-operation permissions: a 403 means the signature (the key) is wrong.
  if (status === 403 && (s.auth === "account key" || s.auth === "connection string"))
    return [
      "UNAUTHENTICATED",
      `Azure rejected the ${s.auth} credentials for ${s.url} (${name}); check the account name and key`,
      false,
    ];
  if (status === 403)
    return [
      "PERMISSION_DENIED",
      `Access denied to ${what} during ${s.operation} (${s.url}, ${name}); check the role assignment or SAS permissions`,
      false,
    ];
  if (name === "ServerBusy" || status === 429 || status === 503)
    return ["RATE_LIMITED", `Azure is throttling requests to ${s.url} (${name}); retry later`, true];
  if (name === "OperationTimedOut" || status === 408)
    return ["TIMEOUT", `Azure request timed out during ${s.operation} of ${what}`, true];
  if (name === "REQUEST_SEND_ERROR")
    return ["UNAVAILABLE", `Could not reach Azure at ${s.url} during ${s.operation}: ${detail}`, true];
  if (status !== undefined && status >= 500)
    return [
      "UNAVAILABLE",
      `Azure server error ${status} (${name}) during ${s.operation} of ${what}; retry later`,
      true,
    ];
  if (status === 400 || name === "InvalidResourceName")
    return ["INVALID_ARGUMENT", `Azure rejected ${s.operation} of ${what}: ${name}: ${detail}`, false];
  return ["UNEXPECTED", `Unexpected Azure error during ${s.operation} of ${what}: ${name}: ${detail}`, false];
}
