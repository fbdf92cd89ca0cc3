/** `logFiles` on W&B: collect and hash the local files (streamed), then log them as one version. */

import { validateIfUnchanged } from "../../core/record.js";
import type { LogFilesOptions } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { collectLocalFiles, digestFile, type LocalFile } from "./local-files.js";
import { chooseDigestAlgorithm, type RequestedDigestAlgorithm } from "./log-algorithm.js";
import { collectReferenceEntries, type ReferenceSpec } from "./log-references.js";
import { checkMetadata, type LoggedVersion, logVersion } from "./log-version.js";
import { hashFileAndParts } from "./multipart.js";
import type { WandbSession } from "./session.js";

/** Options of `WandbArtifactManager.logFiles`: every backend's, plus references logged beside the files. */
export interface WandbLogFilesOptions extends LogFilesOptions {
  /** References recorded in the same version (as `logReferences` records them; the SDK's `add_reference`). */
  references?: ReadonlyArray<string | ReferenceSpec>;
  /**
   * Digest of the files: `"XXH128"` (xxh3-128, SDK >= 0.29; faster to hash) or `"MD5"`, the SDK's
   * `digest_algorithm`. XXH128 is used only where the server offers it (`ARTIFACT_DIGEST_ALGORITHM`,
   * the entity's `xxhashDigestsEnabled`) and never into an MD5 sequence, as wandb-core decides; MD5
   * otherwise. @default the sequence's algorithm when it uses XXH128 (and the server allows it), else "MD5"
   */
  digestAlgorithm?: RequestedDigestAlgorithm;
}

/** A `logFiles` call resolved to a type and name. */
export interface LogFilesRequest extends WandbLogFilesOptions {
  type: string;
  name: string;
  localPath: string;
}

/** Logs the files and returns the version index the server assigned. */
export async function logFilesToWandb(
  session: WandbSession,
  request: LogFilesRequest,
): Promise<LoggedVersion> {
  const { signal, onProgress } = request;
  checkMetadata(request.metadata);
  validateIfUnchanged(request.ifUnchanged);
  checkDigestAlgorithm(request.digestAlgorithm);
  const entity = await session.entity(signal); // a missing or bad key fails here, before any file is read
  const target = { entity, type: request.type, name: request.name };
  const algorithm = await chooseDigestAlgorithm(session, target, request.digestAlgorithm, signal);
  const listed = await collectLocalFiles(request.localPath, request.artifactPath, request);
  const xxh128 = algorithm === "MANIFEST_XXH128";
  const hash = (file: (typeof listed)[number]) => hashLocalFile(session, file, signal, xxh128);
  const files: LocalFile[] = await mapConcurrent(listed, hash, {
    concurrency: session.settings.concurrency,
    signal,
  });
  const specs = (request.references ?? []).map((r) => (typeof r === "string" ? { uri: r } : r));
  const taken = new Set(files.map((f) => f.path));
  const references = specs.length === 0 ? [] : await collectReferenceEntries(session, specs, request, taken);
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  onProgress?.({ type: "start", operation: "upload", files: files.length, totalBytes });
  const logged = await logVersion(session, { ...request, files, references, digestAlgorithm: algorithm });
  onProgress?.({ type: "done", operation: "upload", files: files.length, bytes: totalBytes });
  return logged;
}

/**
 * The file's digest (md5, or xxh3-128 with its md5 beside it); for a multipart-sized file also its
 * part md5s, all from the same single read.
 */
async function hashLocalFile(
  session: WandbSession,
  file: Omit<LocalFile, "digest">,
  signal: AbortSignal | undefined,
  xxh128: boolean,
): Promise<LocalFile> {
  const multipart = file.size >= session.settings.multipartThreshold;
  const {
    md5,
    xxh128: xxh,
    ...parts
  } = multipart
    ? await hashFileAndParts(file, session.settings.multipartPartSize, signal, xxh128)
    : await digestFile(file.localPath, { xxh128, signal });
  if (xxh === undefined) return { ...file, digest: md5, ...parts };
  return { ...file, digest: xxh, md5, extra: { alg: "XXH128" }, ...parts };
}

function checkDigestAlgorithm(value: unknown): void {
  if (value === undefined || value === "MD5" || value === "XXH128") return;
  throw new ArtifactError(
    "INVALID_ARGUMENT",
    `Expected the \`digestAlgorithm\` option to be "MD5" or "XXH128", got \`${String(value)}\``,
  );
}
