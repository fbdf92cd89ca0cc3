/**
 * Object downloads straight over HTTP (GetObject) on S3-compatible servers, signed by the SDK's own
 * signer with the SDK's own (memoized, refreshed) credentials, at the URL the SDK's endpoint rules
 * give for the bucket. The SDK's per-request stack (endpoint resolution, a cloned middleware stack,
 * serde, its HTTP handler) costs about 1 ms of client CPU per object here, against 0.4 ms for this
 * path, which lets a small-file download keep up with the server (bench/README, 2026-11-27).
 *
 * Used only with a custom endpoint (MinIO, Ceph RGW, R2…) and no client options of the SDK's in
 * `storageOptions`. On AWS itself the SDK path stays: it follows a bucket's region redirect and
 * validates response checksums. Whatever the SDK's rules resolve to other than plain SigV4 for `s3`
 * (S3 Express, multi-region access points…) keeps the SDK path too.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ReadOptions } from "../storage/driver.js";
import { HttpGetter, readErrorBody } from "./http-get.js";

type S3Sdk = typeof import("@aws-sdk/client-s3");

/** The key of the one GetObject the SDK serializes (never sends) to learn the bucket's URL. */
const PROBE_KEY = "artifact-manager-probe";

/** The request the SDK's serializer built, and the auth scheme its endpoint rules chose. */
interface Serialized {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  authScheme?: { name?: string; signingName?: string; signingRegion?: string };
}

/** The parts of the SDK's resolved client config this path uses. */
interface SigningConfig {
  signer: (authScheme?: unknown) => Promise<RequestSigner>;
  systemClockOffset?: number;
}

interface RequestSigner {
  sign(
    request: SignableRequest,
    options: { signingDate: Date; signingRegion?: string; signingService?: string },
  ): Promise<{ headers: Record<string, string> }>;
}

interface SignableRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

/** The error of a non-2xx answer, in the shape the driver's error mapping reads from SDK errors. */
export interface S3StatusError extends Error {
  Code?: string;
  $metadata: { httpStatusCode: number };
}

/** Downloads objects of one bucket with a keep-alive agent of its own. */
export class S3ObjectReader {
  readonly #http: HttpGetter;

  private constructor(
    readonly origin: string,
    /** The bucket's path on the server, ending in `/` (`/bucket/` path-style, `/` virtual-hosted). */
    readonly bucketPath: string,
    readonly query: Record<string, string | string[] | null>,
    readonly host: string,
    readonly authScheme: { signingName?: string; signingRegion?: string },
    readonly signer: RequestSigner,
    readonly config: SigningConfig,
    readonly request: Omit<Serialized, "path" | "query" | "headers" | "authScheme">,
  ) {
    this.#http = new HttpGetter(origin.startsWith("https:"));
  }

  /**
   * The reader of `bucket`, or `null` when the SDK's endpoint rules call for anything but SigV4 on a
   * URL of the form `<bucket path><key>`. Asks the SDK to serialize one GetObject (not sent).
   */
  static async create(sdk: S3Sdk, client: S3Client, bucket: string): Promise<S3ObjectReader | null> {
    const serialized = await serializeGetObject(sdk, client, bucket);
    if (serialized === null) return null;
    const { authScheme, path } = serialized;
    if (authScheme?.name !== "sigv4" || authScheme.signingName !== "s3") return null;
    if (!path.endsWith(`/${PROBE_KEY}`) || serialized.headers.host === undefined) return null;
    const config = client.config as unknown as SigningConfig;
    if (typeof config.signer !== "function") return null;
    const signer = await config.signer(authScheme);
    const port = serialized.port === undefined ? "" : `:${serialized.port}`;
    const origin = `${serialized.protocol}//${serialized.hostname}${port}`;
    const { protocol, hostname } = serialized;
    return new S3ObjectReader(
      origin,
      path.slice(0, -PROBE_KEY.length),
      serialized.query,
      serialized.headers.host,
      authScheme,
      signer,
      config,
      { protocol, hostname, ...(serialized.port === undefined ? {} : { port: serialized.port }) },
    );
  }

  /** Opens `objectKey` (the full key), resolving once a 2xx status arrived; any other status rejects. */
  async open(objectKey: string, options: ReadOptions): Promise<Readable> {
    const path = this.bucketPath + encodeObjectKey(objectKey);
    const headers: Record<string, string> = { host: this.host };
    const { range } = options;
    if (range) {
      const end = range.length === undefined ? "" : String(range.offset + range.length - 1);
      headers.range = `bytes=${range.offset}-${end}`;
    }
    const signed = await this.signer.sign(
      { method: "GET", ...this.request, path, query: this.query, headers },
      {
        signingDate: new Date(Date.now() + (this.config.systemClockOffset ?? 0)),
        ...(this.authScheme.signingRegion ? { signingRegion: this.authScheme.signingRegion } : {}),
        ...(this.authScheme.signingName ? { signingService: this.authScheme.signingName } : {}),
      },
    );
    const url = `${this.origin}${path}${queryString(this.query)}`;
    const response = await this.#http.get(url, signed.headers, options.signal);
    const status = response.statusCode ?? 500;
    if (status < 300) return response;
    const body = await readErrorBody(response);
    const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] || code || `HTTP ${status}`;
    const error = new Error(message) as S3StatusError;
    error.name = code ?? `Http${status}`;
    if (code !== undefined) error.Code = code;
    error.$metadata = { httpStatusCode: status };
    throw error;
  }

  close(): void {
    this.#http.close();
  }
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
  return key
    .split("/")
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join("/");
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
