/**
 * Re-reads every stored file of a version and compares it with the manifest (size and base64 md5, or
 * xxh3-128 for entries tagged XXH128),
 * hashing the bytes as they stream in without writing them anywhere; reference entries are read where
 * they point and checked as a download checks them (references.ts). Mismatches are data, not errors.
 */

import type { ProgressListener, VerifyResult, VersionSelector } from "../../core/types.js";
import { ArtifactError, isArtifactError } from "../../errors.js";
import { compareCodePoints } from "../../util/compare.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { digestFor, entryAlgorithm } from "./digests.js";
import type { ManifestEntry } from "./manifest.js";
import { locateFollowed, ReferenceReader } from "./references.js";
import { fetchFileUrls, fetchManifest, resolveVersion } from "./resolve.js";
import { withRetry } from "./retry.js";
import type { WandbSession } from "./session.js";
import { getToFile } from "./transfer.js";

/** Which version to verify. */
export interface VerifyVersionRequest {
  type: string;
  name: string;
  version?: VersionSelector | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
}

/** Compares the stored bytes of a version with its manifest. */
export async function verifyVersion(
  session: WandbSession,
  request: VerifyVersionRequest,
): Promise<VerifyResult> {
  const { signal, onProgress } = request;
  const version = await resolveVersion(session, request, signal);
  const manifest = await fetchManifest(session, version, signal);
  const urls = await fetchFileUrls(session, version, signal);
  const entries = Object.entries(manifest.contents);
  for (const [path, entry] of entries) {
    const where = `'${path}' in ${version.version}`;
    if (entry.ref !== undefined)
      locateFollowed(entry.ref, where, session.settings.limits.followReferences); // UNSUPPORTED, refused first
    else entryAlgorithm(entry, where);
  }
  const result: VerifyResult = { ok: true, missing: [], extra: [], changed: [] };
  result.extra = [...urls.keys()].filter((path) => !(path in manifest.contents));
  const totalBytes = entries.reduce((sum, [, e]) => sum + (e.size ?? 0), 0);
  onProgress?.({ type: "start", operation: "verify", files: entries.length, totalBytes });
  let bytes = 0;
  const references = new ReferenceReader(session);
  /** Reads one entry: its size, or false when its bytes differ from the manifest. */
  const check = async (path: string, entry: ManifestEntry): Promise<number | false> => {
    const what = `'${path}' of ${request.name}`;
    if (entry.ref !== undefined)
      return await references.fetch({ ...entry, ref: entry.ref }, undefined, { signal, what });
    const url = urls.get(path);
    if (url === undefined) throw new ArtifactError("NOT_FOUND", `W&B has no download URL for ${what}`);
    const algorithm = entryAlgorithm(entry, what);
    const xxh128 = algorithm === "XXH128";
    const got = await withRetry(
      () => getToFile(url, undefined, { signal, maxBytes: entry.size, what, xxh128 }),
      { ...session.settings.retry, signal },
    );
    const same =
      digestFor(got, algorithm) === entry.digest && (entry.size === undefined || got.size === entry.size);
    return same ? got.size : false;
  };
  try {
    await mapConcurrent(
      entries,
      async ([path, entry]) => {
        try {
          const size = await check(path, entry);
          if (size === false) result.changed.push(path);
          else bytes += size;
        } catch (error) {
          // more bytes than the manifest's size (the read stopped there), a changed reference: changed
          if (isArtifactError(error, "CHECKSUM_MISMATCH")) result.changed.push(path);
          else if (isArtifactError(error, "NOT_FOUND") || isRefusedByStorage(error)) {
            result.missing.push(path);
          } else throw error;
        }
        onProgress?.({ type: "file-done", path, size: entry.size ?? 0 });
      },
      { concurrency: session.settings.concurrency, signal },
    );
  } finally {
    await references.close();
  }
  for (const list of [result.missing, result.extra, result.changed]) list.sort(compareCodePoints);
  result.ok = result.missing.length + result.extra.length + result.changed.length === 0;
  onProgress?.({ type: "done", operation: "verify", files: entries.length, bytes });
  return result;
}

/** Storage refused the read (a missing file there); not a reference `followReferences` refuses. */
function isRefusedByStorage(error: unknown): boolean {
  return isArtifactError(error, "PERMISSION_DENIED") && error.context.option !== "followReferences";
}
