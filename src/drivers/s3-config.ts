/**
 * S3 client configuration the way AWS users already have it: the SDK's default credential chain
 * (env keys, profiles, SSO, instance roles), `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, `AWS_REGION`,
 * plus `storageOptions` passed through to the client like fsspec's `fs_kwargs`.
 */
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { intOption, SMALL_BODY_LIMIT, stringOption, withoutKeys } from "./cloud-common.js";
import { LAYER_OPTION_KEYS } from "./cloud-layers.js";
import { usesDirectPaths } from "./direct-paths.js";
import { announcingRetryStrategy, S3_SDK_RETRIES } from "./s3-retry-strategy.js";

/** Options of the S3 driver (the `storageOptions` of an `s3://` store). Unknown keys go to `S3Client`. */
export interface S3DriverOptions {
  /** Custom endpoint (MinIO, Ceph RGW, R2…). @default env AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, else AWS */
  endpoint?: string;
  /** Region. @default env AWS_REGION / AWS_DEFAULT_REGION, the profile's region, else "us-east-1" */
  region?: string;
  /** Named profile from ~/.aws/config. @default env AWS_PROFILE, else "default" */
  profile?: string;
  /** Static access key; with `secretAccessKey`. @default the SDK's credential chain */
  accessKeyId?: string;
  /** Static secret key. */
  secretAccessKey?: string;
  /** Session token for temporary credentials. */
  sessionToken?: string;
  /** Path-style URLs (`endpoint/bucket/key`). @default true with a custom endpoint, else false */
  forcePathStyle?: boolean;
  /**
   * Retry a request in the bucket's own region when S3 answers 301 (a bucket outside the configured
   * region); an `S3ClientConfig` field. @default true without a custom endpoint, else the SDK's (false)
   */
  followRegionRedirects?: boolean;
  /** Size of one multipart part in bytes; bodies up to this size use one PutObject. @default 16 MiB */
  partSize?: number;
  /** Parts uploaded in parallel per file (memory held per file ≈ partSize × (queueSize + 1)). @default 4 */
  queueSize?: number;
  /**
   * Objects bigger than this are copied inside the store as a multipart upload of UploadPartCopy
   * ranges, smaller ones with one CopyObject (S3 allows at most 5 GiB per CopyObject). In bytes.
   * @default 5368709120 (5 GiB)
   */
  multipartCopyThreshold?: number;
  /**
   * Send GetObject and small PutObject requests ourselves (src/drivers/s3-direct-client.ts, signed by
   * s3-sigv4.ts) instead of through the SDK's request stack. Tested against radosgw only, so on by
   * default only on a custom endpoint (MinIO, Ceph RGW, R2…); `true` turns it on for AWS's own endpoints.
   * Any other `S3ClientConfig` field in `storageOptions` keeps the SDK's path.
   * @default true on a custom endpoint, false on AWS (*.amazonaws.com)
   */
  directRequests?: boolean;
  /** Any other `S3ClientConfig` field (maxAttempts, requestHandler…). */
  [clientOption: string]: unknown;
}

/** Most bytes one CopyObject may copy on S3 (5 GiB). */
export const S3_MAX_COPY_BYTES = 5 * 1024 * 1024 * 1024;

/** Multipart part size: radosgw and AWS are fastest around 16 MiB (FINDINGS §1). */
export const DEFAULT_S3_PART_SIZE = 16 * 1024 * 1024;
/** Parts in flight per file. */
export const DEFAULT_S3_QUEUE_SIZE = 4;

const OWN_KEYS = [
  "endpoint",
  "region",
  "profile",
  "accessKeyId",
  "secretAccessKey",
  "sessionToken",
  "forcePathStyle",
  "partSize",
  "queueSize",
  "multipartCopyThreshold",
  "directRequests",
  ...LAYER_OPTION_KEYS,
];

/** The resolved configuration of one S3 driver. */
export interface ResolvedS3Config {
  client: S3ClientConfig;
  endpoint: string | undefined;
  partSize: number;
  queueSize: number;
  /** Objects above this size are copied in parts (UploadPartCopy). */
  multipartCopyThreshold: number;
  /** Most bytes one write holds: a small body read whole, or `queueSize` parts in flight plus the one filling. */
  writeBufferBytes: number;
  /**
   * Reads and small writes may skip the SDK (s3-direct-client.ts): `directRequests` (by default on a
   * custom endpoint only, direct-paths.ts), and no client options of the SDK's in `storageOptions`.
   */
  directRequests: boolean;
}

