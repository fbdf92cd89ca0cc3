/**
 * addAliases / deleteAliases (SDK 0.30, PROTOCOL.md 8): the public API's `Artifact.save()` sends the
 * aliases it added and removed, each named with its collection. An alias is unique in its collection,
 * so adding it moves it off whichever version held it; deleting one the version does not hold changes
 * nothing.
 */
import { type EmulatorContext, findProject } from "./context.js";
import { type EmuArtifact, EmulatorError, type EmuSequence } from "./model.js";

interface CollectionAlias {
  alias: string;
  artifactCollectionName: string;
  entityName: string;
  projectName: string;
}

type AliasesInput = { input: { artifactID: string; aliases: CollectionAlias[] } };

export function addAliases({ input }: AliasesInput, ctx: EmulatorContext) {
  const artifact = ctx.state.artifact(input.artifactID);
  const targets = input.aliases.map((a) => [collection(ctx, artifact, a), a.alias] as const);
  for (const [, alias] of targets) ctx.state.checkAlias(artifact, alias);
  for (const [sequence, alias] of targets) sequence.aliases.set(alias, artifact);
  return { success: true };
}

export function deleteAliases({ input }: AliasesInput, ctx: EmulatorContext) {
  const artifact = ctx.state.artifact(input.artifactID);
  const targets = input.aliases.map((a) => [collection(ctx, artifact, a), a.alias] as const);
  for (const [sequence, alias] of targets) {
    if (sequence.aliases.get(alias) === artifact) sequence.aliases.delete(alias);
  }
  return { success: true };
}

/** The collection an alias input names; it must hold the artifact (the emulator has no portfolios). */
function collection(ctx: EmulatorContext, artifact: EmuArtifact, input: CollectionAlias): EmuSequence {
  const project = findProject(ctx, input.entityName, input.projectName);
  const sequence = project?.sequences.get(input.artifactCollectionName);
  if (!sequence) {
    throw new EmulatorError(
      404,
      `artifact collection ${input.entityName}/${input.projectName}/${input.artifactCollectionName} not found`,
      "NOT_FOUND",
    );
  }
  if (sequence !== artifact.sequence) {
    throw new EmulatorError(400, `artifact ${artifact.id} is not in collection '${sequence.name}'`);
  }
  return sequence;
}
