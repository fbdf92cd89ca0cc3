/**
 * Get Blob with a zero-copy GET (zero-copy-get.ts) instead of the SDK's HTTP client. The request is the
 * SDK's own: its pipeline builds and signs it (shared key, SAS or bearer token, x-ms-version, range) and
 * hands it to an `httpClient` of ours that keeps it and sends nothing; the bytes then come over a socket
 * that reads them straight into the download's buffers. On azurite a 1 GiB download took a third less
 * CPU this way (bench/README.md). The SDK path stays where this one would lose something: a proxy (in the
 * environment, or `proxyOptions`) or an `httpClient` of the user's.
 * https://learn.microsoft.com/rest/api/storageservices/get-blob
 */
import type { Readable } from "node:stream";
import type { BlobServiceClient, ContainerClient, StoragePipelineOptions } from "@azure/storage-blob";
import type { ReadOptions } from "../storage/driver.js";
import { type DirectGetter, directGetter } from "./direct-getter.js";
import { proxyConfigured } from "./http-requester.js";

type AzureSdk = typeof import("@azure/storage-blob");

/** What the pipeline hands its `httpClient`: a signed request (core-http-compat's WebResourceLike). */
interface SignedRequest {
  url: string;
  method: string;
  headers: { rawHeaders(): Record<string, string> };
}

/** Thrown by the capturing `httpClient` to stop the pipeline once the request is signed. */
class SignedRequestKept extends Error {
  override readonly name = "SignedRequestKept";

  constructor(readonly request: SignedRequest) {
    super("signed request kept for a direct read");
  }
}

/** The error of a non-2xx answer, in the shape of the SDK's RestError that mapAzureError reads. */
export interface AzureStatusError extends Error {
  statusCode: number;
  code?: string;
  details: { errorCode?: string };
}

/** Reads blobs of one container with the SDK's signed requests and a zero-copy GET. */
export class AzureDirectReader {
  readonly #signing: ContainerClient;
  readonly #getter: DirectGetter;

  constructor(sdk: AzureSdk, service: BlobServiceClient, container: string, options: StoragePipelineOptions) {
    const httpClient = {
      sendRequest: (request: SignedRequest) => Promise.reject(new SignedRequestKept(request)),
    };
    const signingService = new sdk.BlobServiceClient(service.url, service.credential, {
      ...options,
      httpClient: httpClient as unknown as NonNullable<StoragePipelineOptions["httpClient"]>,
    });
    this.#signing = signingService.getContainerClient(container);
    this.#getter = directGetter(new URL(service.url).origin);
  }

  /** Whether the direct path may serve a client built with `options` (no proxy, no custom HTTP client). */
  static usable(options: StoragePipelineOptions): boolean {
    return options.httpClient === undefined && options.proxyOptions === undefined && !proxyConfigured();
  }

  /**
   * Opens the blob `name` (the full blob name), resolving once a 2xx head arrived. A non-2xx answer
   * rejects with an {@link AzureStatusError}; null when the answer is framed in a way the zero-copy GET
   * does not read (the caller then asks through the SDK).
   */
  async open(name: string, options: ReadOptions): Promise<Readable | null> {
    const { range, signal } = options;
    const request = await this.#signedRequest(name, range);
    const answer = await this.#getter.get(request.url, request.headers.rawHeaders(), signal);
    if (answer.kind === "body") return answer.body;
    if (answer.kind === "unsupported") return null;
    const errorCode = answer.headers["x-ms-error-code"];
    const message = /<Message>([\s\S]*?)<\/Message>/.exec(answer.text)?.[1]?.split("\n")[0];
    const error = new Error(message ?? `HTTP ${answer.status}${errorCode ? ` ${errorCode}` : ""}`);
    throw Object.assign(error, {
      statusCode: answer.status,
      ...(errorCode === undefined ? {} : { code: errorCode }),
      details: errorCode === undefined ? {} : { errorCode },
    }) as AzureStatusError;
  }

  close(): void {
    this.#getter.close();
  }

  /** The Get Blob request as the SDK's pipeline builds and signs it. */
  async #signedRequest(name: string, range: ReadOptions["range"]): Promise<SignedRequest> {
    try {
      await this.#signing.getBlobClient(name).download(range?.offset ?? 0, range?.length);
    } catch (error) {
      if (error instanceof SignedRequestKept) return error.request;
      throw error; // the pipeline itself failed (a credential that cannot give a token)
    }
    throw new Error("the Azure SDK's pipeline sent a request past the capturing httpClient");
  }
}
