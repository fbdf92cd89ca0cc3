/**
 * Logging one version (PROTOCOL.md 2.4): createArtifact, reserve the manifest, createArtifactFiles +
 * uploads, manifest upload, commitArtifact, then read back the version index the server assigned.
 */
import { randomUUID } from "node:crypto";
import type { ProgressListener } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { type ArtifactDigestAlgorithm, artifactDigestWith } from "./digests.js";
import type { LocalFile } from "./local-files.js";
import type { ReferenceEntry } from "./log-references.js";
import { buildManifest, serializeManifest } from "./manifest.js";
import {
  ARTIFACT_BY_ID,
  COLLECTION_TYPE,
  COMMIT_ARTIFACT,
  CREATE_ARTIFACT,
  CREATE_ARTIFACT_MANIFEST,
} from "./queries.js";
import { withRetry } from "./retry.js";
import type { WandbSession } from "./session.js";
import { putFile } from "./transfer.js";
import { parseUploadHeaders, uploadFiles } from "./upload.js";

/** What to log. */
export interface LogVersionRequest {
  /** W&B artifact type (our collection). */
  type: string;
  /** W&B collection name (our artifact name). */
  name: string;
  files: LocalFile[];
  /** Reference entries (`ref`): recorded in the manifest, nothing uploaded (log-references.ts). */
  references?: ReferenceEntry[];
  description?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  /**
   * Identical content (the same artifact digest as the latest version) returns that version instead of
   * a new one (`"reuse"`, the SDK's `enableDigestDeduplication: true`). @default the manager's
   * `enableDigestDeduplication` (true)
   */
  ifUnchanged?: "reuse" | "new-version" | undefined;
  /** The artifact's digest algorithm (its files are hashed with it, log-algorithm.ts). @default "MANIFEST_MD5" */
  digestAlgorithm?: ArtifactDigestAlgorithm | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
}

type CreatedArtifact = {
  id: string;
  state: "PENDING" | "COMMITTED" | "DELETED";
  versionIndex: number | null;
  artifactSequence: { latestArtifact: { id: string } | null };
};

/** The version a log made, or the latest one it found identical (`reused`). */
export interface LoggedVersion {
  index: number;
  reused: boolean;
}

/** Logs the files as the next version and returns its index. */
export async function logVersion(session: WandbSession, request: LogVersionRequest): Promise<LoggedVersion> {
  const { signal } = request;
  const entity = await session.entity(signal);
  await checkCollectionType(session, entity, request);
  const runName = await session.runName(signal);
  const scope = { entityName: entity, projectName: session.project, runName };
  const created = await createArtifact(session, scope, request);
  if (created.state === "COMMITTED") {
    return { index: await versionIndexOf(session, created.id, signal), reused: true }; // digest dedup
  }
  if (created.state !== "PENDING" && created.state !== "DELETED") {
    throw new ArtifactError("UNEXPECTED", `W&B createArtifact returned state ${created.state}`);
  }
  const manifestInput: ManifestInput = {
    ...scope,
    artifactID: created.id,
    baseArtifactID: created.artifactSequence.latestArtifact?.id ?? null,
    name: "wandb_manifest.json",
    manifestType: "FULL",
  };
  const reserved = await createManifest(
    session,
    { ...manifestInput, digest: "", includeUpload: false },
    signal,
  );
  const { births } = await uploadFiles(session, {
    artifactId: created.id,
    manifestId: reserved.id,
    files: request.files,
    signal,
    onProgress: request.onProgress,
  });
  const manifest = buildManifest([
    ...request.files.map((f) => ({ ...f, birthArtifactID: births.get(f.path) ?? created.id })),
    ...(request.references ?? []),
  ]);
  await uploadManifest(session, manifestInput, serializeManifest(manifest), signal);
  await session.client.request(COMMIT_ARTIFACT, { artifactID: created.id }, { signal });
  return { index: await versionIndexOf(session, created.id, signal), reused: false };
}

/** The variables both `createArtifactManifest` calls share. */
type ManifestInput = {
  entityName: string;
  projectName: string;
  runName: string;
  artifactID: string;
  baseArtifactID: string | null;
  name: string;
  manifestType: "FULL";
};
type ManifestAnswer = {
  createArtifactManifest: {
    artifactManifest: { id: string; file: { uploadUrl?: string | null; uploadHeaders?: string[] | null } };
  };
};

