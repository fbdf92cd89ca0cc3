/**
 * Which references a download follows (issue 18.12): a manifest someone else wrote can name any URL,
 * so following one is a trust decision. `followReferences` lists the schemes to follow; `file` (any
 * local file, e.g. a secret) and `private-addresses` (internal services, the cloud metadata endpoint)
 * are off unless named. `http(s)` references are fetched here with every hop of a redirect checked
 * and every address their names resolve to checked at connect time (no DNS rebinding in between).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { ArtifactError } from "../../errors.js";
import type { ReferenceScheme } from "./limits.js";
import { errorForStatus } from "./retry.js";

/** The `followReferences` value a reference location needs. */
export function schemeOf(location: { backend: string; url?: string }): ReferenceScheme {
  switch (location.backend) {
    case "file":
      return "file";
    case "s3":
      return "s3";
    case "gcs":
      return "gs";
    case "azure":
      return "azure";
    case "artifact":
      return "wandb-artifact";
    default:
      return location.url?.toLowerCase().startsWith("https:") ? "https" : "http";
  }
}

/** `PERMISSION_DENIED` naming the option, unless `follow` has the scheme of `location`. */
export function checkFollowed(
  location: { backend: string; url?: string },
  ref: string,
  follow: ReadonlySet<ReferenceScheme>,
  what: string,
): void {
  const scheme = schemeOf(location);
  if (follow.has(scheme)) return;
  throw refused(
    `${what} is a reference to ${ref}; ${scheme} references are not followed unless the \`followReferences\` option names '${scheme}' (a trust decision about whoever wrote the manifest: see docs/limits.md)`,
    ref,
  );
}

function refused(message: string, ref: string): ArtifactError {
  return new ArtifactError("PERMISSION_DENIED", message, {
    context: { backend: "wandb", operation: "download", key: ref, option: "followReferences" },
  });
}

/**
 * Addresses that are not the public internet (IANA special-purpose registries), one list per family:
 * Node's BlockList matches IPv4 addresses against IPv6 rules through their mapped form.
 */
const NON_PUBLIC_V4 = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NON_PUBLIC_V4.addSubnet(net, prefix, "ipv4");
}
const NON_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ["::", 127], // unspecified and loopback
  ["::ffff:0:0", 96], // IPv4-mapped: refused whatever they map to
  ["64:ff9b::", 96],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  NON_PUBLIC_V6.addSubnet(net, prefix, "ipv6");
}

/** Whether `address` (v4 or v6) is a public internet address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NON_PUBLIC_V4.check(address, "ipv4");
  if (family === 6) return !NON_PUBLIC_V6.check(address, "ipv6");
  return false;
}

/** A DNS lookup for `http.request` that fails when a name resolves to a non-public address. */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, "", 4);
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad !== undefined || addresses.length === 0) {
      const message = `${hostname} resolves to ${bad?.address ?? "no address"}, not a public address`;
      return callback(Object.assign(new Error(message), { code: "ENOTPUBLIC" }), "", 4);
    }
    if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

/** Redirects followed for one reference, as `fetch` does. */
const MAX_REDIRECTS = 20;

/**
 * GETs an `http(s)` reference for a download, following redirects; every hop must have a scheme
 * `follow` allows and, unless it allows `private-addresses`, resolve only to public addresses.
 * A 2xx answer is returned with its body unread; 404 is `NOT_FOUND`, other statuses as storage's.
 */
export async function getReference(
  url: string,
  what: string,
  follow: ReadonlySet<ReferenceScheme>,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    const res = await getOnce(target, what, follow, signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location !== undefined && status !== 304) {
      res.resume();
      if (hop >= MAX_REDIRECTS) {
        throw new ArtifactError("UNEXPECTED", `GET ${url} (${what}): more than ${MAX_REDIRECTS} redirects`);
      }
      target = new URL(location, target);
      continue;
    }
    if (status >= 200 && status < 300) return res;
    res.resume();
    const message = `GET ${target.href} (${what}) failed with HTTP ${status}`;
    if (status === 404) throw new ArtifactError("NOT_FOUND", `${message}: it does not exist (any more)`);
    throw errorForStatus(status, message, { operation: "download", key: target.href });
  }
}

function getOnce(
  target: URL,
  what: string,
  follow: ReadonlySet<ReferenceScheme>,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  const scheme = target.protocol === "https:" ? "https" : target.protocol === "http:" ? "http" : undefined;
  if (scheme === undefined || !follow.has(scheme)) {
    const name = scheme ?? target.protocol.slice(0, -1);
    throw refused(
      `${what}: a redirect leads to ${target.href}; ${name} is not followed unless the \`followReferences\` option names it`,
      target.href,
    );
  }
  const anyAddress = follow.has("private-addresses");
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!anyAddress && isIP(host) !== 0 && !isPublicAddress(host)) throw privateError(target, what, host);
  const request = scheme === "https" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      { method: "GET", ...(anyAddress ? {} : { lookup: publicLookup }), ...(signal ? { signal } : {}) },
      resolve,
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (signal?.aborted) return reject(signal.reason);
      if (error.code === "ENOTPUBLIC") return reject(privateError(target, what, error.message));
      const message = `GET ${target.href} (${what}) failed: ${error.message}`;
      reject(new ArtifactError("UNAVAILABLE", message, { retryable: true, cause: error }));
    });
    req.end();
  });
}

function privateError(target: URL, what: string, detail: string): ArtifactError {
  return refused(
    `${what} is a reference to ${target.href} (${detail}): references to loopback, private and link-local addresses are not followed unless the \`followReferences\` option names 'private-addresses'`,
    target.href,
  );
}
