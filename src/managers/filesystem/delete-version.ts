/**
 * Deleting a version of store format v1 (docs/store-format.md, "How a version is deleted"):
 * 1. hide it in one write: its commit record is replaced by a tombstone (an empty record, If-Match
 *    the record that was read, so of two concurrent deletes one wins and the other gets NOT_FOUND);
 *    a legacy version (no record) gets a create-only tombstone. Every reader, older versions of this
 *    library included, stops showing N at once; a download of N that is still running fails with
 *    NOT_FOUND (download.ts) unless it already has every file;
 * 2. remove the aliases that point at N (they were refused before step 1 unless `force`);
 * 3. delete every object under `v<N>/` (local disk, memory: moved to `meta/trash/` in one rename
 *    first, so Python scaffold stops listing it at once). N stays dead: never shown, never reused.
 * A crash after step 1 leaves a dead number with files: gc deletes them (its dead-number rule).
 */
import { randomBytes } from "node:crypto";
import { rmdir } from "node:fs/promises";
import type { DeletedVersion } from "../../core/lifecycle.js";
import type { FileEntry, VersionSelector } from "../../core/types.js";
import { ArtifactError, isArtifactError } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { listAliasMap, readAlias } from "./aliases.js";
import { aliasKey, metaPrefix, recordKey, versionPrefix } from "./layout.js";
import { listVersionFiles, readVersionRecord } from "./read-version.js";
import { type ResolvedVersion, resolveVersion } from "./resolve.js";
import { hasRecord } from "./scan.js";
import { writeTombstone } from "./tombstone.js";
import { deletePrefix } from "./transfer.js";

/** What one delete needs. */
export interface DeleteVersionInput {
  driver: StorageDriver;
  collection: string;
  name: string;
  version: VersionSelector;
  force: boolean;
  signal?: AbortSignal | undefined;
}

/** Deletes one visible version (hide, aliases, files); NOT_FOUND when it is not visible (any more). */
export async function deleteVersion(input: DeleteVersionInput): Promise<DeletedVersion> {
  const { driver, collection, name, signal } = input;
  const resolved = await resolveVersion(driver, collection, name, input.version, signal);
  const pointing = aliasesAt(await listAliasMap(driver, collection, name, signal), resolved.version);
  if (pointing.length > 0 && !input.force)
    throw new ArtifactError(
      "CONFLICT",
      `version ${resolved.version} of '${name}' in collection '${collection}' has aliases (${pointing.join(", ")}): move or remove them first, or delete with force (CLI --force) to remove them too`,
      {
        context: {
          operation: "deleteVersion",
          name,
          collection,
          version: resolved.version,
          aliases: pointing,
        },
      },
    );
  const record = await readDeletedRecord(driver, collection, name, resolved, signal);
  await hideVersion(driver, collection, name, resolved, signal);
  // N is dead for every reader now; what follows gc would also finish after a crash.
  const aliases = await removeAliasesAt(driver, collection, name, resolved.version, signal);
  await deleteVersionFiles(driver, collection, name, resolved.n, signal);
  return {
    name,
    collection,
    version: resolved.version,
    aliases,
    files: record.files.length,
    bytes: record.files.reduce((sum, file) => sum + file.size, 0),
    ...(record.createdAt === undefined ? {} : { createdAt: record.createdAt }),
  };
}

/**
 * What the delete reports about the version: its record, or — when the record is unreadable (not
 * JSON, a legacy version with unsafe keys) — the files listed under `v<N>/`: a corrupt version must
 * stay deletable.
 */
async function readDeletedRecord(
  driver: StorageDriver,
  collection: string,
  name: string,
  resolved: ResolvedVersion,
  signal?: AbortSignal,
): Promise<{ files: FileEntry[]; createdAt?: string }> {
  try {
    return await readVersionRecord(driver, collection, name, resolved, signal);
  } catch (error) {
    if (!isArtifactError(error, "UNEXPECTED")) throw error;
    return { files: await listVersionFiles(driver, collection, name, resolved.n, signal) };
  }
}

/** Aliases (sorted) that point at `version`. */
function aliasesAt(aliases: Record<string, string>, version: string): string[] {
  return Object.keys(aliases)
    .filter((alias) => aliases[alias] === version)
    .sort();
}