/** Steps B and F: `createArtifactManifest` (reserve, then again with the digest for an upload URL). */
async function createManifest(
  session: WandbSession,
  variables: ManifestInput & { digest: string; includeUpload: boolean },
  signal: AbortSignal | undefined,
) {
  const data = await session.client.request<ManifestAnswer>(CREATE_ARTIFACT_MANIFEST, variables, { signal });
  return data.createArtifactManifest.artifactManifest;
}

/** Steps F and G: get the manifest's upload URL for its digest and PUT the exact bytes. */
async function uploadManifest(
  session: WandbSession,
  input: ManifestInput,
  manifest: { bytes: Buffer; digest: string },
  signal: AbortSignal | undefined,
): Promise<void> {
  const { bytes, digest } = manifest;
  const { file } = await createManifest(session, { ...input, digest, includeUpload: true }, signal);
  const url = file.uploadUrl;
  if (!url) throw new ArtifactError("UNEXPECTED", "W&B gave no upload URL for the manifest");
  const headers = parseUploadHeaders(file.uploadHeaders);
  await withRetry(() => putFile(url, { body: bytes, size: bytes.length, headers, signal }), {
    ...session.settings.retry,
    signal,
  });
}

async function createArtifact(
  session: WandbSession,
  scope: { entityName: string; projectName: string; runName: string },
  request: LogVersionRequest,
): Promise<CreatedArtifact> {
  const digestAlgorithm = request.digestAlgorithm ?? "MANIFEST_MD5";
  const variables = {
    ...scope,
    artifactTypeName: request.type,
    artifactCollectionName: request.name,
    digest: await artifactDigestWith([...request.files, ...(request.references ?? [])], digestAlgorithm),
    digestAlgorithm,
    description: request.description ?? null,
    metadata: request.metadata === undefined ? null : JSON.stringify(request.metadata),
    aliases: [{ alias: "latest", artifactCollectionName: request.name }],
    clientID: randomUUID(),
    sequenceClientID: randomUUID(),
    enableDigestDeduplication:
      request.ifUnchanged === undefined
        ? session.settings.enableDigestDeduplication
        : request.ifUnchanged === "reuse",
  };
  type Answer = { createArtifact: { artifact: CreatedArtifact } };
  const data = await session.client.request<Answer>(CREATE_ARTIFACT, variables, { signal: request.signal });
  return data.createArtifact.artifact;
}

/** W&B keeps one type per collection name: refuse to log `name` under a second type. */
async function checkCollectionType(session: WandbSession, entity: string, request: LogVersionRequest) {
  type Answer = {
    project: { artifactCollection: { defaultArtifactType: { name: string } } | null } | null;
  };
  const variables = { entity, project: session.project, name: request.name };
  const data = await session.client.request<Answer>(COLLECTION_TYPE, variables, { signal: request.signal });
  const existing = data.project?.artifactCollection?.defaultArtifactType.name;
  if (existing !== undefined && existing !== request.type) {
    throw new ArtifactError(
      "CONFLICT",
      `artifact '${request.name}' already exists in collection '${existing}' of W&B project ` +
        `${entity}/${session.project}; W&B keeps one collection (artifact type) per name: log it to '${existing}' or pick another name`,
      { context: { backend: "wandb", operation: "logFiles", key: request.name } },
    );
  }
}

async function versionIndexOf(session: WandbSession, id: string, signal: AbortSignal | undefined) {
  type Answer = { artifact: { state: string; versionIndex: number | null } | null };
  const data = await session.client.request<Answer>(ARTIFACT_BY_ID, { id }, { signal });
  const index = data.artifact?.versionIndex;
  if (index === null || index === undefined || data.artifact?.state !== "COMMITTED") {
    throw new ArtifactError("UNEXPECTED", `W&B artifact ${id} has no version index after commit`);
  }
  return index;
}

/** INVALID_ARGUMENT unless `metadata` is a JSON-serialisable plain object (or undefined). */
export function checkMetadata(metadata: unknown): void {
  if (metadata === undefined) return;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new ArtifactError("INVALID_ARGUMENT", "Expected the `metadata` option to be a plain JSON object");
  }
  try {
    JSON.stringify(metadata);
  } catch (cause) {
    throw new ArtifactError("INVALID_ARGUMENT", "the `metadata` option is not JSON-serialisable", { cause });
  }
  const keys = Object.keys(metadata).length;
  if (keys > MAX_METADATA_KEYS) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `the \`metadata\` option has ${keys} keys; W&B allows at most ${MAX_METADATA_KEYS} (the Python SDK cannot read a version with more): nest them under fewer top-level keys`,
    );
  }
}

/** Top-level metadata keys a W&B version may have (the SDK's `MAX_ARTIFACT_METADATA_KEYS`). */
export const MAX_METADATA_KEYS = 100;
