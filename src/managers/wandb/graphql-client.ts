/**
 * The GraphQL transport: `POST {baseUrl}/graphql` with HTTP Basic auth `api:<key>` (PROTOCOL.md
 * section 1), per-attempt timeout, SDK-style retries and one mapping from HTTP/GraphQL errors to
 * `ArtifactError` codes (section 5).
 */
import { ArtifactError } from "../../errors.js";
import { DEFAULT_WANDB_MAX_GRAPHQL_RESPONSE_BYTES, tooBigError } from "./limits.js";
import { wandbFetch } from "./proxy.js";
import { errorForStatus, parseRetryAfter, type WandbRetryOptions, withRetry } from "./retry.js";

/** Options of {@link GraphqlClient}. */
export interface GraphqlClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Per-attempt timeout in ms. @default 30000 (wandb-core) */
  timeoutMs?: number;
  retry?: WandbRetryOptions;
  /** Sent as `User-Agent`. @default "artifact-manager" */
  userAgent?: string;
  /** Most bytes of one answer, counted as they arrive (issue 18.7). @default 67108864 (64 MiB) */
  maxResponseBytes?: number;
}

/** Options of one request. */
export interface GraphqlRequestOptions {
  signal?: AbortSignal | undefined;
  /** Retry HTTP 409 too (the SDK does so for `upsertBucket` only). @default false */
  retry409?: boolean;
}

interface GraphqlResponse<T> {
  data?: T | null;
  errors?: Array<{ message?: string; extensions?: { code?: string } } | string>;
  error?: string;
}

/** A small GraphQL client for the W&B API. */
export class GraphqlClient {
  readonly #options: GraphqlClientOptions;
  readonly #authorization: string;

  constructor(options: GraphqlClientOptions) {
    this.#options = options;
    this.#authorization = `Basic ${Buffer.from(`api:${options.apiKey}`).toString("base64")}`;
  }

  /** Runs `document` with `variables` and returns `data`; throws `ArtifactError` on any error. */
  async request<T>(
    document: string,
    variables: Record<string, unknown>,
    options: GraphqlRequestOptions = {},
  ): Promise<T> {
    const operationName = /^\s*(?:query|mutation)\s+(\w+)/.exec(document)?.[1] ?? "anonymous";
    const body = JSON.stringify({ query: document, variables, operationName });
    return withRetry(() => this.#attempt<T>(body, operationName, options), {
      ...this.#options.retry,
      signal: options.signal,
    });
  }

  async #attempt<T>(body: string, operation: string, options: GraphqlRequestOptions): Promise<T> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 30_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const context = { operation, key: this.#options.baseUrl };
    let response: Response;
    let payload: GraphqlResponse<T> | undefined;
    try {
      response = await wandbFetch(`${this.#options.baseUrl}/graphql`, {
        method: "POST",
        headers: {
          authorization: this.#authorization,
          "content-type": "application/json",
          accept: "application/json",
          "user-agent": this.#options.userAgent ?? "artifact-manager",
        },
        body,
        signal,
      });
      payload = parseJson<GraphqlResponse<T>>(await this.#readBody(response, operation));
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof ArtifactError) throw error;
      const timedOut = timeout.aborted;
      throw new ArtifactError(
        timedOut ? "TIMEOUT" : "UNAVAILABLE",
        `W&B ${operation} request to ${this.#options.baseUrl} ${timedOut ? "timed out" : "failed"}: ${(error as Error).message}`,
        { retryable: true, cause: error, context: { backend: "wandb", ...context } },
      );
    }
    if (!response.ok) throw this.#statusError(response, payload, operation, options);
    if (payload === undefined) {
      // a 200 whose body was cut or is not JSON: treat like a dropped connection
      throw new ArtifactError("UNAVAILABLE", `W&B ${operation} answered a body that is not JSON`, {
        retryable: true,
        context: { backend: "wandb", ...context },
      });
    }
    return this.#dataOf(payload, operation);
  }

  /**
   * POSTs a JSON body to `path` under the base URL (W&B's REST side, e.g. a run's file_stream), with the
   * key and the proxy of GraphQL requests, once (no retry); returns the HTTP status.
   */
  async postJson(path: string, body: unknown, signal?: AbortSignal): Promise<number> {
    const response = await wandbFetch(`${this.#options.baseUrl}${path}`, {
      method: "POST",
      headers: {
        authorization: this.#authorization,
        "content-type": "application/json",
        "user-agent": this.#options.userAgent ?? "artifact-manager",
      },
      body: JSON.stringify(body),
      signal: signal ?? AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
    });
    await response.body?.cancel();
    return response.status;
  }

  /** The answer's bytes, refused (and read no further) past `maxResponseBytes`. */
  async #readBody(response: Response, operation: string): Promise<Buffer> {
    const limit = this.#options.maxResponseBytes ?? DEFAULT_WANDB_MAX_GRAPHQL_RESPONSE_BYTES;
    const tooBig = () =>
      tooBigError(
        `the answer of W&B ${operation} (${this.#options.baseUrl})`,
        limit,
        "maxGraphqlResponseBytes",
        this.#options.baseUrl,
      );
    if (Number(response.headers.get("content-length") ?? 0) > limit) {
      await response.body?.cancel().catch(() => {});
      throw tooBig();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body?.getReader();
    if (reader === undefined) return Buffer.alloc(0);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return Buffer.concat(chunks, size);
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooBig();
      }
      chunks.push(value);
    }
  }

  #statusError(
    response: Response,
    payload: GraphqlResponse<unknown> | undefined,
    operation: string,
    options: GraphqlRequestOptions,
  ): ArtifactError {
    const detail = firstMessage(payload) ?? response.statusText;
    const hint =
      response.status === 401
        ? ": the API key was rejected; check WANDB_API_KEY / `apiKey` / ~/.netrc and WANDB_BASE_URL"
        : "";
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    return errorForStatus(
      response.status,
      `W&B ${operation} failed (HTTP ${response.status}: ${detail})${hint}`,
      {
        operation,
        key: this.#options.baseUrl,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        ...(options.retry409 === undefined ? {} : { retry409: options.retry409 }),
      },
    );
  }

  #dataOf<T>(payload: GraphqlResponse<T> | undefined, operation: string): T {
    const message = firstMessage(payload);
    if (message !== undefined || payload?.data == null) {
      const code = firstCode(payload);
      throw new ArtifactError(
        code === "PERMISSION_ERROR"
          ? "PERMISSION_DENIED"
          : code === "UNAUTHENTICATED"
            ? "UNAUTHENTICATED"
            : "UNEXPECTED",
        `W&B ${operation} failed: ${message ?? "the response has no data"}`,
        { context: { backend: "wandb", operation, key: this.#options.baseUrl } },
      );
    }
    return payload.data;
  }
}

/** The body as JSON, or undefined when it is not JSON (a cut answer, an HTML error page). */
function parseJson<T>(body: Buffer): T | undefined {
  try {
    return JSON.parse(body.toString("utf8")) as T;
  } catch {
    return undefined;
  }
}

function firstMessage(payload: GraphqlResponse<unknown> | undefined): string | undefined {
  const first = payload?.errors?.[0];
  if (typeof first === "string") return first;
  return first?.message ?? payload?.error;
}

function firstCode(payload: GraphqlResponse<unknown> | undefined): string | undefined {
  const first = payload?.errors?.[0];
  return typeof first === "object" ? first.extensions?.code : undefined;
}
