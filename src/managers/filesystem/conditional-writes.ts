/**
 * The conditional-write probe. Version claims, commit records and tombstones are safe only because the
 * store refuses a second create-only write of a key. Some S3-compatible servers accept the condition
 * header and ignore it: every write then "succeeds", and two writers silently share a version number
 * and overwrite each other's files. So before the first write that relies on a condition, each driver
 * is asked once to prove that it enforces what its capabilities claim, on a scratch key under the
 * artifact's `meta/` folder (where Python scaffold and our readers look for nothing).
 *
 * Every driver is probed, local and memory too: it costs a few small writes once per driver, and a
 * "local" folder can be a FUSE mount of a bucket, a `driver` can be anyone's wrapper.
 */
import { randomBytes } from "node:crypto";
import { ArtifactError, isArtifactError, throwIfAborted } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { metaPrefix } from "./layout.js";

/** Options of {@link ensureConditionalWrites}. */
export interface EnsureConditionalWritesOptions {
  /** Collection of the artifact whose `meta/` folder holds the scratch key. */
  collection: string;
  /** Artifact whose `meta/` folder holds the scratch key. */
  name: string;
  /** Stops waiting for the probe (which itself finishes and cleans up in the background). */
  signal?: AbortSignal | undefined;
}

/** One probe per driver object: its success, or its UNSUPPORTED verdict (other failures are not kept). */
const probes = new WeakMap<StorageDriver, Promise<void>>();

/**
 * Resolves when `driver` enforces create-only writes (and `ifMatch`, when its capabilities claim it);
 * throws `UNSUPPORTED` naming the store and the ignored condition otherwise. The first call per driver
 * probes the store; later calls reuse the outcome. A probe that failed for another reason (network,
 * permissions) is tried again by the next call.
 */
export function ensureConditionalWrites(
  driver: StorageDriver,
  options: EnsureConditionalWritesOptions,
): Promise<void> {
  throwIfAborted(options.signal);
  if (!driver.capabilities.writeIfNotExists)
    return Promise.reject(
      unsupported(
        driver,
        `its driver (${driver.backend}) says it cannot write create-only (capabilities.writeIfNotExists is false)`,
      ),
    );
  let probe = probes.get(driver);
  if (probe === undefined) {
    const started = probeConditionalWrites(driver, metaPrefix(options.collection, options.name));
    probe = started;
    probes.set(driver, started);
    started.catch((error: unknown) => {
      if (!isArtifactError(error, "UNSUPPORTED") && probes.get(driver) === started) probes.delete(driver);
    });
  }
  return untilAborted(probe, options.signal);
}

/**
 * Writes a scratch key create-only, then again create-only with different bytes (the retry layer takes
 * an ALREADY_EXISTS over identical bytes for its own earlier write); the second must be refused. With
 * `writeIfMatch`, a replace with the right etag must pass and one with the stale etag be refused. The
 * scratch key is deleted in every case. Runs without the caller's signal: it is shared by every caller.
 */
async function probeConditionalWrites(driver: StorageDriver, prefix: string): Promise<void> {
  const key = `${prefix}probe-${Date.now().toString(36)}-${randomBytes(6).toString("hex")}`;
  const text = (step: string) => `conditional-write probe of artifact-manager: ${step}\n`;
  try {
    const first = await driver.write(key, text("create"), { ifNotExists: true, contentType: "text/plain" });
    if (
      !(await isRefused(
        driver.write(key, text("second create, must be refused"), { ifNotExists: true }),
        "ALREADY_EXISTS",
      ))
    )
      throw unsupported(
        driver,
        `it ignores create-only writes (${createOnlyCondition(driver.backend)})`,
        key,
      );
    if (!driver.capabilities.writeIfMatch) return;
    const stale = first.etag ?? (await driver.stat(key))?.etag;
    // Without an etag the alias code writes unconditionally anyway (aliases.ts): nothing to check.
    if (stale === undefined) return;
    await driver.write(key, text("replace with the current etag"), { ifMatch: stale });
    if (
      !(await isRefused(
        driver.write(key, text("replace with a stale etag, must be refused"), { ifMatch: stale }),
        "CONFLICT",
      ))
    )
      throw unsupported(driver, `it ignores conditional replaces (${ifMatchCondition(driver.backend)})`, key);
  } finally {
    await driver.delete(key).catch(() => {});
  }
}

/** True when `write` failed with `code`; false when it succeeded; any other failure is rethrown. */
async function isRefused(write: Promise<unknown>, code: "ALREADY_EXISTS" | "CONFLICT"): Promise<boolean> {
  try {
    await write;
    return false;
  } catch (error) {
    if (isArtifactError(error, code)) return true;
    throw error;
  }
}

function unsupported(driver: StorageDriver, what: string, key?: string): ArtifactError {
  return new ArtifactError(
    "UNSUPPORTED",
    `the store ${driver.url} does not support conditional writes: ${what}${key === undefined ? "" : ` (probed with the scratch object ${key})`}. ` +
      "Logging and garbage collection are refused there: version claims and commit records rely on create-only writes, and without them two writers can take the same version and overwrite each other's files. " +
      "Use a server that enforces conditional writes (AWS S3 since August 2024, Ceph RGW, MinIO since 2024, Google Cloud Storage, Azure Blob Storage) or upgrade this one; a custom driver must enforce `ifNotExists` and `ifMatch` or not claim them in its capabilities",
    { context: { backend: driver.backend, operation: "probe", ...(key === undefined ? {} : { key }) } },
  );
}

function createOnlyCondition(backend: string): string {
  if (backend === "s3") return "PutObject with `If-None-Match: *` was not refused with 412";
  if (backend === "gcs") return "an upload with `ifGenerationMatch=0` was not refused with 412";
  if (backend === "azure") return "Put Blob with `If-None-Match: *` was not refused with 409/412";
  return "a second `write(…, { ifNotExists: true })` of the same key did not throw ALREADY_EXISTS";
}

function ifMatchCondition(backend: string): string {
  if (backend === "s3") return "PutObject with a stale `If-Match` etag was not refused with 412";
  if (backend === "gcs") return "an upload with a stale `ifGenerationMatch` was not refused with 412";
  if (backend === "azure") return "Put Blob with a stale `If-Match` etag was not refused with 412";
  return "a `write(…, { ifMatch })` with a stale etag did not throw CONFLICT";
}

/** `promise`, or `signal.reason` as soon as the signal aborts (the promise goes on unobserved). */
function untilAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
