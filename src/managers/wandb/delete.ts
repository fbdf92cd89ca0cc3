/**
 * Deleting a version on W&B (issue 20) through the protocol the SDK 0.30 uses: `deleteArtifact` with
 * `deleteAliases` (the SDK's `Artifact.delete(delete_aliases)`, PROTOCOL.md 8). The server
 * soft-deletes: the version leaves listings and reads at once, its number is never handed out again,
 * its files are collected later by W&B. The server refuses a version that holds aliases — `latest`
 * included — unless `deleteAliases`; we refuse user aliases ourselves unless `force` (as every backend),
 * send `deleteAliases` whenever the version holds any, and then point `latest` at the highest
 * remaining version (as a new log would), so `latest` keeps meaning "the newest version".
 */
import type { DeletedVersion } from "../../core/lifecycle.js";
import type { VersionSelector } from "../../core/types.js";
import { ArtifactError, isArtifactError } from "../../errors.js";
import { editAlias } from "./aliases.js";
import { listCommittedVersions } from "./listing.js";
import { ADD_ALIASES, DELETE_ARTIFACT } from "./queries.js";
import { fetchManifest, isVersionAlias, resolveVersion } from "./resolve.js";
import type { WandbSession } from "./session.js";

/** Which version to delete. */
export interface DeleteWandbVersionRequest {
  type: string;
  name: string;
  version: VersionSelector;
  force: boolean;
  signal?: AbortSignal | undefined;
}

/** Deletes one version (see the file comment); `NOT_FOUND` when it does not exist (any more). */
export async function deleteWandbVersion(
  session: WandbSession,
  request: DeleteWandbVersionRequest,
): Promise<DeletedVersion> {
  const { type, name, signal } = request;
  const version = await resolveVersion(session, request, signal);
  const userAliases = version.aliases.filter((alias) => !isVersionAlias(alias)).sort();
  if (userAliases.length > 0 && !request.force) {
    throw new ArtifactError(
      "CONFLICT",
      `version ${version.version} of '${name}' in collection '${type}' has aliases (${userAliases.join(", ")}): move or remove them first, or delete with force (CLI --force) to remove them too`,
      {
        context: {
          backend: "wandb",
          operation: "deleteVersion",
          name,
          collection: type,
          aliases: userAliases,
        },
      },
    );
  }
  const manifest = await fetchManifest(session, version, signal);
  const entries = Object.values(manifest.contents);
  const input = { artifactID: version.id, deleteAliases: version.aliases.length > 0 };
  // https://docs.wandb.ai/ref/python/public-api/artifact/#delete — the SDK's DeleteArtifact mutation
  await session.client.request(DELETE_ARTIFACT, { input }, { signal }).catch((error: unknown) => {
    // deleted by someone else between our read and our delete
    if (isArtifactError(error, "NOT_FOUND")) throw gone(name, type, version.version);
    throw error;
  });
  if (version.aliases.includes("latest")) await moveLatest(session, { type, name, signal });
  return {
    name,
    collection: type,
    version: version.version,
    aliases: userAliases,
    files: entries.length,
    bytes: entries.reduce((sum, entry) => sum + (entry.size ?? 0), 0),
    createdAt: version.createdAt,
  };
}

/** Points `latest` at the highest committed version left (none left: nothing to do). */
async function moveLatest(
  session: WandbSession,
  target: { type: string; name: string; signal?: AbortSignal | undefined },
): Promise<void> {
  const versions = await listCommittedVersions(session, target, target.signal).catch((error: unknown) => {
    if (isArtifactError(error, "NOT_FOUND")) return [];
    throw error;
  });
  const highest = versions.at(-1);
  if (highest === undefined || highest.aliases.includes("latest")) return;
  await editAlias(session, ADD_ALIASES, target, highest.id, "latest");
}

function gone(name: string, type: string, version: string): ArtifactError {
  return new ArtifactError(
    "NOT_FOUND",
    `version ${version} of '${name}' in collection '${type}' was deleted meanwhile`,
    { context: { backend: "wandb", operation: "deleteVersion", key: `${type}/${name}:${version}` } },
  );
}