/**
 * Sockets of the SDK's HTTP agent, for the manager's requests in flight: 64 small files and 16 large
 * ones of `queueSize` (4) parts each. The SDK's default is 50, past which requests wait for a socket.
 */
const SDK_MAX_SOCKETS = 128;

/** Builds the `S3Client` config from `storageOptions` and the environment. */
export function resolveS3Config(options: S3DriverOptions = {}): ResolvedS3Config {
  const endpoint =
    stringOption(options, "endpoint") ??
    nonEmpty(process.env.AWS_ENDPOINT_URL_S3) ??
    nonEmpty(process.env.AWS_ENDPOINT_URL);
  const region =
    stringOption(options, "region") ??
    nonEmpty(process.env.AWS_REGION) ??
    nonEmpty(process.env.AWS_DEFAULT_REGION);
  const accessKeyId = stringOption(options, "accessKeyId");
  const secretAccessKey = stringOption(options, "secretAccessKey");
  const sessionToken = stringOption(options, "sessionToken");
  const profile = stringOption(options, "profile");
  const clientOptions = withoutKeys(options, OWN_KEYS);
  const client: S3ClientConfig = {
    // On AWS a bucket may live in another region than the configured one: follow S3's 301 to it.
    // Only the AWS endpoint is sure to accept aws-chunked trailers; radosgw answers 411 (FINDINGS §1).
    ...(endpoint === undefined
      ? { followRegionRedirects: true }
      : {
          endpoint,
          requestChecksumCalculation: "WHEN_REQUIRED",
          responseChecksumValidation: "WHEN_REQUIRED",
        }),
    forcePathStyle:
      typeof options.forcePathStyle === "boolean" ? options.forcePathStyle : endpoint !== undefined,
    ...(region === undefined ? {} : { region }),
    ...(profile === undefined ? {} : { profile }),
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
    requestHandler: {
      httpAgent: { maxSockets: SDK_MAX_SOCKETS },
      httpsAgent: { maxSockets: SDK_MAX_SOCKETS },
    },
    ...clientOptions,
  };
  if (client.region === undefined && endpoint !== undefined) client.region = "us-east-1";
  // The SDK's own retries are announced too, unless the caller chose the SDK's retry settings.
  const onRetry = options.onRetry;
  if (
    typeof onRetry === "function" &&
    client.maxAttempts === undefined &&
    client.retryStrategy === undefined
  ) {
    // `retries: 0` (the CLI's --retries 0) means no retry at all, inside the SDK too.
    const given = options.retries;
    const retries =
      typeof given === "number" && given >= 0 ? Math.min(S3_SDK_RETRIES, given) : S3_SDK_RETRIES;
    const strategy = announcingRetryStrategy(
      onRetry as Parameters<typeof announcingRetryStrategy>[0],
      retries,
    );
    client.retryStrategy = strategy as unknown as NonNullable<S3ClientConfig["retryStrategy"]>;
  }
  const partSize = Math.max(intOption(options, "partSize", DEFAULT_S3_PART_SIZE), 5 * 1024 * 1024);
  const queueSize = intOption(options, "queueSize", DEFAULT_S3_QUEUE_SIZE);
  // lib-storage's Upload keeps `queueSize` parts uploading while it fills the next one.
  const writeBufferBytes = Math.max(SMALL_BODY_LIMIT, partSize * (queueSize + 1));
  // `$`-keys are the SDK's own metadata: it tags a credentials object it was given with `$source`,
  // which comes along when the same object is spread into `storageOptions`.
  const sdkOptions = Object.keys(clientOptions).filter((name) => !name.startsWith("$"));
  const directRequests =
    usesDirectPaths("s3", endpoint, options.directRequests, "directRequests") && sdkOptions.length === 0;
  const multipartCopyThreshold = Math.min(
    Math.max(intOption(options, "multipartCopyThreshold", S3_MAX_COPY_BYTES), 5 * 1024 * 1024),
    S3_MAX_COPY_BYTES,
  );
  return { client, endpoint, partSize, queueSize, multipartCopyThreshold, writeBufferBytes, directRequests };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
