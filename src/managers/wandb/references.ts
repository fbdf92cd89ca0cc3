/**
 * Reference entries of W&B manifests (`ref`): files W&B does not store, fetched from where they live
 * and checked the way the W&B SDK's storage handlers check them: an S3 or Azure object by its ETag (not
 * its bytes: an S3 ETag is not always their md5, e.g. under SSE-KMS), a GCS object by the md5 of its
 * bytes, a local file (`file://`) by
 * md5, an `http(s)://` URL by the ETag its server sends (redirects followed). A reference logged
 * without checksums (its digest is the URI itself) is checked only by its size, when the entry has one. Buckets are read through
 * this library's own cloud drivers, configured as a store on them is (the environment, or
 * `referenceStorageOptions`). A `wandb-artifact://HEXID/PATH` reference (a file of another W&B artifact)
 * is fetched as that artifact's entry (itself perhaps a reference), checked by its md5.
 */
import { createReadStream } from "node:fs";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { fileURLToPath } from "node:url";
import { ArtifactError, isArtifactError } from "../../errors.js";
import { backendOfUrl, createDriver } from "../../storage/create-driver.js";
import type { StorageDriver } from "../../storage/driver.js";
import type { ReferenceScheme } from "./limits.js";
import type { ManifestEntry, WandbManifest } from "./manifest.js";
import { checkFollowed, getReference } from "./reference-policy.js";
import { fetchFileUrls, fetchManifestById } from "./resolve.js";
import { errorForStatus, type WandbRetryOptions, withRetry } from "./retry.js";
import type { WandbSession } from "./session.js";
import { getToFile, type SaveOptions, saveStream } from "./transfer.js";

/** Storage options of the buckets references point into, by backend (as `storageOptions` of a store). */
export type ReferenceStorageOptions = Partial<Record<"s3" | "gcs" | "azure", Record<string, unknown>>>;

/** Where a reference points: a bucket store and the object's key in it, or a local file. */
type ReferenceLocation =
  | { backend: "s3" | "gcs" | "azure"; store: string; key: string }
  | { backend: "file"; file: string }
  | { backend: "http"; url: string }
  | { backend: "artifact"; id: string; path: string };

/** How many `wandb-artifact://` references may lead to one another before the chain is refused. */
const MAX_ARTIFACT_HOPS = 8;

/** Reads the references of one download or verify, one driver per bucket, closed by {@link close}. */
export class ReferenceReader {
  readonly #drivers = new Map<string, Promise<StorageDriver>>();

  /** Manifests and file URLs of the artifacts `wandb-artifact://` references point into, by ID. */
  readonly #artifacts = new Map<string, Promise<{ manifest: WandbManifest; urls: Map<string, string> }>>();
  readonly #storageOptions: ReferenceStorageOptions;
  /** Retries of `http(s)://` and artifact references (bucket drivers have their own). */
  readonly #retry: WandbRetryOptions;
  /** The reference schemes this download follows (`followReferences`). */
  readonly #follow: ReadonlySet<ReferenceScheme>;

  constructor(readonly session: WandbSession) {
    this.#storageOptions = session.settings.referenceStorageOptions;
    this.#retry = session.settings.retry;
    this.#follow = session.settings.limits.followReferences;
  }

