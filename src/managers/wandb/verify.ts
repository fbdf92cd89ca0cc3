/**
 * Re-reads every stored file of a version and compares it with the manifest (size and base64 md5),
 * hashing the bytes as they stream in without writing them anywhere. Mismatches are data, not errors.
 */

import { compareCodePoints } from "../../core/compare.js";
import { mapConcurrent } from "../../core/map-concurrent.js";
import type { ProgressListener, VerifyResult, VersionSelector } from "../../core/types.js";
import { isArtifactError } from "../../errors.js";
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
  const urls = await fetchFileUrls(session, version.id, signal);
  const entries = Object.entries(manifest.contents);
  const result: VerifyResult = { ok: true, missing: [], extra: [], changed: [] };
  result.extra = [...urls.keys()].filter((path) => !(path in manifest.contents));
  const totalBytes = entries.reduce((sum, [, e]) => sum + (e.size ?? 0), 0);
  onProgress?.({ type: "start", operation: "verify", files: entries.length, totalBytes });
  let bytes = 0;
  await mapConcurrent(
    entries,
    async ([path, entry]) => {
      const url = urls.get(path);
      if (url === undefined) return void result.missing.push(path);
      try {
        const got = await withRetry(() => getToFile(url, undefined, { signal, maxBytes: entry.size }), {
          ...session.settings.retry,
          signal,
        });
        bytes += got.size;
        if (got.md5 !== entry.digest || (entry.size !== undefined && got.size !== entry.size)) {
          result.changed.push(path);
        }
      } catch (error) {
        // more bytes than the manifest's size: changed (the read stopped there)
        if (isArtifactError(error, "CHECKSUM_MISMATCH")) result.changed.push(path);
        else if (isArtifactError(error, "NOT_FOUND") || isArtifactError(error, "PERMISSION_DENIED")) {
          result.missing.push(path);
        } else throw error;
      }
      onProgress?.({ type: "file-done", path, size: entry.size ?? 0 });
    },
    { concurrency: session.settings.concurrency, signal },
  );
  for (const list of [result.missing, result.extra, result.changed]) list.sort(compareCodePoints);
  result.ok = result.missing.length + result.extra.length + result.changed.length === 0;
  onProgress?.({ type: "done", operation: "verify", files: entries.length, bytes });
  return result;
}
