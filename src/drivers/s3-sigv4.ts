/**
 * AWS Signature Version 4 in the `Authorization` header, as the AWS SDK's S3 client signs its requests
 * (@smithy/signature-v4 with `uriEscapePath: false` and `applyChecksum: true`): the path is signed as
 * sent, the payload's sha256 goes in `x-amz-content-sha256`, every header given is signed. The SDK's
 * signer recomputes an HMAC of the credentials on every request to find its cached signing key, and
 * copies the request and each string into typed arrays on the way: ~80 µs of CPU per small object
 * here; `aws4` (below) keeps its signing keys and takes ~20 µs.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */

import { createHash } from "node:crypto";
import aws4 from "aws4";

/** The sha256 of an empty payload (a GET's). */
export const EMPTY_PAYLOAD_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** Credentials as the SDK's providers give them. */
export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** A request to sign: `path` exactly as it goes on the wire (already percent-encoded). */
export interface SigV4Request {
  method: string;
  path: string;
  /** As in the SDK's `HttpRequest`: a null value is not signed (nor is it by the SDK). */
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

/** What a signature is made with. */
export interface SigV4Context {
  credentials: SigV4Credentials;
  region: string;
  service: string;
  /** Hex sha256 of the body ({@link EMPTY_PAYLOAD_SHA256} for none). */
  payloadHash: string;
  date: Date;
}

/**
 * Signs requests with `aws4` (which keeps the signing keys it derived, one per day, region, service and
 * secret). Measured against our own signer of the same requests: not slower (bench/README.md, "SigV4").
 */
export class SigV4Signer {
  /** The request's headers plus `x-amz-date`, `x-amz-content-sha256`, the session token and `authorization`. */
  sign(request: SigV4Request, context: SigV4Context): Record<string, string> {
    const { credentials, region, service, payloadHash } = context;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    headers["x-amz-date"] = context.date.toISOString().replace(/[-:]|\.\d{3}/g, "");
    headers["x-amz-content-sha256"] = payloadHash;
    if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
    const signed = aws4.sign(
      {
        method: request.method,
        path: `${request.path}${signableQuery(request.query)}`,
        host: headers.host,
        service,
        region,
        headers,
        // As the SDK does, every header given is signed (aws4 leaves `range` and a few others out by default).
        extraHeadersToInclude: Object.fromEntries(Object.keys(headers).map((name) => [name, true])),
      } as aws4.Request,
      { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    );
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers ?? {})) out[name.toLowerCase()] = String(value);
    return out;
  }
}

/**
 * The query as aws4 signs it. aws4 signs only the first value of a repeated S3 query name and gives a
 * valueless one an empty value, where the SDK signs every value and leaves null ones out: such queries
 * are refused rather than signed differently (the direct requests send only `x-id`).
 */
function signableQuery(query: SigV4Request["query"]): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== "string") {
      throw new Error(
        `SigV4: query parameter '${name}' has no single value; the direct S3 client signs only such`,
      );
    }
    parts.push(`${escapeUri(name)}=${escapeUri(value)}`);
  }
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

/** Hex sha256 of `data`. */
export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** RFC 3986 percent-encoding (`encodeURIComponent` leaves `!'()*` alone), as SigV4 wants it. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