  /** Fetches `entry` (which has a `ref`) into `dest` (or only checks it), as `what`; returns its size. */
  async fetch(
    entry: ManifestEntry & { ref: string },
    dest: string | undefined,
    options: SaveOptions,
    hops = 0,
  ): Promise<number> {
    const location = locateFollowed(entry.ref, options.what, this.#follow);
    if (location.backend === "artifact")
      return await this.#fetchArtifactFile(entry, location, dest, options, hops);
    const checksummed = entry.digest !== entry.ref;
    // wandb-core writes `"size": 0` for a reference whose size it does not know (checksum=False, an
    // http answer without Content-Length): 0 on a reference is unknown, not a limit
    const size = entry.size === 0 ? undefined : entry.size;
    const save = { ...options, maxBytes: size, entry };
    let got: { md5: string; size: number };
    if (location.backend === "file") {
      const source = createReadStream(location.file);
      got = await saveStream(source, dest, save).catch((error: unknown) => {
        throw (error as NodeJS.ErrnoException).code === "ENOENT"
          ? new ArtifactError(
              "NOT_FOUND",
              `${options.what} is a reference to the local file ${location.file}, which does not exist on this machine`,
            )
          : error;
      });
      if (checksummed && got.md5 !== entry.digest) throw mismatch(entry, options.what, `md5 ${got.md5}`);
    } else if (location.backend === "http") {
      const signal = options.signal;
      const follow = this.#follow;
      got = await withRetry(() => fetchUrl(location.url, dest, save, follow), { ...this.#retry, signal });
    } else {
      if (location.key === "") {
        throw new ArtifactError(
          "UNSUPPORTED",
          `${options.what} is a reference to the whole bucket ${entry.ref} (logged without checksums): no file to download`,
        );
      }
      const driver = await this.#driver(location.backend, location.store);
      // The version W&B recorded (S3 with bucket versioning) is read where the driver can.
      const recorded = entry.extra?.versionID;
      const version =
        driver.capabilities.versionedReads && typeof recorded === "string" && recorded !== "null"
          ? recorded
          : undefined;
      const read = {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(version === undefined ? {} : { version }),
      };
      // An old SDK (< 0.17) recorded a GCS object's md5: such an entry is also checked against the bytes.
      let gcsMd5 = false;
      if (checksummed) {
        // S3 and Azure references carry the object's ETag, GCS ones its etag (the driver's
        // serviceEtag; its etag is the generation): a changed object has another one.
        const info = await driver.stat(location.key, read);
        if (info === null) throw missing(entry, options.what);
        const etag = location.backend === "gcs" ? (info.serviceEtag ?? "") : unquote(info.etag ?? "");
        gcsMd5 =
          location.backend === "gcs" &&
          etag !== entry.digest &&
          isBase64Md5(entry.digest) &&
          info.md5 === entry.digest;
        if (etag !== entry.digest && !gcsMd5) {
          throw mismatch(entry, options.what, `ETag ${etag}`, version !== undefined);
        }
      }
      const source = await driver.read(location.key, read).catch((error: unknown) => {
        throw isArtifactError(error, "NOT_FOUND") ? missing(entry, options.what) : error;
      });
      got = await saveStream(source, dest, save);
      if (checksummed && gcsMd5 && got.md5 !== entry.digest) {
        throw mismatch(entry, options.what, `md5 ${got.md5}`);
      }
    }
    if (size !== undefined && got.size !== size) {
      throw mismatch(entry, options.what, `${got.size} bytes (the manifest says ${size})`);
    }
    return got.size;
  }

  /** Closes the drivers opened for references. */
  async close(): Promise<void> {
    const drivers = await Promise.allSettled(this.#drivers.values());
    this.#drivers.clear();
    await Promise.allSettled(drivers.map((d) => (d.status === "fulfilled" ? d.value.close?.() : undefined)));
  }

  #driver(backend: "s3" | "gcs" | "azure", store: string): Promise<StorageDriver> {
    let driver = this.#drivers.get(store);
    if (driver === undefined) {
      driver = createDriver(store, this.#storageOptions[backend] ?? {});
      this.#drivers.set(store, driver);
    }
    return driver;
  }

  /** A `wandb-artifact://` reference: the entry `path` of artifact `id`, fetched as that artifact's file. */
  async #fetchArtifactFile(
    entry: ManifestEntry & { ref: string },
    location: { id: string; path: string },
    dest: string | undefined,
    options: SaveOptions,
    hops: number,
  ): Promise<number> {
    const what = options.what ?? "a file";
    if (hops >= MAX_ARTIFACT_HOPS) {
      throw new ArtifactError(
        "UNEXPECTED",
        `${what}: more than ${MAX_ARTIFACT_HOPS} wandb-artifact:// references in a row (${entry.ref})`,
      );
    }
    const { signal } = options;
    let artifact = this.#artifacts.get(location.id);
    if (artifact === undefined) {
      artifact = (async () => ({
        manifest: await fetchManifestById(this.session, location.id, `${what} (${entry.ref})`, signal),
        urls: await fetchFileUrls(this.session, location.id, signal),
      }))();
      this.#artifacts.set(location.id, artifact);
    }
    const { manifest, urls } = await artifact;
    const target = manifest.contents[location.path];
    if (target === undefined) {
      throw new ArtifactError(
        "NOT_FOUND",
        `${what} is a reference to ${entry.ref}, a file that W&B artifact ${location.id} does not have`,
      );
    }
    if (target.ref !== undefined)
      return await this.fetch({ ...target, ref: target.ref }, dest, options, hops + 1);
    const url = urls.get(location.path);
    if (url === undefined) throw missing(entry, what);
    const save = { ...options, maxBytes: target.size };
    const got = await withRetry(() => getToFile(url, dest, save), { ...this.#retry, signal });
    if (got.md5 !== target.digest || (target.size !== undefined && got.size !== target.size)) {
      throw mismatch(
        entry,
        what,
        `${got.size} bytes with md5 ${got.md5} where that artifact's manifest says ${target.digest}`,
      );
    }
    return got.size;
  }
}

/**
 * GETs an `http(s)://` reference (following redirects) into `dest`; its server's ETag, when it sends
 * one, must be the digest the manifest recorded (the SDK's HTTPHandler records the ETag, else the URL).
 */
async function fetchUrl(
  url: string,
  dest: string | undefined,
  save: SaveOptions & { entry: ManifestEntry & { ref: string } },
  follow: ReadonlySet<ReferenceScheme>,
): Promise<{ md5: string; size: number }> {
  const { entry } = save;
  // every redirect hop and resolved address checked against `followReferences` (reference-policy.ts)
  const res = await getReference(url, save.what ?? "a file", follow, save.signal);
  const etag = res.headers.etag;
  if (entry.digest !== entry.ref && etag !== undefined && unquote(etag) !== unquote(entry.digest)) {
    res.destroy();
    throw mismatch(entry, save.what, `ETag ${etag}`);
  }
  return await saveStream(res, dest, save);
}

/**
 * GETs `url` (redirects followed) for a reference of `what`: the answer, with a body, once it is 2xx;
 * 404 is `NOT_FOUND`, other statuses as W&B storage's, a network failure retryable `UNAVAILABLE`.
 */
export async function openUrl(
  url: string,
  what: string,
  signal: AbortSignal | undefined,
): Promise<Response & { body: WebReadableStream<Uint8Array> }> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow", ...(signal ? { signal } : {}) });
  } catch (cause) {
    if (signal?.aborted) throw signal.reason;
    const message = `GET ${url} (${what}) failed: ${(cause as Error).message}`;
    throw new ArtifactError("UNAVAILABLE", message, { retryable: true, cause });
  }
  if (res.ok && res.body !== null) return res as Response & { body: WebReadableStream<Uint8Array> };
  await res.body?.cancel();
  const message = `GET ${url} (${what}) failed with HTTP ${res.status}`;
  if (res.status === 404) throw new ArtifactError("NOT_FOUND", `${message}: it does not exist (any more)`);
  throw errorForStatus(res.status, message, { operation: "download", key: url });
}

/**
 * {@link locateReference}, refused with `PERMISSION_DENIED` naming `followReferences` when `follow`
 * does not have its scheme (issue 18.12): checked before any byte of a download is read.
 */
export function locateFollowed(
  ref: string,
  what: string | undefined,
  follow: ReadonlySet<ReferenceScheme>,
): ReferenceLocation {
  const location = locateReference(ref, what);
  checkFollowed(location, ref, follow, what ?? "a file");
  return location;
}

/** The bucket store and key (or local file, or URL) a reference URI names; `UNSUPPORTED` for other kinds. */
export function locateReference(ref: string, what = "a file"): ReferenceLocation {
  const url = URL.canParse(ref) ? new URL(ref) : undefined;
  const scheme = url?.protocol.slice(0, -1).toLowerCase();
  if (url !== undefined && scheme === "file") return { backend: "file", file: fileURLToPath(url) };
  // The key may be empty: a whole bucket (a reference to log, never an entry's).
  const bucket = /^(s3|gs):\/\/([^/]+)\/?(.*)$/i.exec(ref);
  if (bucket?.[1] !== undefined && bucket[2] !== undefined && bucket[3] !== undefined) {
    const backend = bucket[1].toLowerCase() === "s3" ? "s3" : "gcs";
    return { backend, store: `${bucket[1].toLowerCase()}://${bucket[2]}`, key: bucket[3] };
  }
  // Azure: https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH (W&B's AzureHandler).
  const azure = /^(https:\/\/[^/]+)\/([^/?#]+)\/([^?#]+)$/i.exec(ref);
  if (azure?.[1] !== undefined && azure[2] !== undefined && azure[3] !== undefined) {
    const store = `${azure[1]}/${azure[2]}`;
    if (isAzureStore(store)) return { backend: "azure", store, key: decoded(azure[3]) };
  }
  if (url !== undefined && (scheme === "http" || scheme === "https")) return { backend: "http", url: ref };
  // wandb-artifact://HEX/PATH: HEX is the artifact ID's base64-decoded bytes in hex (PROTOCOL.md 2.4).
  const artifact = /^wandb-artifact:\/\/([0-9a-f]+)\/(.+)$/i.exec(ref);
  if (artifact?.[1] !== undefined && artifact[2] !== undefined && artifact[1].length % 2 === 0) {
    return { backend: "artifact", id: Buffer.from(artifact[1], "hex").toString("base64"), path: artifact[2] };
  }
  throw new ArtifactError(
    "UNSUPPORTED",
    `${what} is a reference to ${ref}; references to s3://, gs://, Azure Blob, http(s)://, file:// and wandb-artifact://HEXID/PATH are downloaded, others not`,
  );
}

function isAzureStore(store: string): boolean {
  try {
    return backendOfUrl(store) === "azure";
  } catch {
    return false;
  }
}

/** A URL path's percent-escapes decoded; as it is when it has none that decode. */
function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** An ETag without its quotes (and weak marker): the SDK's digest of an S3 or Azure object. */
export function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/** `read`: the version W&B recorded was the one read (else a recorded version could not be read). */
function mismatch(
  entry: ManifestEntry & { ref: string },
  what = "a file",
  found: string,
  read = false,
): ArtifactError {
  const version = entry.extra?.versionID;
  const recorded = typeof version === "string" || typeof version === "number";
  const pinned =
    recorded && !read
      ? ` W&B recorded its version ${version}, which this store cannot read (only S3 versions are read).`
      : "";
  return new ArtifactError(
    "CHECKSUM_MISMATCH",
    `${what} is a reference to ${entry.ref}, which changed since it was logged: the manifest says ${entry.digest}, found ${found}.${pinned}`,
    { context: { backend: "wandb", operation: "download", key: entry.ref } },
  );
}

/** Whether a digest is a base64 md5 (24 characters, 16 bytes): GCS etags are shorter. */
function isBase64Md5(digest: string): boolean {
  return /^[A-Za-z0-9+/]{22}==$/.test(digest);
}

function missing(entry: ManifestEntry & { ref: string }, what = "a file"): ArtifactError {
  return new ArtifactError(
    "NOT_FOUND",
    `${what} is a reference to ${entry.ref}, which does not exist (any more)`,
    {
      context: { backend: "wandb", operation: "download", key: entry.ref },
    },
  );
}
