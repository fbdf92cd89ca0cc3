/**
 * GraphQL objects over the model. graphql-js's default resolver calls function-valued fields with
 * (args, context), so nested fields are resolved lazily; `__typename` picks interface implementations.
 */
import type { EmulatorContext } from "./context.js";
import { md5b64, parseJson } from "./log-mutations.js";
import type { EmuArtifact, EmuProject, EmuSequence, EmuType } from "./model.js";

export interface PageArgs {
  after?: string | null;
  first?: number | null;
}

/** A relay connection over `items` (cursor = index). */
export function connection<T, E>(items: readonly T[], args: PageArgs, edge: (item: T) => E) {
  const start = args.after ? Number(args.after) + 1 : 0;
  const end = args.first == null ? items.length : start + args.first;
  const page = items.slice(start, end);
  return {
    totalCount: items.length,
    edges: page.map((item, i) => ({ ...edge(item), cursor: String(start + i) })),
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      endCursor: page.length ? String(start + page.length - 1) : null,
      startCursor: page.length ? String(start) : null,
    },
  };
}

export function runView(ctx: EmulatorContext, project: EmuProject, name: string) {
  const run = project.runs.get(name);
  return run ? { id: run.id, name, displayName: name, project: () => projectView(ctx, project) } : null;
}

export function entityView(ctx: EmulatorContext, name: string) {
  return {
    id: Buffer.from(`Entity:${name}`).toString("base64"),
    name,
    organization: null,
    xxhashDigestsEnabled: ctx.xxhashDigests,
  };
}

export function projectView(ctx: EmulatorContext, project: EmuProject) {
  const seq = (name: string) => project.sequences.get(name);
  return {
    id: project.id,
    internalId: project.id,
    name: project.name,
    entity: entityView(ctx, project.entity),
    run: ({ name }: { name: string }) => runView(ctx, project, name),
    artifactTypes: (args: PageArgs) =>
      connection([...project.types.values()], args, (t) => ({ node: typeView(ctx, t) })),
    artifactType: ({ name }: { name: string }) => {
      const type = project.types.get(name);
      return type ? typeView(ctx, type) : null;
    },
    artifactCollection: ({ name }: { name: string }) => {
      const sequence = seq(name);
      return sequence ? sequenceView(ctx, sequence) : null;
    },
    artifactCollections: (args: PageArgs) =>
      connection([...project.sequences.values()], args, (s) => ({ node: sequenceView(ctx, s) })),
    artifact: ({ name }: { name: string }) => membershipByName(ctx, project, name)?.artifact ?? null,
    artifactCollectionMembership: ({ name }: { name: string }) => membershipByName(ctx, project, name),
  };
}

function membershipByName(ctx: EmulatorContext, project: EmuProject, name: string) {
  const colon = name.indexOf(":");
  const sequence = project.sequences.get(colon < 0 ? name : name.slice(0, colon));
  return sequence ? membershipView(ctx, sequence, colon < 0 ? "latest" : name.slice(colon + 1)) : null;
}

export function typeView(ctx: EmulatorContext, type: EmuType) {
  const sequences = () => [...type.project.sequences.values()].filter((s) => s.type === type);
  return {
    id: type.id,
    name: type.name,
    description: null,
    createdAt: type.createdAt,
    artifactCollection: ({ name }: { name: string }) => {
      const sequence = sequences().find((s) => s.name === name);
      return sequence ? sequenceView(ctx, sequence) : null;
    },
    artifactCollections: (args: PageArgs) =>
      connection(sequences(), args, (s) => ({ node: sequenceView(ctx, s) })),
  };
}

