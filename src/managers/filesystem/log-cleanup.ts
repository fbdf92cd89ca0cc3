/**
 * What a log does when it fails after its claim (docs/store-format.md, write rule steps 6 and 7): learn
 * whether a record that may have reached the store is there before deleting anything, make the number
 * dead with a tombstone, delete only the log's own keys (a claimless Python writer may share `v<N>/`),
 * or hand the number back to such a writer. All of it without the caller's signal (Ctrl-C must not stop
 * it half-way) but under one deadline per cleanup.
 */

import { formatVersion } from "../../core/names.js";
import type { VersionRecord } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { readAll } from "../../storage/body.js";
import type { StorageDriver } from "../../storage/driver.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { claimKey, recordKey, versionPrefix } from "./layout.js";
import type { LogVersionInput } from "./log-version.js";
import { writeTombstone } from "./tombstone.js";

/** How long a cleanup after a failure may take, in all. */
const CLEANUP_DEADLINE_MS = 30_000;

function cleanupSignal(): AbortSignal {
  return AbortSignal.timeout(CLEANUP_DEADLINE_MS);
}

/** The objects under `prefix`, path (after the prefix) → size. */
export async function listUploaded(
  driver: StorageDriver,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const entry of driver.list(prefix, signal ? { signal } : {}))
    if (entry.type === "object") sizes.set(entry.key.slice(prefix.length), entry.size);
  return sizes;
}

/**
 * The record write failed, but it may have reached the store (an abort, a timeout or a 5xx after the
 * request was sent; ALREADY_EXISTS). Reads the record key back, without the caller's signal:
 * - our bytes: the version is committed, the log succeeded (even when the caller aborted);
 * - a tombstone (empty): garbage collection took N over: our files go, CONFLICT;
 * - other bytes: not ours, nothing is deleted;
 * - absent: a create-only tombstone makes sure a late arrival of our request cannot commit N, then
 *   the files go;
 * - unknown (the store cannot be read): nothing is deleted, UNAVAILABLE says so.
 */
export async function settleCommit(
  input: LogVersionInput,
  n: number,
  body: string,
  record: VersionRecord,
  error: unknown,
): Promise<VersionRecord> {
  const key = recordKey(input.collection, input.name, n);
  const signal = cleanupSignal();
  let outcome = await recordOutcome(input, n, key, body, error, signal);
  if (outcome === "absent") {
    const tombstoned = await writeTombstone(input.driver, key, signal).catch((writeError: unknown) => {
      throw outcomeUnknown(input, n, key, error, writeError);
    });
    outcome = tombstoned ? "dead" : await recordOutcome(input, n, key, body, error, signal);
  }
  if (outcome === "ours") return record;
  if (outcome === "other") throw error;
  await deleteOwnFiles(input, n, signal);
  if (outcome === "tombstone" && !input.signal?.aborted)
    throw filesLost(input, n, "garbage collection took the version over");
  throw error;
}

type RecordOutcome = "ours" | "tombstone" | "other" | "absent" | "dead";

/** What the record key holds now, compared with `body`; UNAVAILABLE when the store cannot tell. */
async function recordOutcome(
  input: LogVersionInput,
  n: number,
  key: string,
  body: string,
  error: unknown,
  signal: AbortSignal,
): Promise<RecordOutcome> {
  const { driver } = input;
  try {
    const info = await driver.stat(key, { signal });
    if (info === null) return "absent";
    if (info.size === 0) return "tombstone";
    const mine = Buffer.from(body, "utf8");
    if (info.size !== mine.length) return "other";
    return (await readAll(await driver.read(key, { signal }))).equals(mine) ? "ours" : "other";
  } catch (readError) {
    throw outcomeUnknown(input, n, key, error, readError);
  }
}

function outcomeUnknown(
  input: LogVersionInput,
  n: number,
  key: string,
  error: unknown,
  readError: unknown,
): ArtifactError {
  return new ArtifactError(
    "UNAVAILABLE",
    `could not learn whether '${input.name}' ${formatVersion(n)} in collection '${input.collection}' was committed: writing its record failed (${describe(error)}) and checking the store failed too (${describe(readError)}). Nothing was deleted; run \`artifacts versions ${input.name}\` to see whether it is there (if it is not, \`artifacts gc\` removes its files after the grace period)`,
    {
      retryable: true,
      cause: error,
      // The CLI shows this message even after Ctrl-C (it is not a plain cancellation).
      context: { operation: "log", name: input.name, collection: input.collection, key, commit: "unknown" },
    },
  );
}

/**
 * Gives N up before anything of ours is under `v<N>/` (a foreign writer's folder is there): removes
 * our claim, so that their version becomes visible (best effort; gc never deletes a folder it cannot
 * tell is ours before its grace period).
 */
export async function giveUp(input: LogVersionInput, n: number, signal?: AbortSignal): Promise<void> {
  await input.driver
    .delete(claimKey(input.collection, input.name, n), signal ? { signal } : {})
    .catch(() => {});
}

/**
 * `v<N>/` holds files this log did not write (Python scaffold took the same number): our own files and
 * our claim go, no tombstone, so their version shows.
 */
export async function handBack(input: LogVersionInput, n: number, signal = cleanupSignal()): Promise<void> {
  await deleteOwnFiles(input, n, signal);
  await giveUp(input, n, signal);
}

/**
 * A log failed before its record was sent: a tombstone makes N dead (so nothing can ever commit it,
 * and readers and Python-folder rules never show it), then our `v<N>/` files go. Best effort and
 * without the caller's signal; what it misses, gc removes (a tombstoned number's files at any age).
 */
export async function abandon(input: LogVersionInput, n: number): Promise<void> {
  const key = recordKey(input.collection, input.name, n);
  const signal = cleanupSignal();
  try {
    const ours = new Set(input.files.map((file) => file.path));
    const listed = await listUploaded(input.driver, versionPrefix(input.collection, input.name, n), signal);
    if ([...listed.keys()].some((path) => !ours.has(path))) {
      await handBack(input, n, signal);
      return;
    }
    if (
      !(await writeTombstone(input.driver, key, signal)) &&
      (await input.driver.stat(key, { signal }))?.size !== 0
    )
      return;
  } catch {
    // The store is unreachable: nothing else can commit N (our claim), so our files may still go.
  }
  await deleteOwnFiles(input, n, signal);
}

/**
 * Deletes what this log uploaded under `v<N>/` — its own keys only: a Python scaffold writer (no
 * claims) may be writing into the same folder. Best effort, within the cleanup deadline; gc removes
 * what it misses (our keys are listed in the claim).
 */
async function deleteOwnFiles(input: LogVersionInput, n: number, signal: AbortSignal): Promise<void> {
  const prefix = versionPrefix(input.collection, input.name, n);
  await mapConcurrent(input.files, (file) => input.driver.delete(prefix + file.path, { signal }), {
    concurrency: 16,
    signal,
  }).catch(() => {});
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function filesLost(input: LogVersionInput, n: number, detail: string): ArtifactError {
  return new ArtifactError(
    "CONFLICT",
    `the uploaded files of '${input.name}' ${formatVersion(n)} in collection '${input.collection}' disappeared before the version was committed (${detail}); was garbage collection run with a short grace period (gc --older-than) during this log? Nothing was committed: log again`,
    { retryable: true, context: { operation: "log", name: input.name, collection: input.collection } },
  );
}
