/**
 * The Azure SDK's own retries, made visible. The SDK's retry policy (storage-common's
 * `storageRetryPolicy`: 4 tries, waits of 0, 4 and 12 s) retries network errors, 500 and 503 inside
 * every call, silently; they stay (they replay a failed block of a streamed upload, which the store's
 * retry layer cannot), capped by the `retries` option, and a policy placed between the retry policy
 * and the transport sees each try's outcome and tells `onRetry` of each retry the SDK's rules will make,
 * before its wait.
 * https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/storage/storage-common/src/policies/StorageRetryPolicyV2.ts
 */
import type { BlobServiceClient, StorageRetryOptions } from "@azure/storage-blob";
import { announceRetry, type RetryListener } from "../storage/layers/retry-event.js";

/** Tries of one request by the SDK's retry policy (its default `maxTries`). */
export const AZURE_SDK_MAX_TRIES = 4;
const DEFAULT_RETRY_DELAY_MS = 4000;
const DEFAULT_MAX_RETRY_DELAY_MS = 120_000;
/** What the SDK's policy retries when an error's code, name or message contains it. */
const RETRIABLE_ERRORS = [
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOENT",
  "ENOTFOUND",
  "TIMEOUT",
  "EPIPE",
  "REQUEST_SEND_ERROR",
];

/**
 * The SDK's `retryOptions` for a driver: the caller's when given, else the SDK's with at most
 * `retries` + 1 tries (`retries: 0`, the CLI's `--retries 0`, makes no SDK retry either).
 */
export function azureSdkRetryOptions(
  given: StorageRetryOptions | undefined,
  retries: unknown,
): StorageRetryOptions | undefined {
  if (given !== undefined) return given;
  if (typeof retries !== "number" || !Number.isInteger(retries) || retries < 0) return undefined;
  return { maxTries: Math.min(AZURE_SDK_MAX_TRIES, retries + 1) };
}

/** The outcome of one try, as the SDK's retry policy sees it. */
export interface AzureTry {
  /** 1 for the first try of a request. */
  attempt: number;
  method: string;
  status?: number | undefined;
  /** The `x-ms-copy-source-error-code` of a failed answer. */
  copySourceError?: string | undefined;
  /** The error a try threw (a network error), when it did. */
  error?: { name?: string; message?: string; code?: unknown } | undefined;
}

/**
 * The SDK policy's decision on a try: the wait before the next try in ms, or null when it makes none.
 * Mirrors `shouldRetry` and `calculateDelay` of storage-common 12.x (primary host only).
 */
export function azureRetryDelay(options: StorageRetryOptions, outcome: AzureTry): number | null {
  const maxTries = options.maxTries ?? AZURE_SDK_MAX_TRIES;
  if (outcome.attempt >= maxTries) return null;
  // Only a RestError (a network error or an answer) is retried; anything else (an abort) is thrown on.
  if (outcome.error !== undefined && outcome.error.name !== "RestError") return null;
  if (!willRetry(outcome)) return null;
  const base = options.retryDelayInMs ?? DEFAULT_RETRY_DELAY_MS;
  const most = options.maxRetryDelayInMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  // StorageRetryPolicyType.FIXED is 1, EXPONENTIAL (the default) 0.
  if (options.retryPolicyType === 1) return base;
  return Math.min((2 ** (outcome.attempt - 1) - 1) * base, most);
}

function willRetry({ error, status, copySourceError }: AzureTry): boolean {
  if (error) {
    const name = String(error.name ?? "").toUpperCase();
    const message = String(error.message ?? "").toUpperCase();
    const code = error.code === undefined ? "" : String(error.code).toUpperCase();
    if (RETRIABLE_ERRORS.some((e) => name.includes(e) || message.includes(e) || code === e)) return true;
    if (error.code === "PARSE_ERROR" && String(error.message).startsWith('Error "Error: Unclosed root tag'))
      return true;
  }
  const statusCode = status ?? (error as { statusCode?: number } | undefined)?.statusCode ?? 0;
  if (statusCode === 503 || statusCode === 500) return true;
  return (
    status !== undefined &&
    status >= 400 &&
    (copySourceError === "InternalError" ||
      copySourceError === "OperationTimedOut" ||
      copySourceError === "ServerBusy")
  );
}

/** The parts of core-rest-pipeline the observer uses. */
interface PipelineRequest {
  method: string;
}
interface PipelineResponse {
  status: number;
  headers: { get(name: string): string | undefined };
}
interface CorePipeline {
  addPolicy(
    policy: {
      name: string;
      sendRequest(
        request: PipelineRequest,
        next: (r: PipelineRequest) => Promise<PipelineResponse>,
      ): Promise<PipelineResponse>;
    },
    options: { afterPhase: "Retry" },
  ): void;
}

/**
 * Adds to `service`'s pipeline (shared by every container and blob client made from it) a policy that
 * announces the SDK's retries to `onRetry`. Returns false when the pipeline is not where SDK 12.x keeps
 * it (then nothing is announced; the tests would say so).
 */
export function announceAzureRetries(
  service: BlobServiceClient,
  options: StorageRetryOptions,
  onRetry: RetryListener,
): boolean {
  const pipeline = (service as unknown as { storageClientContext?: { pipeline?: CorePipeline } })
    .storageClientContext?.pipeline;
  if (typeof pipeline?.addPolicy !== "function") return false;
  const tries = new WeakMap<PipelineRequest, number>();
  const max = Math.max(0, (options.maxTries ?? AZURE_SDK_MAX_TRIES) - 1);
  pipeline.addPolicy(
    {
      name: "artifactManagerRetryAnnouncer",
      async sendRequest(request, next) {
        // The retry policy sends the same request object on each of its tries.
        const attempt = (tries.get(request) ?? 0) + 1;
        tries.set(request, attempt);
        let response: PipelineResponse | undefined;
        try {
          response = await next(request);
        } catch (error) {
          const failure = error as AzureTry["error"];
          const delayMs = azureRetryDelay(options, { attempt, method: request.method, error: failure });
          if (delayMs !== null) announce(onRetry, describeError(failure), attempt, max, delayMs);
          throw error;
        }
        const outcome: AzureTry = {
          attempt,
          method: request.method,
          status: response.status,
          copySourceError: response.headers.get("x-ms-copy-source-error-code"),
        };
        const delayMs = response.status >= 400 ? azureRetryDelay(options, outcome) : null;
        if (delayMs !== null) {
          const code = response.headers.get("x-ms-error-code");
          announce(onRetry, `HTTP ${response.status}${code ? ` ${code}` : ""}`, attempt, max, delayMs);
        }
        return response;
      },
    },
    { afterPhase: "Retry" },
  );
  return true;
}

function announce(onRetry: RetryListener, reason: string, attempt: number, max: number, delayMs: number) {
  const error = Object.assign(new Error(reason), { context: { backend: "azure" } });
  announceRetry(onRetry, error, { attempt, max, delayMs });
}

function describeError(error: AzureTry["error"]): string {
  const code = typeof error?.code === "string" ? error.code : undefined;
  const message = error?.message ?? "request failed";
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
