/**
 * Where the drivers' own protocol code is on by default. The direct paths (S3 reads and small writes
 * signed by s3-sigv4.ts, GCS media reads and uploads, Azure reads on a zero-copy GET) were tested only
 * against loopback servers (radosgw, azurite, our GCS fake), never against AWS, Google or Azure
 * themselves. So they are on by default only on a custom endpoint (an emulator, MinIO, Ceph RGW…), and
 * on a public cloud endpoint only when the caller turns them on (`directRequests` / `directReads` /
 * `directUploads: true`). `false` turns them off anywhere.
 */
import { ArtifactError } from "../errors.js";

/** A cloud with direct paths. */
export type DirectPathCloud = "s3" | "gcs" | "azure";

/** Host suffixes of each cloud's public endpoints (every region, sovereign clouds, private links). */
const PUBLIC_HOST_SUFFIXES: Record<DirectPathCloud, readonly string[]> = {
  // s3.amazonaws.com, s3.eu-west-1.amazonaws.com, bucket.s3…, China's amazonaws.com.cn, dual-stack api.aws
  s3: ["amazonaws.com", "amazonaws.com.cn", "api.aws"],
  // storage.googleapis.com, regional endpoints (…rep.googleapis.com), private/restricted.googleapis.com
  gcs: ["googleapis.com"],
  // ACCOUNT.blob.core.windows.net (and privatelink.…), the China and US Government clouds, Germany's
  // retired cloud, and the Azure DNS zone endpoints (ACCOUNT.zNN.blob.storage.azure.net)
  azure: [
    "core.windows.net",
    "core.chinacloudapi.cn",
    "core.usgovcloudapi.net",
    "core.cloudapi.de",
    "storage.azure.net",
  ],
};

/**
 * Whether `endpoint` is one of `cloud`'s public endpoints. `undefined` is the SDK's default endpoint,
 * which is public. An endpoint that does not parse as a URL counts as public (the SDK path stays).
 */
export function isPublicEndpoint(cloud: DirectPathCloud, endpoint: string | undefined): boolean {
  if (endpoint === undefined) return true;
  let host: string;
  try {
    host = new URL(endpoint.includes("://") ? endpoint : `http://${endpoint}`).hostname.toLowerCase();
  } catch {
    return true;
  }
  if (host === "") return true;
  host = host.replace(/\.$/, "");
  return PUBLIC_HOST_SUFFIXES[cloud].some((suffix) => host === suffix || host.endsWith(`.${suffix}`));
}

/**
 * Whether the direct paths named by the option `name` are on: `option` true or false decides; left
 * out, they are on only off the public endpoints. Anything but a boolean is an `INVALID_ARGUMENT`.
 */
export function usesDirectPaths(
  cloud: DirectPathCloud,
  endpoint: string | undefined,
  option: unknown,
  name = "directRequests",
): boolean {
  if (option === undefined) return !isPublicEndpoint(cloud, endpoint);
  if (typeof option === "boolean") return option;
  throw new ArtifactError(
    "INVALID_ARGUMENT",
    `Expected the \`${name}\` storage option to be true or false, got \`${String(option)}\``,
  );
}
