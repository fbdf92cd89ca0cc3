/**
 * The write rule of store format v1, in two orders:
 * - drivers with an atomic prefix rename (local disk, memory): upload into `meta/staging/<id>/` →
 *   claim N → rename the staging folder to `v<N>/` in one step → commit record, so no reader (Python
 *   scaffold included) ever sees a partial version;
 * - object stores: claim N → upload into `v<N>/` → list it to confirm every file → commit record.
 * A failure after the claim deletes the `v<N>/` files and keeps the claim (N stays burnt).
 */
import { randomBytes } from "node:crypto";
import { rmdir } from "node:fs/promises";
import { hostname } from "node:os";
import type { ByteBudget } from "../../core/byte-budget.js";
import { formatVersion } from "../../core/names.js";
import { buildRecord, PRODUCER } from "../../core/record.js";
import type { Artifact, FileEntry, ProgressListener, VersionRecord } from "../../core/types.js";
import { ArtifactError, isArtifactError, throwIfAborted } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { errnoOf } from "../../storage/fs-errors.js";
import {
  artifactPrefix,
  claimKey,
  metaPrefix,
  readmeKey,
  recordKey,
  stagingPrefix,
  stagingRoot,
  versionPrefix,
} from "./layout.js";
import type { LocalFile } from "./local-files.js";
import type { FileConcurrency } from "./map-files.js";
import { nextVersionNumber, scanArtifact } from "./scan.js";
import { deletePrefix, uploadFiles } from "./transfer.js";

/** Claims given up before we report a conflict (each lost race costs one). */
const MAX_CLAIM_ATTEMPTS = 1000;

/** Everything one log needs. */
export interface LogVersionInput extends FileConcurrency {
  driver: StorageDriver;
  collection: string;
  name: string;
  files: LocalFile[];
  description?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
  /** The manager's cap on upload bytes held in memory (shared by all its logs). */
  uploadBudget?: ByteBudget | undefined;
}

/** Logs `files` as the next version and returns it. */
export async function logVersion(input: LogVersionInput): Promise<Artifact> {
  const { driver } = input;
  const record =
    driver.capabilities.atomicRenamePrefix && driver.renamePrefix
      ? await logStaged(input)
      : await logDirect(input);
  await driver.write(
    readmeKey(input.collection, input.name),
    input.description ?? "",
    signalOption(input.signal),
  );
  return { name: input.name, collection: input.collection, version: record.version };
}

/** Local disk and memory: upload into a staging folder, then claim N and rename it to `v<N>/`. */
async function logStaged(input: LogVersionInput): Promise<VersionRecord> {
  const { driver, collection, name } = input;
  const staging = stagingPrefix(
    collection,
    name,
    `${Date.now().toString(36)}-${randomBytes(6).toString("hex")}`,
  );
  try {
    const entries = await uploadFiles(driver, input.files, staging, input);
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const n = await claimNext(input);
      try {
        await (driver.renamePrefix as NonNullable<StorageDriver["renamePrefix"]>)(
          staging,
          versionPrefix(collection, name, n),
          signalOption(input.signal),
        );
      } catch (error) {
        // A `v<N>/` appeared after our claim (a Python writer takes no claims): N stays burnt.
        if (isArtifactError(error, "ALREADY_EXISTS")) continue;
        // The staged files were deleted under us (e.g. `gc --older-than 0` during the log).
        if (isArtifactError(error, "NOT_FOUND")) throw filesLost(input, n, "the staging folder is gone");
        throw error;
      }
      return await commitOrRemove(input, n, entries, "spot-check");
    }
    throw tooManyRaces(input);
  } finally {
    await deletePrefix(driver, staging).catch(() => {});
    await pruneEmptyFolders(driver, collection, name);
  }
}

/**
 * Local disk: removes the now empty `meta/staging/` folder and, when they are empty too, `meta/`, the
 * artifact folder and the collection folder, so that an interrupted first log leaves nothing that
 * Python scaffold would list as an artifact. `rmdir` only removes empty folders, so a concurrent
 * writer's files are never touched.
 */
async function pruneEmptyFolders(driver: StorageDriver, collection: string, name: string): Promise<void> {
  if (!driver.localPath) return;
  const keys = [
    stagingRoot(collection, name),
    metaPrefix(collection, name),
    artifactPrefix(collection, name),
  ];
  for (const key of [...keys, `${collection}/`]) {
    try {
      await rmdir(driver.localPath(key.slice(0, -1)));
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") return;
    }
  }
}

