/**
 * Object downloads straight over HTTP (JSON API `alt=media`), authorised by the SDK's own auth client.
 * The SDK's download stack (retry-request, teeny-request, node-fetch, duplexify and a `pipeline` per
 * file) costs about 1 ms of client CPU per object, which dominates small-file downloads; this path costs
 * a fraction of that, and its bytes land in the download's own buffers (zero-copy-get.ts). Retries,
 * timeouts and the idle watchdog come from the driver's layers as for every other read. The SDK path stays in use where this one would lose something: a proxy in the
 * environment (the SDK's HTTP stack honours it) and `downloadValidation` (the SDK checks crc32c).
 * https://cloud.google.com/storage/docs/json_api/v1/objects/get
 */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { Storage } from "@google-cloud/storage";
import type { ReadOptions } from "../storage/driver.js";
import { rangeHeader } from "./cloud-common.js";
import { type DirectGetter, directGetter } from "./direct-getter.js";
import { HttpRequester, readErrorBody } from "./http-requester.js";

/** The parts of the SDK's `Storage` (a `Service`) the direct paths read; not all are in its typings. */
export interface StorageService {
  baseUrl: string;
  customEndpoint?: boolean;
  useAuthWithCustomEndpoint?: boolean;
  authClient: { getRequestHeaders(url?: string): Promise<Record<string, string>> };
}

/** Downloads objects of one bucket with a keep-alive agent of its own. */
export class GcsMediaReader {
  readonly #service: StorageService;
  readonly #http: HttpRequester;
  readonly #getter: DirectGetter;

  constructor(storage: Storage) {
    this.#service = storage as unknown as StorageService;
    this.#http = new HttpRequester(this.#service.baseUrl.startsWith("https:"));
    this.#getter = directGetter(new URL(this.#service.baseUrl).origin);
  }

  /**
   * Opens `name` (the full object name) of `bucket`, resolving once a 2xx status arrived. Any other
   * status rejects with `{ code, message }`, the shape the driver's error mapping reads from SDK errors.
   */
  async open(bucket: string, name: string, options: ReadOptions): Promise<Readable> {
    const url = `${this.#service.baseUrl}/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}?alt=media`;
    const headers: Record<string, string> = {
      ...(await gcsAuthHeaders(this.#service, url)),
      "Cache-Control": "no-store",
    };
    const { range } = options;
    if (range) headers.Range = rangeHeader(range);
    const answer = await this.#getter.get(url, headers, options.signal);
    if (answer.kind === "body") return answer.body;
    if (answer.kind === "error") throw gcsStatusError(answer.status, answer.text);
    // Framed otherwise (a stored gzip object sent as it is, chunked): Node's HTTP client reads it.
    const response = await this.#http.get(url, headers, options.signal);
    const status = response.statusCode ?? 500;
    if (status >= 300) throw await statusError(response, status);
    // GCS sends stored gzip bytes as they are only when asked to (we never send Accept-Encoding), or
    // for objects marked `Cache-Control: no-transform`: then decompress as the SDK would.
    if (response.headers["content-encoding"] === "gzip" && !range) return response.pipe(createGunzip());
    return response;
  }

  close(): void {
    this.#http.close();
    this.#getter.close();
  }
}

/** The SDK's credentials for a request to `url`, as the SDK sends them. */
export async function gcsAuthHeaders(service: StorageService, url: string): Promise<Record<string, string>> {
  const { customEndpoint, useAuthWithCustomEndpoint, authClient } = service;
  // As the SDK does: a custom endpoint (an emulator) gets no credentials unless asked to.
  if (customEndpoint && !useAuthWithCustomEndpoint) return {};
  return { ...(await authClient.getRequestHeaders(url)) };
}

/** The error of a non-2xx answer, with GCS's JSON error message when the body has one. */
async function statusError(response: IncomingMessage, status: number): Promise<Error & { code: number }> {
  return gcsStatusError(status, await readErrorBody(response));
}

/** `{ code, message }` of a non-2xx answer, the shape the driver's error mapping reads from SDK errors. */
export function gcsStatusError(status: number, body: string): Error & { code: number } {
  let message = `HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } };
    if (parsed.error?.message) message = parsed.error.message;
  } catch {
    // not JSON: keep the status line
  }
  return Object.assign(new Error(message), { code: status });
}
