/** What every resolver gets: the state, the URL signer and the authenticated viewer. */
import { EmulatorError, type EmulatorState, type EmuProject } from "./model.js";
import type { UrlSigner } from "./signed-urls.js";

export interface EmulatorContext {
  state: EmulatorState;
  signer: UrlSigner;
  /** The viewer's default entity. */
  entity: string;
  /** Entities the key may use (its own and its teams). */
  entities: ReadonlySet<string>;
  /** `Entity.xxhashDigestsEnabled`: wandb-core logs `digest_algorithm="XXH128"` artifacts only when true. */
  xxhashDigests: boolean;
}

/** Throws 403 `PERMISSION_ERROR` for an entity the key may not use (PROTOCOL.md 5.1). */
export function checkEntity(ctx: EmulatorContext, entity: string | null | undefined): string {
  const name = entity ?? ctx.entity;
  if (!ctx.entities.has(name)) throw new EmulatorError(403, "permission denied", "PERMISSION_ERROR");
  return name;
}

/** The project, or undefined (the real server answers `null` for missing things). */
export function findProject(
  ctx: EmulatorContext,
  entity: string | null | undefined,
  name: string | null | undefined,
) {
  return ctx.state.project(checkEntity(ctx, entity), name ?? "uncategorized");
}

/** The project, created on demand (upsertBucket and createArtifact do this). */
export function ensureProject(
  ctx: EmulatorContext,
  entity: string | null | undefined,
  name: string | null | undefined,
): EmuProject {
  return ctx.state.ensureProject(checkEntity(ctx, entity), name ?? "uncategorized");
}
