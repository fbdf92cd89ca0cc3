/** `logFiles` on W&B: collect and hash the local files (streamed), then log them as one version. */

import { mapConcurrent } from "../../core/map-concurrent.js";
import type { LogFilesOptions } from "../../core/types.js";
import { collectLocalFiles, type LocalFile, md5File } from "./local-files.js";
import { collectReferenceEntries, type ReferenceSpec } from "./log-references.js";
import { checkMetadata, logVersion } from "./log-version.js";
import { hashFileAndParts } from "./multipart.js";
import type { WandbSession } from "./session.js";

/** Options of `WandbArtifactManager.logFiles`: every backend's, plus references logged beside the files. */
export interface WandbLogFilesOptions extends LogFilesOptions {
  /** References recorded in the same version (as `logReferences` records them; the SDK's `add_reference`). */
  references?: ReadonlyArray<string | ReferenceSpec>;
}

/** A `logFiles` call resolved to a type and name. */
export interface LogFilesRequest extends WandbLogFilesOptions {
  type: string;
  name: string;
  localPath: string;
}

/** Logs the files and returns the version index the server assigned. */
export async function logFilesToWandb(session: WandbSession, request: LogFilesRequest): Promise<number> {
  const { signal, onProgress } = request;
  checkMetadata(request.metadata);
  await session.entity(signal); // a missing or bad key fails here, before any file is read or sent
  const listed = await collectLocalFiles(request.localPath, request.artifactPath);
  const files: LocalFile[] = await mapConcurrent(listed, (file) => hashLocalFile(session, file, signal), {
    concurrency: session.settings.concurrency,
    signal,
  });
  const specs = (request.references ?? []).map((r) => (typeof r === "string" ? { uri: r } : r));
  const taken = new Set(files.map((f) => f.path));
  const references = specs.length === 0 ? [] : await collectReferenceEntries(session, specs, request, taken);
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  onProgress?.({ type: "start", operation: "upload", files: files.length, totalBytes });
  const index = await logVersion(session, { ...request, files, references });
  onProgress?.({ type: "done", operation: "upload", files: files.length, bytes: totalBytes });
  return index;
}

/** The file's digest; for a multipart-sized file also its part md5s, from the same single read. */
async function hashLocalFile(
  session: WandbSession,
  file: Omit<LocalFile, "digest">,
  signal: AbortSignal | undefined,
): Promise<LocalFile> {
  if (file.size >= session.settings.multipartThreshold) {
    return { ...file, ...(await hashFileAndParts(file, session.settings.multipartPartSize, signal)) };
  }
  return { ...file, digest: (await md5File(file.localPath, { signal })).base64 };
}
