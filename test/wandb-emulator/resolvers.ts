/** The root value graphql-js executes against: one function per Query and Mutation field. */
import { addAliases, deleteAliases } from "./alias-mutations.js";
import { commitArtifact, updateArtifact, useArtifact } from "./commit-mutations.js";
import { checkEntity, type EmulatorContext, findProject } from "./context.js";
import { deleteArtifact } from "./delete-mutations.js";
import { completeMultipartUploadArtifact, createArtifactFiles } from "./file-mutations.js";
import {
  createArtifact,
  createArtifactManifest,
  updateArtifactManifest,
  upsertBucket,
} from "./log-mutations.js";
import { EmulatorError } from "./model.js";
import { createRunFiles } from "./run-files.js";
import { artifactView, entityView, projectView, sequenceView } from "./views.js";

const FEATURES = [
  "ARTIFACT_DIGEST_ALGORITHM",
  "ARTIFACT_TAGS",
  "CLIENT_IDS",
  "ARTIFACT_COLLECTION_MEMBERSHIP_FILES",
  "PROJECT_ARTIFACT_COLLECTION_MEMBERSHIP",
  "TOTAL_COUNT_IN_FILE_CONNECTION",
  "ARTIFACT_COLLECTIONS_FILTERING_SORTING",
];

const unsupported = (field: string) => () => {
  throw new EmulatorError(400, `the W&B emulator does not implement ${field}`);
};

/** Builds the root value (resolvers read the context argument). */
export function createRootValue() {
  return {
    viewer: (_: unknown, ctx: EmulatorContext) => ({
      id: Buffer.from(`User:${ctx.entity}`).toString("base64"),
      entity: ctx.entity,
      username: ctx.entity,
      name: ctx.entity,
      email: null,
      flags: null,
      teams: { edges: [...ctx.entities].map((name) => ({ node: { id: name, name } })) },
    }),
    serverInfo: () => ({
      cliVersionInfo: null,
      latestLocalVersionInfo: null,
      features: FEATURES.map((name) => ({ name, isEnabled: true })),
    }),
    project: (args: { name?: string | null; entityName?: string | null }, ctx: EmulatorContext) => {
      const project = findProject(ctx, args.entityName, args.name);
      return project ? projectView(ctx, project) : null;
    },
    artifact: ({ id }: { id: string }, ctx: EmulatorContext) => {
      const artifact = ctx.state.artifacts.get(id);
      return artifact ? artifactView(ctx, artifact) : null;
    },
    artifactCollection: ({ id }: { id: string }, ctx: EmulatorContext) => {
      for (const project of ctx.state.projects.values()) {
        for (const sequence of project.sequences.values())
          if (sequence.id === id) return sequenceView(ctx, sequence);
      }
      return null;
    },
    /** An entity the key may use; the emulator's are outside any organization. */
    entity: ({ name }: { name?: string | null }, ctx: EmulatorContext) =>
      entityView(ctx, checkEntity(ctx, name)),
    clientIDMapping: () => null,
    upsertBucket,
    createArtifact,
    createArtifactManifest,
    updateArtifactManifest,
    createArtifactFiles,
    completeMultipartUploadArtifact,
    commitArtifact,
    useArtifact,
    updateArtifact,
    addAliases,
    deleteAliases,
    deleteArtifact,
    createRunFiles,
    linkArtifact: unsupported("linkArtifact"),
    createArtifactType: unsupported("createArtifactType"),
  };
}
