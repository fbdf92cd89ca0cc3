/**
 * `wandb://ENTITY/PROJECT` store URLs (the CLI's form): the entity and project come from the URL, the
 * API key and base URL from the usual W&B configuration (`WANDB_API_KEY` / ~/.netrc, `WANDB_BASE_URL`).
 * `wandb:///PROJECT` leaves the entity to `WANDB_ENTITY` or the viewer's default entity.
 */
import { ArtifactError } from "../../errors.js";
import { WandbArtifactManager, type WandbArtifactManagerOptions } from "./wandb-artifact-manager.js";

/** Entity and project named by a `wandb://` URL. */
export interface WandbStoreUrl {
  entity?: string;
  project: string;
}

/** Parses `wandb://ENTITY/PROJECT` or `wandb:///PROJECT`; throws `INVALID_ARGUMENT` otherwise. */
export function parseWandbUrl(url: string): WandbStoreUrl {
  const fail = (why: string): never => {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `invalid W&B store URL ${JSON.stringify(url)}: ${why}; use wandb://ENTITY/PROJECT (or wandb:///PROJECT)`,
    );
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail("it is not a URL");
  }
  if (parsed.protocol !== "wandb:") fail("the scheme is not wandb:");
  const segments = parsed.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (segments.length !== 1) fail("it needs exactly one project after the entity");
  const project = segments[0] as string;
  if (/[\\#?%:]/.test(project) || project.length > 128) fail(`'${project}' is not a valid W&B project name`);
  const entity = decodeURIComponent(parsed.hostname);
  return entity === "" ? { project } : { entity, project };
}

/** A {@link WandbArtifactManager} for a `wandb://ENTITY/PROJECT` URL; `options` add the rest. */
export function createWandbManagerFromUrl(
  url: string,
  options: Omit<WandbArtifactManagerOptions, "entity" | "project"> = {},
): WandbArtifactManager {
  const { entity, project } = parseWandbUrl(url);
  return new WandbArtifactManager({ ...options, project, ...(entity === undefined ? {} : { entity }) });
}
