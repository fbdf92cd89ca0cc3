/** `deleteArtifact` on any backend: every version through `deleteVersion`, aliases checked first. */
import type { DeleteArtifactOptions, DeleteArtifactResult, DeletedVersion } from "../core/lifecycle.js";
import { validateArtifactName, validateCollection } from "../core/names.js";
import { validateOperationOptions } from "../core/operation-options.js";
import { ArtifactError, isArtifactError } from "../errors.js";
import type { ArtifactManager } from "./artifact-manager.js";

/**
 * Deletes every version of `name`, lowest first (so `latest` stays put until the end). Refuses with
 * `CONFLICT` before deleting anything when aliases exist and `force` is not set. A version deleted by
 * someone else meanwhile is skipped; one logged meanwhile stays.
 */
export async function deleteAllVersions(
  manager: ArtifactManager,
  name: string,
  options: DeleteArtifactOptions = {},
): Promise<DeleteArtifactResult> {
  validateArtifactName(name);
  validateOperationOptions(options);
  if (options.force !== undefined && typeof options.force !== "boolean")
    throw new ArtifactError("INVALID_ARGUMENT", "Expected the `force` option to be a boolean");
  const collection = options.collection ?? manager.activeCollection;
  validateCollection(collection);
  const { signal } = options;
  const scope = { collection, ...(signal ? { signal } : {}) };
  const versions = await manager.listVersions(name, scope);
  if (versions.length === 0)
    throw new ArtifactError("NOT_FOUND", `artifact '${name}' has no version in collection '${collection}'`);
  const aliases = await manager.listAliases(name, scope);
  const pointing = Object.entries(aliases).filter(([, version]) => versions.includes(version));
  if (pointing.length > 0 && options.force !== true)
    throw new ArtifactError(
      "CONFLICT",
      `artifact '${name}' in collection '${collection}' has aliases (${pointing.map(([a, v]) => `${a} → ${v}`).join(", ")}): remove them first, or delete with force (CLI --force) to remove them too`,
      { context: { operation: "deleteArtifact", aliases: pointing.map(([alias]) => alias) } },
    );
  const deleted: DeletedVersion[] = [];
  for (const version of versions) {
    try {
      deleted.push(await manager.deleteVersion(name, { ...scope, version, force: options.force === true }));
    } catch (error) {
      if (!isArtifactError(error, "NOT_FOUND")) throw error;
    }
  }
  return { name, collection, versions: deleted, bytes: deleted.reduce((sum, v) => sum + v.bytes, 0) };
}