/**
 * Step 1: makes N dead in one write. A record is replaced by a tombstone only while it is the record
 * that was read (If-Match its etag); a legacy version gets a create-only tombstone. NOT_FOUND when
 * someone else's delete (or tombstone) came first.
 */
export async function hideVersion(
  driver: StorageDriver,
  collection: string,
  name: string,
  resolved: ResolvedVersion,
  signal?: AbortSignal,
): Promise<void> {
  const key = recordKey(collection, name, resolved.n);
  const call = signal ? { signal } : {};
  if (!hasRecord(resolved.state, resolved.n)) {
    if (await writeTombstone(driver, key, signal)) return;
    if ((await driver.stat(key, call))?.size === 0) throw deletedMeanwhile(name, collection, resolved);
    throw new ArtifactError(
      "CONFLICT",
      `version ${resolved.version} of '${name}' got a commit record while it was being deleted; nothing was deleted, try again`,
      { context: { operation: "deleteVersion", key } },
    );
  }
  const current = await driver.stat(key, call);
  if (current === null || current.size === 0) throw deletedMeanwhile(name, collection, resolved);
  const condition =
    driver.capabilities.writeIfMatch && current.etag !== undefined ? { ifMatch: current.etag } : {};
  try {
    await driver.write(key, "", { ...condition, contentType: "application/json", ...call });
  } catch (error) {
    if (!isArtifactError(error, "CONFLICT")) throw error;
    if ((await driver.stat(key, call))?.size === 0) throw deletedMeanwhile(name, collection, resolved);
    throw error;
  }
}

function deletedMeanwhile(name: string, collection: string, resolved: ResolvedVersion): ArtifactError {
  return new ArtifactError(
    "NOT_FOUND",
    `version ${resolved.version} of '${name}' in collection '${collection}' was deleted by someone else meanwhile`,
    { context: { operation: "deleteVersion", name, collection, version: resolved.version } },
  );
}

/**
 * Step 2: deletes every alias that points at `version` (listed after the hide, so an alias set while
 * the delete ran goes too: it would point at nothing). Returns their names.
 */
async function removeAliasesAt(
  driver: StorageDriver,
  collection: string,
  name: string,
  version: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const aliases = aliasesAt(await listAliasMap(driver, collection, name, signal), version);
  for (const alias of aliases)
    await driver.delete(aliasKey(collection, name, alias), signal ? { signal } : {});
  return aliases;
}

/**
 * Step 3: deletes every object under `v<N>/`. Where a prefix can be renamed atomically (local disk,
 * memory) the folder first moves to `meta/trash/<id>/`, so Python scaffold stops listing the version
 * in one step; an interrupted delete's trash is removed by gc.
 */
export async function deleteVersionFiles(
  driver: StorageDriver,
  collection: string,
  name: string,
  n: number,
  signal?: AbortSignal,
): Promise<void> {
  const prefix = versionPrefix(collection, name, n);
  if (!driver.renamePrefix) return deletePrefix(driver, prefix, signal);
  const trash = `${metaPrefix(collection, name)}trash/${randomBytes(8).toString("hex")}/`;
  try {
    await driver.renamePrefix(prefix, trash, signal ? { signal } : {});
  } catch (error) {
    if (!isArtifactError(error, "NOT_FOUND")) throw error;
    // Nothing to move: no files (or another delete moved them). Local disk: an empty `v<N>/` goes.
    if (driver.localPath) await rmdir(driver.localPath(prefix.slice(0, -1))).catch(() => {});
    return;
  }
  await deletePrefix(driver, trash, signal);
}

/**
 * After `setAlias` wrote `alias` → N: when N was deleted meanwhile (its record key holds a tombstone),
 * deletes the alias if it still points at N and throws NOT_FOUND. A delete lists aliases after it hid
 * N, so either it sees this alias or this check sees the tombstone: no alias is left pointing at a
 * deleted version.
 */
export async function dropAliasIfDeleted(
  driver: StorageDriver,
  collection: string,
  name: string,
  alias: string,
  resolved: ResolvedVersion,
): Promise<void> {
  if ((await driver.stat(recordKey(collection, name, resolved.n)))?.size !== 0) return;
  if ((await readAlias(driver, collection, name, alias)) === resolved.n)
    await driver.delete(aliasKey(collection, name, alias));
  throw deletedMeanwhile(name, collection, resolved);
}
