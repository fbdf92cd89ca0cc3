/**
 * Retention on any backend, built only on the public manager calls (`listArtifacts`, `listVersions`,
 * `listAliases`, `getVersion`, `deleteVersion`), so every backend that can delete a version can prune.
 */
import { durationMs } from "../core/duration.js";
import type {
  DeletedVersion,
  PruneKeepReason,
  PruneOptions,
  PruneResult,
  PruneTarget,
} from "../core/lifecycle.js";
import { validateArtifactName, validateCollection } from "../core/names.js";
import { validateOperationOptions } from "../core/operation-options.js";
import { ArtifactError, isArtifactError } from "../errors.js";
import type { ArtifactManager } from "./artifact-manager.js";

/** The rules of a prune, validated. */
interface PruneRules {
  keepLast: number | undefined;
  keepAliased: boolean;
  olderThanMs: number | undefined;
  now: number;
}

/** Validates the options of `prune`: at least one rule, `keepLast` a non-negative integer. */
export function pruneRules(options: PruneOptions): PruneRules {
  validateOperationOptions(options);
  const { keepLast, keepAliased, olderThan, dryRun } = options;
  if (keepLast !== undefined && !(Number.isSafeInteger(keepLast) && keepLast >= 0))
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`keepLast\` option to be a non-negative integer, got \`${String(keepLast)}\``,
    );
  for (const [option, value] of [
    ["keepAliased", keepAliased],
    ["dryRun", dryRun],
  ] as const)
    if (value !== undefined && typeof value !== "boolean")
      throw new ArtifactError("INVALID_ARGUMENT", `Expected the \`${option}\` option to be a boolean`);
  const olderThanMs = olderThan === undefined ? undefined : durationMs("olderThan", olderThan);
  if (keepLast === undefined && olderThanMs === undefined && keepAliased !== true)
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      "prune needs a rule, or it would delete every version: give `keepLast`, `olderThan` or `keepAliased`",
    );
  return { keepLast, keepAliased: keepAliased === true, olderThanMs, now: Date.now() };
}

/** Prunes one artifact or every artifact of the collection (see {@link ArtifactManager.prune}). */
export async function pruneArtifacts(
  manager: ArtifactManager,
  target: PruneTarget,
  options: PruneOptions = {},
): Promise<PruneResult> {
  const rules = pruneRules(options);
  const all = typeof target === "object" && target !== null && target.all === true;
  if (!all && typeof target !== "string")
    throw new ArtifactError("INVALID_ARGUMENT", "prune takes an artifact name or `{ all: true }`");
  if (!all) validateArtifactName(target as string);
  const collection = options.collection ?? manager.activeCollection;
  validateCollection(collection);
  const names = all
    ? await manager.listArtifacts(collection, options.signal ? { signal: options.signal } : {})
    : [target as string];
  const result: PruneResult = { dryRun: options.dryRun === true, removed: [], kept: [], bytes: 0 };
  for (const name of names) await pruneOne(manager, name, collection, rules, options, result);
  result.bytes = result.removed.reduce((sum, version) => sum + version.bytes, 0);
  return result;
}

async function pruneOne(
  manager: ArtifactManager,
  name: string,
  collection: string,
  rules: PruneRules,
  options: PruneOptions,
  result: PruneResult,
): Promise<void> {
  const { signal } = options;
  const scope = { collection, ...(signal ? { signal } : {}) };
  const versions = await manager.listVersions(name, scope);
  const aliases = await manager.listAliases(name, scope);
  const aliasesOf = (version: string) =>
    Object.keys(aliases)
      .filter((alias) => aliases[alias] === version)
      .sort();
  const keep = (version: string, reason: PruneKeepReason) =>
    result.kept.push({ name, collection, version, reason });
  const lastKept = new Set(
    rules.keepLast === undefined ? [] : versions.slice(versions.length - rules.keepLast),
  );
  if (rules.keepLast === 0) lastKept.clear();
  for (const version of versions) {
    signal?.throwIfAborted();
    if (lastKept.has(version)) keep(version, "keep-last");
    else if (rules.keepAliased && aliasesOf(version).length > 0) keep(version, "aliased");
    else {
      const candidate = await describeCandidate(manager, name, scope, version, rules);
      if (candidate === undefined) continue; // deleted meanwhile
      if (typeof candidate === "string") keep(version, candidate);
      else if (result.dryRun) result.removed.push({ ...candidate, aliases: aliasesOf(version) });
      else await removeOne(manager, candidate, rules, options, result);
    }
  }
}

/** The version as it would be removed, or why the age rule keeps it; `undefined` when it is gone. */
async function describeCandidate(
  manager: ArtifactManager,
  name: string,
  scope: { collection: string; signal?: AbortSignal },
  version: string,
  rules: PruneRules,
): Promise<DeletedVersion | PruneKeepReason | undefined> {
  const { collection } = scope;
  const record = await manager.getVersion(name, { ...scope, version }).catch((error: unknown) => {
    if (isArtifactError(error, "NOT_FOUND")) return undefined;
    throw error;
  });
  if (record === undefined) return undefined;
  if (rules.olderThanMs !== undefined) {
    const created = record.createdAt === undefined ? Number.NaN : Date.parse(record.createdAt);
    if (Number.isNaN(created)) return "no-creation-time";
    if (rules.now - created < rules.olderThanMs) return "newer";
  }
  return {
    name,
    collection,
    version,
    aliases: [],
    files: record.files.length,
    bytes: record.files.reduce((sum, file) => sum + file.size, 0),
    ...(record.createdAt === undefined ? {} : { createdAt: record.createdAt }),
  };
}

/** Deletes one version; a version deleted by someone else meanwhile is skipped, one newly aliased kept. */
async function removeOne(
  manager: ArtifactManager,
  candidate: DeletedVersion,
  rules: PruneRules,
  options: PruneOptions,
  result: PruneResult,
): Promise<void> {
  const { name, collection, version } = candidate;
  try {
    const deleted = await manager.deleteVersion(name, {
      collection,
      version,
      force: !rules.keepAliased,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    result.removed.push({ ...deleted, ...(candidate.createdAt ? { createdAt: candidate.createdAt } : {}) });
  } catch (error) {
    if (isArtifactError(error, "NOT_FOUND")) return;
    if (isArtifactError(error, "CONFLICT") && rules.keepAliased) {
      result.kept.push({ name, collection, version, reason: "changed" });
      return;
    }
    throw error;
  }
}
