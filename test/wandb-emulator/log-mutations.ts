/**
 * Mutations that log a version (PROTOCOL.md 2.4, 2.6, 7): upsertBucket, createArtifact,
 * createArtifactManifest, createArtifactFiles, completeMultipartUploadArtifact.
 */
import { createHash } from "node:crypto";
import { type EmulatorContext, ensureProject } from "./context.js";
import {
  type DigestAlgorithm,
  type EmuArtifact,
  EmulatorError,
  type EmuProject,
  type EmuSequence,
} from "./model.js";
import { artifactView, fileView, runView } from "./views.js";

type Input<T> = { input: T };

export function upsertBucket({ input }: Input<Record<string, string | null>>, ctx: EmulatorContext) {
  const project = ensureProject(ctx, input.entityName, input.modelName);
  const name = input.name ?? input.id ?? ctx.state.nextId("Run");
  const inserted = !project.runs.has(name);
  if (inserted) {
    const run = { id: ctx.state.nextId("Run"), name, jobType: input.jobType ?? null, files: new Map() };
    project.runs.set(name, run);
  }
  return { bucket: runView(ctx, project, name), inserted };
}

interface CreateArtifactInput {
  entityName: string;
  projectName: string;
  runName?: string | null;
  artifactTypeName: string;
  artifactCollectionName?: string | null;
  artifactCollectionNames?: string[] | null;
  digest: string;
  digestAlgorithm: DigestAlgorithm;
  description?: string | null;
  metadata?: string | null;
  aliases?: Array<{ alias: string; artifactCollectionName: string }> | null;
  enableDigestDeduplication?: boolean | null;
}

export function createArtifact({ input }: Input<CreateArtifactInput>, ctx: EmulatorContext) {
  const project = ensureProject(ctx, input.entityName, input.projectName);
  const name = input.artifactCollectionName ?? input.artifactCollectionNames?.[0];
  if (!name) throw new EmulatorError(400, "artifactCollectionName is required");
  if (input.metadata != null) parseJson(input.metadata, "metadata");
  const sequence = ensureSequence(ctx, project, input.artifactTypeName, name, input.digestAlgorithm);
  const latest = ctx.state.latestVersion(sequence);
  if (input.enableDigestDeduplication && latest?.digest === input.digest)
    return { artifact: artifactView(ctx, latest) };
  const artifact: EmuArtifact = {
    id: ctx.state.nextId("Artifact"),
    sequence,
    state: "PENDING",
    digest: input.digest,
    digestAlgorithm: input.digestAlgorithm,
    description: input.description ?? null,
    metadata: input.metadata ?? null,
    versionIndex: null,
    createdAt: ctx.state.now(),
    runName: input.runName ?? null,
    pendingAliases: (input.aliases ?? [])
      .filter((a) => a.artifactCollectionName === name)
      .map((a) => a.alias),
    entries: new Map(),
    size: 0,
  };
  sequence.artifacts.push(artifact);
  ctx.state.artifacts.set(artifact.id, artifact);
  return { artifact: artifactView(ctx, artifact) };
}

function ensureSequence(
  ctx: EmulatorContext,
  project: EmuProject,
  typeName: string,
  name: string,
  digestAlgorithm: DigestAlgorithm,
): EmuSequence {
  if (!/^[a-zA-Z0-9_\-.]+$/.test(name) || name.length > 128) {
    throw new EmulatorError(400, `invalid artifact name '${name}'`);
  }
  let type = project.types.get(typeName);
  if (!type) {
    type = { id: ctx.state.nextId("ArtifactType"), name: typeName, createdAt: ctx.state.now(), project };
    project.types.set(typeName, type);
  }
  let sequence = project.sequences.get(name);
  if (sequence && sequence.type !== type) {
    throw new EmulatorError(
      409,
      `artifact collection '${name}' already exists with type '${sequence.type.name}'`,
    );
  }
  if (!sequence) {
    const id = ctx.state.nextId("ArtifactSequence");
    sequence = {
      id,
      name,
      type,
      project,
      createdAt: ctx.state.now(),
      artifacts: [],
      versions: [],
      aliases: new Map(),
      digestAlgorithm,
    };
    project.sequences.set(name, sequence);
  }
  return sequence;
}

interface ManifestInput {
  artifactID: string;
  name: string;
  digest: string;
}

export function createArtifactManifest({ input }: Input<ManifestInput>, ctx: EmulatorContext) {
  const artifact = pending(ctx, input.artifactID);
  artifact.manifest ??= { id: ctx.state.nextId("ArtifactManifest"), name: input.name, digest: "" };
  artifact.manifest.name = input.name;
  artifact.manifest.digest = input.digest;
  const file = fileView(ctx, { name: input.name, artifact, size: artifact.manifest.bytes?.length ?? 0 });
  const uploadUrl = ctx.signer.uploadUrl({ kind: "manifest", artifactId: artifact.id });
  const headers = input.digest ? [`Content-MD5:${input.digest}`, "Content-Type:application/json"] : [];
  return {
    artifactManifest: { id: artifact.manifest.id, file: { ...file, uploadUrl, uploadHeaders: headers } },
  };
}

export function updateArtifactManifest(
  { input }: Input<{ artifactManifestID: string; digest?: string | null }>,
  ctx: EmulatorContext,
) {
  const artifact = [...ctx.state.artifacts.values()].find((a) => a.manifest?.id === input.artifactManifestID);
  if (!artifact?.manifest) throw new EmulatorError(404, `manifest ${input.artifactManifestID} not found`);
  return createArtifactManifest(
    { input: { artifactID: artifact.id, name: artifact.manifest.name, digest: input.digest ?? "" } },
    ctx,
  );
}

/** The pending artifact `id`; 400 when it is committed already. */
export function pending(ctx: EmulatorContext, id: string): EmuArtifact {
  const artifact = ctx.state.artifact(id);
  if (artifact.state !== "PENDING")
    throw new EmulatorError(400, `artifact ${id} is ${artifact.state}, not PENDING`);
  return artifact;
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EmulatorError(400, `${what} is not valid JSON`);
  }
}

/** base64 md5 of bytes. */
export function md5b64(bytes: Buffer): string {
  return createHash("md5").update(bytes).digest("base64");
}
