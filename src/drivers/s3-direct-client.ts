/**
 * GetObject and small PutObject straight over HTTP on S3-compatible servers, signed as the SDK signs
 * them (s3-sigv4.ts) with the SDK's own (memoized, refreshed) credentials, at the URL the SDK's endpoint
 * rules give for the bucket. The SDK's per-request stack (endpoint resolution, a cloned middleware
 * stack, serde, its HTTP handler) costs 1-1.9 ms of client CPU per small object here, against 0.3-0.6 ms
 * for this path: small-file downloads keep up with the server, and small uploads go 1.2-1.6x faster
 * (bench/README, 2026-11-27). GETs go on a zero-copy GET (zero-copy-get.ts): the body's bytes land
 * in the download's own buffers.
 *
 * Used only with a custom endpoint (MinIO, Ceph RGW, R2…) and no client options of the SDK's in
 * `storageOptions`. On AWS itself the SDK path stays: it follows a bucket's region redirect and
 * validates response checksums. Whatever the SDK's rules resolve to other than plain SigV4 for `s3`
 * (S3 Express, multi-region access points…) keeps the SDK path too. Multipart uploads, HEAD, listings
 * and deletes always go through the SDK.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */

import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ReadOptions } from "../storage/driver.js";
import { rangeHeader } from "./cloud-common.js";
import { type DirectGetter, directGetter } from "./direct-getter.js";
import { HttpRequester, readErrorBody } from "./http-requester.js";
import {
  EMPTY_PAYLOAD_SHA256,
  escapeUri,
  type SigV4Credentials,
  SigV4Signer,
  sha256Hex,
} from "./s3-sigv4.js";

type S3Sdk = typeof import("@aws-sdk/client-s3");

/** The key of the one GetObject the SDK serializes (never sends) to learn the bucket's URL. */
const PROBE_KEY = "artifact-manager-probe";

/** A request in the SDK's `HttpRequest` shape: what its serializer builds. */
interface SdkHttpRequest {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

/** The request the SDK's serializer built, and the auth scheme its endpoint rules chose. */
interface Serialized extends SdkHttpRequest {
  authScheme?: { name?: string; signingName?: string; signingRegion?: string };
}

/** The parts of the SDK's resolved client config this path uses. */
interface SigningConfig {
  /** The client's credential provider (memoized, refreshed before expiry by the SDK). */
  credentials: () => Promise<SigV4Credentials>;
  region: () => Promise<string>;
  systemClockOffset?: number;
}

/** Conditions and type of a small PutObject. */
export interface DirectPutOptions {
  contentType: string;
  /** `*`: create-only. */
  ifNoneMatch?: string;
  ifMatch?: string;
  signal?: AbortSignal | undefined;
}

/** The error of a non-2xx answer, in the shape the driver's error mapping reads from SDK errors. */
export interface S3StatusError extends Error {
  Code?: string;
  $metadata: { httpStatusCode: number };
}

/** Reads and small writes of one bucket's objects, with a keep-alive agent of its own. */
export class S3DirectClient {
  readonly #http: HttpRequester;
  readonly #getter: DirectGetter;
  readonly #signer = new SigV4Signer();

  /** `protocol://host[:port]` of the bucket's URL. */
  readonly origin: string;
  /** The bucket's path on the server, ending in `/` (`/bucket/` path-style, `/` virtual-hosted). */
  readonly bucketPath: string;

  private constructor(
    /** The probe GetObject the SDK serialized: where and how its requests go. */
    readonly probe: Serialized,
    readonly config: SigningConfig,
    /** Region and service of the signatures (the endpoint rules' auth scheme, else the client's region). */
    readonly scope: { region: string; service: string },
  ) {
    const port = probe.port === undefined ? "" : `:${probe.port}`;
    this.origin = `${probe.protocol}//${probe.hostname}${port}`;
    this.bucketPath = probe.path.slice(0, -PROBE_KEY.length);
    this.#http = new HttpRequester(probe.protocol === "https:");
    this.#getter = directGetter(this.origin);
  }

  /**
   * The client of `bucket`, or `null` when the SDK's endpoint rules call for anything but SigV4 on a
   * URL of the form `<bucket path><key>`. Asks the SDK to serialize one GetObject (not sent).
   */
  static async create(sdk: S3Sdk, client: S3Client, bucket: string): Promise<S3DirectClient | null> {
    const probe = await serializeGetObject(sdk, client, bucket);
    if (probe === null) return null;
    const { authScheme } = probe;
    if (authScheme?.name !== "sigv4" || authScheme.signingName !== "s3") return null;
    if (!probe.path.endsWith(`/${PROBE_KEY}`) || probe.headers.host === undefined) return null;
    const config = client.config as unknown as SigningConfig;
    if (typeof config.credentials !== "function" || typeof config.region !== "function") return null;
    const region = authScheme.signingRegion ?? (await config.region());
    return new S3DirectClient(probe, config, { region, service: authScheme.signingName });
  }

