/**
 * Checks of artifact ids against a store (scaffold's helpers): a target id for new output must be
 * unused, an input id must exist; and a new id that is not taken yet.
 */
import { type CreateArtifactIdOptions, createArtifactId } from "../core/artifact-id.js";
import { validateArtifactName } from "../core/names.js";
import { ArtifactError } from "../errors.js";
import type { ArtifactManager } from "./artifact-manager.js";

/** Options of the id checks. */
export interface ArtifactIdCheckOptions {
  /** Look only in this collection. @default every collection (as scaffold's `exists`) */
  collection?: string;
}

/** Throws `ALREADY_EXISTS` when `id` is taken (a target id for new output must be unused). */
export async function assertArtifactIdUnused(
  manager: ArtifactManager,
  id: string,
  options: ArtifactIdCheckOptions = {},
): Promise<void> {
  validateArtifactName(id);
  const taken =
    options.collection === undefined
      ? await manager.exists(id)
      : await manager.existsInCollection(id, options.collection);
  if (taken) {
    throw new ArtifactError(
      "ALREADY_EXISTS",
      `artifact id '${id}' is already used${options.collection ? ` in collection '${options.collection}'` : ""}; pick a new id (createArtifactId makes one)`,
    );
  }
}

/** Throws `NOT_FOUND` unless `id` exists (an input id must name a logged artifact). */
export async function assertArtifactIdExists(
  manager: ArtifactManager,
  id: string,
  options: ArtifactIdCheckOptions = {},
): Promise<void> {
  validateArtifactName(id);
  const found =
    options.collection === undefined
      ? await manager.exists(id)
      : await manager.existsInCollection(id, options.collection);
  if (!found) {
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact id '${id}' does not exist${options.collection ? ` in collection '${options.collection}'` : ""}; check the id or log it first`,
    );
  }
}

/** A new id that is not used yet in the manager's store (retries on the rare collision). */
export async function createUniqueArtifactId(
  manager: ArtifactManager,
  options: CreateArtifactIdOptions & ArtifactIdCheckOptions = {},
): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const id = createArtifactId(options);
    const taken =
      options.collection === undefined
        ? await manager.exists(id)
        : await manager.existsInCollection(id, options.collection);
    if (!taken) return id;
  }
  throw new ArtifactError(
    "CONFLICT",
    "could not find an unused artifact id after 20 tries; pass a more specific `prefix`",
    {
      retryable: true,
    },
  );
}
