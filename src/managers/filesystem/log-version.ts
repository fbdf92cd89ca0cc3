/**
 * The write rule of store format v1 (docs/store-format.md), in two orders:
 * - drivers with an atomic prefix rename (local disk, memory): upload into `meta/staging/<id>/` →
 *   claim N → rename the staging folder to `v<N>/` in one step → commit record, so no reader (Python
 *   scaffold included) ever sees a partial version;
 * - object stores: claim N → upload into `v<N>/` → list it to confirm every file → commit record.
 * A failure before the record was sent writes a tombstone (an empty record) at N, then deletes the
 * `v<N>/` files. A failure after it may have been sent reads the record back first: a committed
 * version never loses its files.
 */
import { randomBytes } from "node:crypto";
import { access, rmdir } from "node:fs/promises";
import { hostname } from "node:os";
import type { ByteBudget } from "../../core/byte-budget.js";
import { formatVersion } from "../../core/names.js";
import { buildRecord, PRODUCER } from "../../core/record.js";
import type { Artifact, FileEntry, ProgressListener, Provenance, VersionRecord } from "../../core/types.js";
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
import { abandon, filesLost, giveUp, handBack, listUploaded, settleCommit } from "./log-cleanup.js";
import type { FileConcurrency } from "./map-files.js";
import { planReuse, type StoreCopy } from "./reuse-plan.js";
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
  /** `"reuse"`: identical content returns the latest version instead of a new one. @default "new-version" */
  ifUnchanged?: "reuse" | "new-version" | undefined;
  /** Recorded as the version's provenance (who and what logged it). */
  provenance?: Provenance | undefined;
  /** Resolved input refs recorded as the version's lineage. */
  inputs?: readonly string[] | undefined;
  /** Files copied inside the store instead of uploaded (set by {@link logVersion} from its plan). */
  copies?: ReadonlyMap<string, StoreCopy> | undefined;
}

/**
 * Logs `files` as the next version and returns it. Files whose content the latest version already
 * holds are copied inside the store; with `ifUnchanged: "reuse"`, content identical to the latest
 * version's logs nothing and returns that version (`reused: true`).
 */
export async function logVersion(input: LogVersionInput): Promise<Artifact> {
  const { driver } = input;
  const plan = await planReuse({ ...input, reuseUnchanged: input.ifUnchanged === "reuse" });
  if (plan.unchanged) {
    return { name: input.name, collection: input.collection, version: plan.unchanged.version, reused: true };
  }
  const planned = { ...input, copies: plan.copies };
  const record =
    driver.capabilities.atomicRenamePrefix && driver.renamePrefix
      ? await logStaged(planned)
      : await logDirect(planned);
  // Best effort: the version is committed, so neither a failure nor Ctrl-C here may report the log as
  // failed (a user who retried would get a duplicate). Python scaffold reads it as the latest description.
  await driver
    .write(readmeKey(input.collection, input.name), input.description ?? "", signalOption(input.signal))
    .catch(() => {});
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
    const entries = await uploadFiles(driver, input.files, staging, input).catch(async (error: unknown) => {
      throw (await stagingLost(input, error)) ? stagingGone(input) : error;
    });
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const n = await claimNext(input);
      try {
        await (driver.renamePrefix as NonNullable<StorageDriver["renamePrefix"]>)(
          staging,
          versionPrefix(collection, name, n),
          signalOption(input.signal),
        );
      } catch (error) {
        // A `v<N>/` appeared after our claim (a Python writer takes no claims): N is theirs.
        if (isArtifactError(error, "ALREADY_EXISTS")) {
          await giveUp(input, n);
          continue;
        }
        await abandon(input, n);
        // The staged files were deleted under us (e.g. `gc --older-than 0` during the log).
        if (isArtifactError(error, "NOT_FOUND")) throw filesLost(input, n, "the staging folder is gone");
        throw error;
      }
      return await commitVersion(input, n, entries);
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
    if (await hasAnyObject(driver, prefix, input.signal)) {
      // A Python scaffold writer (no claims) is writing `v<N>/`: N is theirs, and without our claim
      // their version is visible to us as a legacy version.
      await giveUp(input, n);
      continue;
    }
    let entries: FileEntry[];
    try {
      entries = await uploadFiles(driver, input.files, prefix, input);
    } catch (error) {
      await abandon(input, n);
      throw error;
    }
    return await commitVersion(input, n, entries);
  }
  throw tooManyRaces(input);
}

