/**
 * Step C + D of logging (PROTOCOL.md 2.4): ask `createArtifactFiles` in batches which files the server
 * needs, upload only those (bounded parallel, streamed, retried), multipart for big files.
 * Returns each path's birth artifact ID for the manifest.
 */

import { ByteBudget } from "../../core/byte-budget.js";
import type { ProgressListener } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { checkLocalFileUnchanged, type LocalFile } from "./local-files.js";
import { type UploadPart, uploadMultipart } from "./multipart.js";
import { CREATE_ARTIFACT_FILES } from "./queries.js";
import { withRetry } from "./retry.js";
import type { WandbSession } from "./session.js";
import { isExpiredUrlError, putFile } from "./transfer.js";

/** One node of the `createArtifactFiles` answer. */
export interface FileUploadNode {
  name: string;
  storagePath: string | null;
  uploadUrl: string | null;
  uploadHeaders: string[] | null;
  uploadMultipartUrls: {
    uploadID: string;
    uploadUrlParts: Array<{ partNumber: number; uploadUrl: string }>;
  } | null;
  artifact: { id: string } | null;
}

/** What the upload step needs. */
export interface UploadFilesOptions {
  artifactId: string;
  manifestId: string;
  files: readonly LocalFile[];
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
}

/** Uploads what the server asks for; returns path → birth artifact ID and the bytes sent. */
export async function uploadFiles(
  session: WandbSession,
  options: UploadFilesOptions,
): Promise<{ births: Map<string, string>; uploadedBytes: number }> {
  const births = new Map<string, string>();
  let uploadedBytes = 0;
  const budget = new ByteBudget(session.settings.maxUploadBytesInFlight);
  const { fileBatchSize, concurrency } = session.settings;
  for (let i = 0; i < options.files.length; i += fileBatchSize) {
    const batch = options.files.slice(i, i + fileBatchSize);
    const limits = { concurrency, signal: options.signal };
    const parts = batch.map((file) => file.parts); // hashed with the file digest (log-files.ts)
    const nodes = await createArtifactFiles(session, options, batch, parts);
    await mapConcurrent(
      batch,
      async (file, index) => {
        const node = nodes[index] as FileUploadNode;
        births.set(file.path, node.artifact?.id ?? options.artifactId);
        const sent = await uploadOne(session, { file, node, parts: parts[index], budget }, options);
        uploadedBytes += sent;
        options.onProgress?.({ type: "file-done", path: file.path, size: file.size });
      },
      limits,
    );
  }
  return { births, uploadedBytes };
}

async function createArtifactFiles(
  session: WandbSession,
  options: UploadFilesOptions,
  batch: readonly LocalFile[],
  parts: ReadonlyArray<UploadPart[] | undefined>,
): Promise<FileUploadNode[]> {
  const artifactFiles = batch.map((file, index) => ({
    artifactID: options.artifactId,
    artifactManifestID: options.manifestId,
    name: file.path,
    md5: file.md5 ?? file.digest,
    // an xxh3-128 digest is given beside the md5, as wandb-core does (server feature ARTIFACT_DIGEST_ALGORITHM)
    ...(file.md5 === undefined ? {} : { digest: file.digest }),
    uploadPartsInput: parts[index]?.map((p) => ({ partNumber: p.partNumber, hexMD5: p.hexMD5 })) ?? null,
  }));
  type Answer = { createArtifactFiles: { files: { edges: Array<{ node: FileUploadNode }> } } };
  const data = await session.client.request<Answer>(
    CREATE_ARTIFACT_FILES,
    { artifactFiles, storageLayout: "V2" },
    { signal: options.signal },
  );
  const nodes = data.createArtifactFiles.files.edges.map((edge) => edge.node);
  if (nodes.length !== batch.length) {
    throw new ArtifactError(
      "UNEXPECTED",
      `W&B createArtifactFiles answered ${nodes.length} files for ${batch.length} requested`,
    );
  }
  return nodes;
}

/** One file to send: its local file, the server's answer for it, its parts and the shared byte cap. */
interface UploadJob {
  file: LocalFile;
  node: FileUploadNode;
  parts: UploadPart[] | undefined;
  budget: ByteBudget;
}

async function uploadOne(
  session: WandbSession,
  job: UploadJob,
  options: UploadFilesOptions,
): Promise<number> {
  const { file, node, parts, budget } = job;
  const onBytes = (bytes: number) =>
    options.onProgress?.({ type: "file", path: file.path, bytes, totalBytes: file.size });
  if (node.uploadMultipartUrls && parts) {
    await uploadMultipart(session, { file, node, parts, budget, signal: options.signal, onBytes }).catch(
      (error: unknown) => rethrowUnlessChanged(file, error),
    );
    await checkLocalFileUnchanged(file);
    return file.size;
  }
  if (node.uploadUrl === null) return 0; // the server already holds these bytes (file-level dedup)
  const put = (target: FileUploadNode) =>
    withRetry(
      () =>
        budget.use(
          file.size,
          () =>
            putFile(target.uploadUrl as string, {
              body: { localPath: file.localPath },
              size: file.size,
              headers: parseUploadHeaders(target.uploadHeaders),
              signal: options.signal,
              onBytes,
            }),
          options.signal,
        ),
      { ...session.settings.retry, signal: options.signal },
    );
  try {
    await put(node);
  } catch (error) {
    // an expired pre-signed URL: ask createArtifactFiles again for this file, as wandb-core does
    if (!isExpiredUrlError(error)) await rethrowUnlessChanged(file, error);
    const [fresh] = await createArtifactFiles(session, options, [file], [undefined]);
    if (fresh?.uploadUrl) await put(fresh).catch((again: unknown) => rethrowUnlessChanged(file, again));
  }
  await checkLocalFileUnchanged(file);
  return file.size;
}

/** A failed upload of a file that changed meanwhile (the store's BadDigest) is reported as that CONFLICT. */
async function rethrowUnlessChanged(file: LocalFile, error: unknown): Promise<never> {
  await checkLocalFileUnchanged(file);
  throw error;
}

/** `["Name:Value", …]` → headers (split at the first `:`, value trimmed), sent verbatim. */
export function parseUploadHeaders(lines: readonly string[] | null | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines ?? []) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}
