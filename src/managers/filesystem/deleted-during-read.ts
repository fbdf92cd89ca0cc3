/**
 * A read that fails because its version was deleted meanwhile (a download that had read the record,
 * then found files gone) is reported as what happened: NOT_FOUND, the version was deleted.
 */
import { parseVersion } from "../../core/names.js";
import { ArtifactError } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { artifactPrefix, recordKey } from "./layout.js";

/**
 * `error`, or — when it names a key under `v<N>/` of this artifact and N is dead now (its record key
 * holds a tombstone) — NOT_FOUND saying that version N was deleted while it was being read. Store
 * errors while checking leave `error` as it was.
 */
export async function explainDeletedVersion(
  driver: StorageDriver,
  collection: string,
  name: string,
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof ArtifactError) || typeof error.context.key !== "string") return error;
  const base = artifactPrefix(collection, name);
  if (!error.context.key.startsWith(base)) return error;
  const n = parseVersion(error.context.key.slice(base.length).split("/")[0] ?? "");
  if (n === undefined) return error;
  const record = await driver.stat(recordKey(collection, name, n)).catch(() => null);
  if (record?.size !== 0) return error;
  return new ArtifactError(
    "NOT_FOUND",
    `version v${n} of '${name}' in collection '${collection}' was deleted while it was being read; nothing was written to the target`,
    { cause: error, context: { operation: "download", name, collection, version: `v${n}` } },
  );
}