/**
 * Confirms the uploaded files are still there, then writes the record. A failure before the record
 * was sent abandons N (tombstone, then the files go). Once the record request may have reached the
 * store, its outcome is learnt (read back) before anything is deleted: see {@link settleCommit}.
 */
async function commitVersion(
  input: LogVersionInput,
  n: number,
  entries: FileEntry[],
): Promise<VersionRecord> {
  const prefix = versionPrefix(input.collection, input.name, n);
  try {
    await checkUploaded(input, n, prefix, entries);
  } catch (error) {
    if (!(error instanceof ForeignWriter)) {
      await abandon(input, n);
      throw error;
    }
    await handBack(input, n);
    throw new ArtifactError(
      "CONFLICT",
      `another writer put '${error.message}' into ${prefix} while this log of '${input.name}' uploaded there (a Python scaffold log? it takes no claims); its version is left alone and nothing was committed: log again`,
      { retryable: true, context: { operation: "log", name: input.name, collection: input.collection } },
    );
  }
  const record = {
    ...buildRecord({
      name: input.name,
      collection: input.collection,
      version: formatVersion(n),
      files: entries,
      description: input.description,
      metadata: input.metadata,
      provenance: input.provenance,
      inputs: input.inputs,
    }),
    nonce: randomBytes(16).toString("hex"),
  };
  const body = `${JSON.stringify(record, null, 2)}\n`;
  try {
    await input.driver.write(recordKey(input.collection, input.name, n), body, {
      ifNotExists: true,
      contentType: "application/json",
      ...signalOption(input.signal),
    });
    return record;
  } catch (error) {
    return await settleCommit(input, n, body, record, error);
  }
}

/**
 * One listing of `v<N>/` must show every uploaded file with its size. Also after an atomic rename: a
 * staging folder gc took away can be re-created by an upload still running, and then renamed with
 * only that file in it.
 */
async function checkUploaded(
  input: LogVersionInput,
  n: number,
  prefix: string,
  entries: readonly FileEntry[],
): Promise<void> {
  const sizes = await listUploaded(input.driver, prefix, input.signal);
  const lost = entries.find((entry) => sizes.get(entry.path) !== entry.size);
  if (lost) throw filesLost(input, n, `'${prefix}${lost.path}' is missing or changed`);
  const ours = new Set(entries.map((entry) => entry.path));
  const foreign = [...sizes.keys()].find((path) => !ours.has(path));
  if (foreign !== undefined) throw new ForeignWriter(`${prefix}${foreign}`);
}

/** `v<N>/` holds a file this log did not write: a claimless writer (Python scaffold) is there too. */
class ForeignWriter extends Error {}

/** Whether a NOT_FOUND during a staged upload came from the staging side (every source is still there). */
async function stagingLost(input: LogVersionInput, error: unknown): Promise<boolean> {
  if (!isArtifactError(error, "NOT_FOUND")) return false;
  const present = await Promise.all(
    input.files.map((file) =>
      access(file.source).then(
        () => true,
        () => false,
      ),
    ),
  );
  return present.every(Boolean);
}

function stagingGone(input: LogVersionInput): ArtifactError {
  return new ArtifactError(
    "CONFLICT",
    `the staging folder of this log of '${input.name}' in collection '${input.collection}' was removed during the upload; was garbage collection run with a short grace period (gc --older-than) during this log? Nothing was committed: log again`,
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
      // Two writers in one process (or two containers with the same host name and pid) in one
      // millisecond would otherwise write identical claims, and the retry layer's read-back of a
      // create-only write would take the other's claim for its own.
      nonce: randomBytes(16).toString("hex"),
      // What this log writes under `v<N>/`: gc deletes only these (a claimless Python writer may be
      // writing into the same folder) and tells a Python version at this number from our leftovers.
      files: input.files.map((file) => ({ path: file.path, size: file.size })),
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