  /**
   * Opens `objectKey` (the full key) on a zero-copy GET, resolving once a 2xx status arrived; any other
   * status rejects. An answer the zero-copy GET does not frame (chunked, compressed) is asked for
   * again on Node's HTTP client.
   */
  async open(objectKey: string, options: ReadOptions): Promise<Readable> {
    const headers: Record<string, string> = {};
    const { range, signal } = options;
    if (range) headers.range = rangeHeader(range);
    const signed = await this.#sign("GET", objectKey, headers);
    const answer = await this.#getter.get(signed.url, signed.headers, signal);
    if (answer.kind === "body") return answer.body;
    if (answer.kind === "error") throw s3StatusError(answer.status, answer.text);
    const response = await this.#http.request("GET", signed.url, signed.headers, undefined, signal);
    if ((response.statusCode ?? 500) < 300) return response;
    throw await statusError(response);
  }

  /** Writes `body` whole to `objectKey` (the full key); resolves with the new object's etag. */
  async put(objectKey: string, body: Buffer, options: DirectPutOptions): Promise<string | undefined> {
    const headers: Record<string, string> = {
      "content-length": String(body.length),
      "content-type": options.contentType,
      ...(options.ifNoneMatch !== undefined ? { "if-none-match": options.ifNoneMatch } : {}),
      ...(options.ifMatch !== undefined ? { "if-match": options.ifMatch } : {}),
    };
    const signed = await this.#sign("PUT", objectKey, headers, body);
    const response = await this.#http.request("PUT", signed.url, signed.headers, body, options.signal);
    if ((response.statusCode ?? 500) >= 300) throw await statusError(response);
    response.resume();
    const etag = response.headers.etag;
    return typeof etag === "string" ? etag : undefined;
  }

  /** The URL and signed headers of a request for `objectKey`. */
  async #sign(
    method: string,
    objectKey: string,
    extra: Record<string, string>,
    body?: Buffer,
  ): Promise<{ url: string; headers: Record<string, string> }> {
    const { query: probeQuery, headers: probeHeaders } = this.probe;
    const path = this.bucketPath + encodeObjectKey(objectKey);
    // The SDK names the operation in `x-id` (GetObject in the probe).
    const query =
      "x-id" in probeQuery
        ? { ...probeQuery, "x-id": `${method === "PUT" ? "Put" : "Get"}Object` }
        : probeQuery;
    const headers = this.#signer.sign(
      { method, path, query, headers: { host: probeHeaders.host as string, ...extra } },
      {
        credentials: await this.config.credentials(),
        ...this.scope,
        payloadHash: body === undefined ? EMPTY_PAYLOAD_SHA256 : sha256Hex(body),
        date: new Date(Date.now() + (this.config.systemClockOffset ?? 0)),
      },
    );
    return { url: `${this.origin}${path}${queryString(query)}`, headers };
  }

  close(): void {
    this.#http.close();
    this.#getter.close();
  }
}

/** S3's error code and message (its XML error body), in the shape the driver's mapping reads. */
async function statusError(response: IncomingMessage): Promise<S3StatusError> {
  return s3StatusError(response.statusCode ?? 500, await readErrorBody(response));
}

function s3StatusError(status: number, body: string): S3StatusError {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] || code || `HTTP ${status}`;
  const error = new Error(message) as S3StatusError;
  error.name = code ?? `Http${status}`;
  if (code !== undefined) error.Code = code;
  error.$metadata = { httpStatusCode: status };
  return error;
}

/** Thrown by the capturing middleware to stop the probe GetObject before anything is sent. */
class SerializedRequest {
  constructor(readonly value: Serialized) {}
}

/** The SDK's own request for `bucket`/PROBE_KEY as its build step ends, or `null` if it failed. */
async function serializeGetObject(sdk: S3Sdk, client: S3Client, bucket: string): Promise<Serialized | null> {
  const command = new sdk.GetObjectCommand({ Bucket: bucket, Key: PROBE_KEY });
  command.middlewareStack.add(
    (_next, context) => async (args) => {
      const request = args.request as Serialized;
      const endpoint = (context as { endpointV2?: { properties?: { authSchemes?: unknown[] } } }).endpointV2;
      const authScheme = endpoint?.properties?.authSchemes?.[0] as Serialized["authScheme"];
      throw new SerializedRequest({ ...request, ...(authScheme ? { authScheme } : {}) });
    },
    { step: "build", priority: "low", name: "artifactManagerSerializedRequest" },
  );
  try {
    await client.send(command);
  } catch (error) {
    if (error instanceof SerializedRequest) return error.value;
  }
  return null;
}

/** A key as the SDK puts it in a path: each `/`-separated segment percent-encoded, `!'()*` too. */
export function encodeObjectKey(key: string): string {
  return key.split("/").map(escapeUri).join("/");
}

function queryString(query: Record<string, string | string[] | null>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      parts.push(
        one === null ? encodeURIComponent(name) : `${encodeURIComponent(name)}=${encodeURIComponent(one)}`,
      );
    }
  }
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}
