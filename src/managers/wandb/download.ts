/**
 * Downloading a version (PROTOCOL.md 4.2-4.3): every manifest file is fetched from its pre-signed URL
 * into a staging folder (inside the target when it exists, else beside it), its base64 md5 checked
 * against the manifest, and only when all files are verified are they moved into the target with the
 * same rules as every backend (download-staging.ts): file/folder clashes are refused before anything
 * moves, so the target never holds a partial download.
 * With `paths`, only those manifest entries are fetched and checked. Reference entries (`ref`) are
 * fetched from where they point (references.ts) into the same staging folder.
 */
import { mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { cacheKeyOf } from "../../cache/cache-key.js";
import { type DownloadCache, fetchThroughCache } from "../../cache/download-cache.js";
import { pickDownloadFiles } from "../../core/download-paths.js";
import { validateArtifactPath } from "../../core/names.js";
import type { ProgressListener, VersionSelector } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { createStaging, publish } from "../../storage/download-staging.js";
import { checkDownloadTarget } from "../../storage/download-target.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { digestFor, type EntryDigestAlgorithm, entryAlgorithm } from "./digests.js";
import type { ManifestEntry } from "./manifest.js";
import { locateFollowed, ReferenceReader } from "./references.js";
import { fetchFileUrls, fetchManifest, type ResolvedVersion, resolveVersion } from "./resolve.js";
import { withRetry } from "./retry.js";
import type { WandbSession } from "./session.js";
import { getToFile, isExpiredUrlError } from "./transfer.js";

/** What to download and where. */
export interface DownloadVersionRequest {
  type: string;
  name: string;
  version?: VersionSelector | undefined;
  to: string;
  /** Only these files (validated, normalised paths); every file when undefined. */
  paths?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
  /** The download cache to take files from and fill (src/cache); none = straight from W&B. */
  cache?: DownloadCache | undefined;
}

/**
 * A manifest file to fetch: its manifest key, safe relative path, entry, URL (none for a reference)
 * and the algorithm of its digest (`extra.alg`).
 */
interface PlannedFile {
  key: string;
  path: string;
  entry: ManifestEntry;
  url: string | undefined;
  algorithm: EntryDigestAlgorithm;
}

/** Downloads, verifies and moves a version into `to`; returns the resolved version. */
export async function downloadVersion(session: WandbSession, request: DownloadVersionRequest) {
  const { signal, onProgress } = request;
  const target = resolve(request.to);
  await checkDownloadTarget(target); // a file as `to` fails before anything is read
  const version = await resolveVersion(session, request, signal);
  const files = await planDownload(session, version, request);
  const staging = await createStaging(target);
  const references = new ReferenceReader(session);
  try {
    const totalBytes = files.reduce((sum, f) => sum + (f.entry.size ?? 0), 0);
    onProgress?.({ type: "start", operation: "download", files: files.length, totalBytes });
    let bytes = 0;
    let fresh: Promise<Map<string, string>> | undefined;
    const refresh = () => {
      fresh ??= fetchFileUrls(session, version, signal);
      return fresh;
    };
    await mapConcurrent(
      files,
      async (file) => {
        const dest = join(staging, file.path);
        const { url } = file;
        const size =
          url === undefined
            ? await fetchReference(references, file, dest, request)
            : await fetchCached(session, { ...file, url, refresh }, dest, request);
        bytes += size; // not `bytes += await …`: that reads `bytes` before the await and loses updates
        onProgress?.({ type: "file-done", path: file.path, size: file.entry.size ?? 0 });
      },
      { concurrency: session.settings.concurrency, signal },
    );
    signal?.throwIfAborted(); // an abort after the last byte still leaves the target untouched
    await publish(staging, target);
    onProgress?.({ type: "done", operation: "download", files: files.length, bytes });
    return version;
  } finally {
    await references.close();
    await rm(staging, { recursive: true, force: true });
    await request.cache?.trim();
  }
}

/**
 * Pairs the manifest entries (only `request.paths` when given) with download URLs (references have
 * none: they are fetched from where they point); refuses unsafe paths and unsupported references.
 */
export async function planDownload(
  session: WandbSession,
  version: ResolvedVersion,
  request: Pick<DownloadVersionRequest, "type" | "name" | "paths" | "signal">,
): Promise<PlannedFile[]> {
  const { signal } = request;
  const manifest = await fetchManifest(session, version, signal);
  const all = Object.entries(manifest.contents).map(([rawPath, entry]) => ({
    rawPath,
    entry,
    path: validateArtifactPath(rawPath, "manifest path"),
  }));
  const subject = { name: request.name, collection: request.type, version: version.version };
  const picked = pickDownloadFiles(all, request.paths, (file) => file.path, subject);
  const urls = await fetchFileUrls(session, version, signal);
  return picked.map(({ rawPath, entry, path }) => {
    if (entry.ref !== undefined) {
      // UNSUPPORTED, or refused by `followReferences`, before any download
      locateFollowed(entry.ref, `'${path}' in ${version.version}`, session.settings.limits.followReferences);
      return { key: rawPath, path, entry, url: undefined, algorithm: "MD5" };
    }
    const algorithm = entryAlgorithm(entry, `'${path}' in ${version.version}`); // UNSUPPORTED first too
    const url = urls.get(rawPath);
    if (url === undefined) {
      throw new ArtifactError("NOT_FOUND", `W&B has no download URL for '${path}' of ${version.version}`);
    }
    return { key: rawPath, path, entry, url, algorithm };
  });
}

/** Fetches a reference entry from where it points, checked as W&B's SDK checks it (references.ts). */
async function fetchReference(
  references: ReferenceReader,
  file: PlannedFile,
  dest: string,
  request: DownloadVersionRequest,
): Promise<number> {
  await mkdir(dirname(dest), { recursive: true });
  const totalBytes = file.entry.size ?? 0;
  const entry = { ...file.entry, ref: file.entry.ref ?? "" };
  return await references.fetch(entry, dest, {
    signal: request.signal,
    onBytes: (bytes) => request.onProgress?.({ type: "file", path: file.path, bytes, totalBytes }),
    what: `'${file.path}' of ${request.name}`,
  });
}

/**
 * A stored file through the download cache, keyed by the entry's own digest (base64 md5, or xxh3-128
 * when `extra.alg` says XXH128): a hit is copied to `dest`, a miss is fetched and verified into the
 * cache first. Entries without a size are fetched uncached (a hit could not be checked).
 */
async function fetchCached(
  session: WandbSession,
  file: Parameters<typeof fetchVerified>[1],
  dest: string,
  request: DownloadVersionRequest,
): Promise<number> {
  await mkdir(dirname(dest), { recursive: true });
  const { size } = file.entry;
  const algorithm = file.entry.extra?.alg === "XXH128" ? "xxh128" : "md5";
  const key = size === undefined ? undefined : cacheKeyOf(algorithm, file.entry.digest);
  const fetch = (path: string) => fetchVerified(session, file, path, request);
  return fetchThroughCache(request.cache, key, { target: dest, size }, fetch, () => {
    request.onProgress?.({ type: "file", path: file.path, bytes: size ?? 0, totalBytes: size ?? 0 });
    return size ?? 0;
  });
}

async function fetchVerified(
  session: WandbSession,
  file: PlannedFile & { url: string; refresh: () => Promise<Map<string, string>> },
  dest: string,
  request: DownloadVersionRequest,
): Promise<number> {
  await mkdir(dirname(dest), { recursive: true });
  const totalBytes = file.entry.size ?? 0;
  const onBytes = (bytes: number) =>
    request.onProgress?.({ type: "file", path: file.path, bytes, totalBytes });
  const limit = {
    maxBytes: file.entry.size,
    what: `'${file.path}' of ${request.name}`,
    xxh128: file.algorithm === "XXH128",
  };
  const get = (url: string) =>
    withRetry(() => getToFile(url, dest, { signal: request.signal, onBytes, ...limit }), {
      ...session.settings.retry,
      signal: request.signal,
    });
  const got = await get(file.url).catch(async (error: unknown) => {
    // pre-signed URLs expire: 401/403 from storage mean "ask GraphQL for a new URL" (PROTOCOL.md 4.3)
    if (!isExpiredUrlError(error)) throw error;
    const url = (await file.refresh()).get(file.key);
    if (url === undefined) throw error;
    return get(url);
  });
  const digest = digestFor(got, file.algorithm);
  if (digest !== file.entry.digest || (file.entry.size !== undefined && got.size !== file.entry.size)) {
    const alg = file.algorithm.toLowerCase();
    throw new ArtifactError(
      "CHECKSUM_MISMATCH",
      `'${file.path}' of ${request.name} downloaded from W&B has ${alg} ${digest} and ${got.size} bytes; ` +
        `the manifest says ${file.entry.digest} and ${file.entry.size ?? "?"} bytes`,
      { context: { backend: "wandb", operation: "download", key: file.path } },
    );
  }
  return got.size;
}
