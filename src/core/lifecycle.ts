/** Options and results of deleting versions and of retention (`deleteVersion`, `deleteArtifact`, `prune`). */

import { ArtifactError } from "../errors.js";
import { validateOperationOptions } from "./operation-options.js";
import type { CollectionOption, VersionSelector } from "./types.js";

/** Options of `deleteVersion(name, options)`. */
export interface DeleteVersionOptions extends CollectionOption {
  /**
   * The version to delete: `"vN"`, `N`, `"latest"` or an alias. Required: a delete never picks a
   * version by default.
   */
  version: VersionSelector;
  /**
   * Delete the version even when aliases point at it, and remove those aliases (W&B's
   * `delete_aliases`). Without it such a delete fails with `CONFLICT` naming the aliases.
   * @default false
   */
  force?: boolean;
  /** Cancels the call. A delete cancelled after it hid the version still hides it (gc finishes it). */
  signal?: AbortSignal;
}

/** Options of `deleteArtifact(name, options)`: every version of the artifact. */
export interface DeleteArtifactOptions extends CollectionOption {
  /** Delete even when aliases point at versions, removing the aliases. @default false */
  force?: boolean;
  /** Cancels the call; versions already deleted stay deleted. */
  signal?: AbortSignal;
}

/** One deleted (or, in a dry run, deletable) version. */
export interface DeletedVersion {
  name: string;
  collection: string;
  /** `"vN"`. */
  version: string;
  /** Aliases that pointed at it and were removed with it. */
  aliases: string[];
  /** Files of the version (from its record). */
  files: number;
  /** Bytes of those files (from its record). */
  bytes: number;
  /** When the version was logged (ISO 8601), when known. */
  createdAt?: string;
}

/** What `deleteArtifact` removed. */
export interface DeleteArtifactResult {
  name: string;
  collection: string;
  versions: DeletedVersion[];
  /** Sum of the versions' bytes. */
  bytes: number;
}

/** Which artifacts a prune looks at: one name, or every artifact of the collection. */
export type PruneTarget = string | { all: true };

/** Options of `prune(target, options)`. A version is removed only when no keep rule protects it. */
export interface PruneOptions extends CollectionOption {
  /** Keep the N highest versions of each artifact (N ≥ 0). @default undefined (no such rule) */
  keepLast?: number;
  /** Keep every version an alias points at. Without it, aliased versions go with their aliases. @default false */
  keepAliased?: boolean;
  /**
   * Remove only versions logged longer ago than this: milliseconds, or a duration text `"30d"`,
   * `"12h"`, `"90m"`, `"45s"`. Versions without a creation time (Python scaffold's) are kept.
   * @default undefined (age does not matter)
   */
  olderThan?: number | string;
  /** Report what would be removed, remove nothing. @default false */
  dryRun?: boolean;
  /** Cancels the prune; versions already deleted stay deleted. */
  signal?: AbortSignal;
}

/** What a prune removed (or, with `dryRun`, would remove). */
export interface PruneResult {
  dryRun: boolean;
  /** Removed versions, per artifact in version order. */
  removed: DeletedVersion[];
  /** Versions the rules kept, with the first rule that kept each. */
  kept: { name: string; collection: string; version: string; reason: PruneKeepReason }[];
  /** Bytes freed (sum of the removed versions' file sizes). */
  bytes: number;
}

/** Why a prune kept a version. */
export type PruneKeepReason = "keep-last" | "aliased" | "newer" | "no-creation-time" | "changed";

/**
 * Up-front checks of `deleteVersion`'s options: an object with a `version` (a delete never defaults to
 * `latest`) and a boolean `force`. `INVALID_ARGUMENT` naming the option.
 */
export function validateDeleteVersionOptions(options: unknown): asserts options is DeleteVersionOptions {
  if (options === undefined || options === null)
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      'deleteVersion needs the `version` option (e.g. { version: "v3" }): a delete never picks a version by default',
    );
  validateOperationOptions(options);
  const { version, force } = options as { version?: unknown; force?: unknown };
  if (version === undefined)
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      'deleteVersion needs the `version` option (e.g. { version: "v3" }): a delete never picks a version by default',
    );
  if (force !== undefined && typeof force !== "boolean")
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`force\` option to be a boolean, got \`${String(force)}\``,
    );
}