export function sequenceView(ctx: EmulatorContext, sequence: EmuSequence) {
  return {
    __typename: "ArtifactSequence",
    id: sequence.id,
    name: sequence.name,
    description: null,
    createdAt: sequence.createdAt,
    updatedAt: sequence.createdAt,
    state: "READY",
    digestAlgorithm: sequence.digestAlgorithm,
    project: () => projectView(ctx, sequence.project),
    defaultArtifactType: () => typeView(ctx, sequence.type),
    tags: { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, endCursor: null } },
    latestArtifact: () => {
      const latest = ctx.state.latestVersion(sequence);
      return latest ? artifactView(ctx, latest) : null;
    },
    aliases: (args: PageArgs) =>
      connection([...sequence.aliases.keys()], args, (alias) => ({ node: aliasView(ctx, sequence, alias) })),
    artifacts: (args: PageArgs & { filters?: string | null }) => {
      // without a state filter only committed versions are listed (pending ones have no version string)
      const filter = (args.filters ? parseJson(args.filters, "filters") : {}) as { state?: string };
      const state = filter.state ?? "COMMITTED";
      const items = sequence.artifacts.filter((a) => a.state === state);
      return connection(items, args, (a) => ({
        version: `v${a.versionIndex ?? "?"}`,
        node: artifactView(ctx, a),
      }));
    },
    artifactMembership: ({ aliasName }: { aliasName: string }) => membershipView(ctx, sequence, aliasName),
  };
}

function aliasView(ctx: EmulatorContext, sequence: EmuSequence, alias: string) {
  const id = Buffer.from(`ArtifactAlias:${sequence.id}:${alias}`).toString("base64");
  return { id, alias, artifactCollection: () => sequenceView(ctx, sequence) };
}

function membershipView(ctx: EmulatorContext, sequence: EmuSequence, aliasName: string) {
  const artifact = ctx.state.member(sequence, aliasName);
  if (artifact?.state !== "COMMITTED") return null;
  const view = artifactView(ctx, artifact);
  // createdAt of a membership is when the version entered the collection: its creation, for its own sequence
  return { ...view, artifactCollection: () => sequenceView(ctx, sequence), artifact: view };
}

/** A GraphQL object: plain values and lazily resolved fields. */
export type View = Record<string, unknown>;

export function artifactView(ctx: EmulatorContext, artifact: EmuArtifact): View {
  const sequence = artifact.sequence;
  const files = () =>
    [...artifact.entries].map(([name, e]) => {
      const key = ctx.state.blobKeyOf(sequence.project, e.digest);
      const blob = ctx.state.blobs.get(key);
      return {
        ...fileView(ctx, { name, artifact: blob?.birth ?? artifact, size: e.size }),
        md5: blob ? md5b64(blob.bytes) : e.digest,
        digest: e.digest,
        directUrl: () => ctx.signer.downloadUrl("blob", key),
      };
    });
  return {
    id: artifact.id,
    digest: artifact.digest,
    digestAlgorithm: artifact.digestAlgorithm,
    state: artifact.state,
    description: artifact.description,
    metadata: artifact.metadata,
    versionIndex: artifact.versionIndex,
    size: artifact.size,
    fileCount: artifact.entries.size,
    commitHash: null,
    createdAt: artifact.createdAt,
    updatedAt: artifact.createdAt,
    ttlDurationSeconds: -2,
    ttlIsInherited: true,
    tags: [],
    aliases: () => ctx.state.aliasesOf(artifact).map((alias) => aliasView(ctx, sequence, alias)),
    artifactType: () => typeView(ctx, sequence.type),
    artifactSequence: () => sequenceView(ctx, sequence),
    currentManifest: () =>
      artifact.manifest?.bytes
        ? {
            id: artifact.manifest.id,
            file: {
              ...fileView(ctx, {
                name: artifact.manifest.name,
                artifact,
                size: artifact.manifest.bytes.length,
              }),
              directUrl: () => ctx.signer.downloadUrl("manifest", artifact.id),
            },
          }
        : null,
    files: (args: PageArgs & { names?: string[] | null }) =>
      connection(
        files().filter((f) => !args.names || args.names.includes(f.name)),
        args,
        (node) => ({ node }),
      ),
  };
}

/** The fields of a `File`; callers add `directUrl`, `uploadUrl` and friends. */
export function fileView(ctx: EmulatorContext, file: { name: string; artifact: EmuArtifact; size: number }) {
  return {
    id: Buffer.from(`File:${file.artifact.id}:${file.name}`).toString("base64"),
    name: file.name,
    displayName: file.name,
    url: null,
    sizeBytes: file.size,
    mimetype: "application/octet-stream",
    updatedAt: file.artifact.createdAt,
    artifact: () => artifactView(ctx, file.artifact),
  };
}
