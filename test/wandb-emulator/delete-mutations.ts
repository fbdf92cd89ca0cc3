/**
 * deleteArtifact (SDK 0.30 `Artifact.delete(delete_aliases)`): the version becomes `DELETED` — gone
 * from listings, memberships and `latestArtifact` — but keeps its index, so numbers are never handed
 * out again (the real server soft-deletes). A version that holds aliases (`latest` counts, as on the
 * real server, where deleting a lone version without `delete_aliases` fails) is refused unless
 * `deleteAliases`, which removes them; the emulator does not move `latest` to another version.
 */
import type { EmulatorContext } from "./context.js";
import { EmulatorError } from "./model.js";
import { artifactView } from "./views.js";

type DeleteInput = { input: { artifactID: string; deleteAliases?: boolean | null } };

export function deleteArtifact({ input }: DeleteInput, ctx: EmulatorContext) {
  const artifact = ctx.state.artifact(input.artifactID);
  if (artifact.state === "DELETED") {
    throw new EmulatorError(404, `artifact ${artifact.id} not found (deleted)`, "NOT_FOUND");
  }
  const aliases = ctx.state.aliasesOf(artifact);
  if (aliases.length > 0 && input.deleteAliases !== true) {
    throw new EmulatorError(
      409,
      `cannot delete artifact ${artifact.id}: it has aliases [${aliases.join(", ")}]; delete them first or set deleteAliases`,
    );
  }
  for (const alias of aliases) artifact.sequence.aliases.delete(alias);
  artifact.state = "DELETED";
  ctx.state.deletes.push(artifact.id);
  return { artifact: artifactView(ctx, artifact) };
}
