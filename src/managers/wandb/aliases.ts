/**
 * Aliases (PROTOCOL.md 2.5, 8): unique per collection on the server, so giving a version an alias moves it.
 * As the SDK's `Artifact.save()`, we add and delete single aliases named with their collection
 * (`addAliases` / `deleteAliases`), never rewrite a version's whole list; `latest` and `vN` are versions,
 * not user aliases, and are never listed, set or removed here.
 */
import { validateAlias } from "../../core/names.js";
import type { VersionSelector } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { listCommittedVersions } from "./listing.js";
import { ADD_ALIASES, DELETE_ALIASES } from "./queries.js";
import { isVersionAlias, type ResolvedVersion, resolveVersion } from "./resolve.js";
import type { WandbSession } from "./session.js";

interface AliasTarget {
  type: string;
  name: string;
  signal?: AbortSignal | undefined;
}

/** Points `alias` at a version (default latest) and returns that version. */
export async function setAlias(
  session: WandbSession,
  target: AliasTarget & { version?: VersionSelector | undefined },
  alias: string,
): Promise<ResolvedVersion> {
  validateAlias(alias);
  const version = await resolveVersion(session, target, target.signal);
  if (!version.aliases.includes(alias)) await editAlias(session, ADD_ALIASES, target, version.id, alias);
  return version;
}

/** Removes `alias`; `NOT_FOUND` when no version of the artifact has it. */
export async function removeAlias(session: WandbSession, target: AliasTarget, alias: string): Promise<void> {
  validateAlias(alias);
  const versions = await listCommittedVersions(session, target, target.signal);
  const holder = versions.find((v) => v.aliases.includes(alias));
  if (holder === undefined) {
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact '${target.name}' in collection '${target.type}' has no alias '${alias}'`,
      {
        context: {
          backend: "wandb",
          operation: "removeAlias",
          key: `${target.type}/${target.name}:${alias}`,
        },
      },
    );
  }
  await editAlias(session, DELETE_ALIASES, target, holder.id, alias);
}

/** User aliases of an artifact: `{ best: "v1" }`. */
export async function listAliases(
  session: WandbSession,
  target: AliasTarget,
): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const version of await listCommittedVersions(session, target, target.signal)) {
    for (const alias of version.aliases) if (!isVersionAlias(alias)) result[alias] = `v${version.index}`;
  }
  return result;
}

/** Sends `document` (ADD_ALIASES or DELETE_ALIASES) for one alias of the collection `target.name`. */
export async function editAlias(
  session: WandbSession,
  document: string,
  target: AliasTarget,
  artifactID: string,
  alias: string,
) {
  const entityName = await session.entity(target.signal);
  const aliases = [{ alias, artifactCollectionName: target.name, entityName, projectName: session.project }];
  await session.client.request(document, { artifactID, aliases }, { signal: target.signal });
}