/** Object stores: claim N, upload straight into `v<N>/`, then write the record. */
async function logDirect(input: LogVersionInput): Promise<VersionRecord> {
  const { driver, collection, name } = input;
  for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
    const n = await claimNext(input);
    const prefix = versionPrefix(collection, name, n);
    if (await hasAnyObject(driver, prefix, input.signal)) continue;
    let entries: FileEntry[];
    try {
      entries = await uploadFiles(driver, input.files, prefix, input);
    } catch (error) {
      // The claim stays and marks N as burnt; the uploaded files go (gc removes what this misses).
      await deletePrefix(driver, prefix).catch(() => {});
      throw error;
    }
    return await commitOrRemove(input, n, entries, "list");
  }
  throw tooManyRaces(input);
}

/**
 * Confirms the uploaded files are still there, then writes the record. On any failure the `v<N>/`
 * files go (best effort) before the error is rethrown, so no complete-looking version folder without
 * a record stays behind for Python scaffold to list; the claim stays and N is burnt.
 */
async function commitOrRemove(
  input: LogVersionInput,
  n: number,
  entries: FileEntry[],
  check: "list" | "spot-check",
): Promise<VersionRecord> {
  const prefix = versionPrefix(input.collection, input.name, n);
  try {
    if (check === "list") await checkUploaded(input, n, prefix, entries);
    else await spotCheckUploaded(input, n, prefix, entries);
    return await commit(input, n, entries);
  } catch (error) {
    // ALREADY_EXISTS: a record for N exists, so the files are not ours to delete.
    if (!isArtifactError(error, "ALREADY_EXISTS")) await deletePrefix(input.driver, prefix).catch(() => {});
    throw error;
  }
}

/** Object stores: one listing of `v<N>/` must show every uploaded file with its size. */
async function checkUploaded(
  input: LogVersionInput,
  n: number,
  prefix: string,
  entries: readonly FileEntry[],
): Promise<void> {
  const sizes = new Map<string, number>();
  for await (const entry of input.driver.list(prefix, signalOption(input.signal)))
    if (entry.type === "object") sizes.set(entry.key.slice(prefix.length), entry.size);
  const lost = entries.find((entry) => sizes.get(entry.path) !== entry.size);
  if (lost) throw filesLost(input, n, `'${prefix}${lost.path}' is missing or changed`);
}

/** After an atomic rename the folder moved whole: one stat shows it was not deleted since. */
async function spotCheckUploaded(
  input: LogVersionInput,
  n: number,
  prefix: string,
  entries: readonly FileEntry[],
): Promise<void> {
  const first = entries[0];
  if (first && (await input.driver.stat(prefix + first.path, signalOption(input.signal))) === null)
    throw filesLost(input, n, `'${prefix}${first.path}' is missing`);
}

function filesLost(input: LogVersionInput, n: number, detail: string): ArtifactError {
  return new ArtifactError(
    "CONFLICT",
    `the uploaded files of '${input.name}' ${formatVersion(n)} in collection '${input.collection}' disappeared before the version was committed (${detail}); was garbage collection run with a short grace period (gc --older-than) during this log? Nothing was committed: log again`,
    { retryable: true, context: { operation: "log", name: input.name, collection: input.collection } },
  );
}

/** Reserves the next free number with a create-only claim; retries when another writer wins. */
async function claimNext(input: LogVersionInput): Promise<number> {
  const { driver, collection, name, signal } = input;
  for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
    throwIfAborted(signal);
    const n = nextVersionNumber(await scanArtifact(driver, collection, name, signal));
    const claim = {
      version: formatVersion(n),
      createdAt: new Date().toISOString(),
      host: hostname(),
      pid: process.pid,
      producer: PRODUCER,
    };
    try {
      await driver.write(claimKey(collection, name, n), JSON.stringify(claim), {
        ifNotExists: true,
        ...signalOption(signal),
      });
      return n;
    } catch (error) {
      if (!isArtifactError(error, "ALREADY_EXISTS")) throw error;
    }
  }
  throw tooManyRaces(input);
}

async function commit(input: LogVersionInput, n: number, files: FileEntry[]): Promise<VersionRecord> {
  const record = buildRecord({
    name: input.name,
    collection: input.collection,
    version: formatVersion(n),
    files,
    description: input.description,
    metadata: input.metadata,
  });
  const body = `${JSON.stringify(record, null, 2)}\n`;
  await input.driver.write(recordKey(input.collection, input.name, n), body, {
    ifNotExists: true,
    contentType: "application/json",
    ...signalOption(input.signal),
  });
  return record;
}

async function hasAnyObject(driver: StorageDriver, prefix: string, signal?: AbortSignal): Promise<boolean> {
  for await (const entry of driver.list(prefix, signalOption(signal)))
    if (entry.type === "object") return true;
  return false;
}

function tooManyRaces(input: LogVersionInput): ArtifactError {
  return new ArtifactError(
    "CONFLICT",
    `could not claim a version of '${input.name}' in collection '${input.collection}' after ${MAX_CLAIM_ATTEMPTS} attempts; too many concurrent writers`,
    { retryable: true },
  );
}

function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}
