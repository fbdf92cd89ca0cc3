/**
 * Server-side copies on GCS: objects.rewrite of the source's pinned generation (`sourceGeneration`),
 * which the SDK's `File.copy` repeats with the rewrite token until the service says done (big objects
 * and copies across locations or storage classes take several calls).
 * https://cloud.google.com/storage/docs/json_api/v1/objects/rewrite
 *
 * Checked: the source generation is the one asked for (`ifSourceMatch`, the driver's etag), and the new
 * object's size, crc32c and (where the source has one: not composites) md5 as the service reports them
 * after the rewrite equal the source's. A mismatch deletes the new object and throws CHECKSUM_MISMATCH.
 */
import { ArtifactError, throwIfAborted } from "../errors.js";
import type { CopyOptions, CopyResult } from "../storage/driver.js";
import type { GcsDriver } from "./gcs.js";
import { gcsStatus } from "./gcs-errors.js";

interface ObjectMeta {
  size?: string | number;
  generation?: string | number;
  crc32c?: string;
  md5Hash?: string;
}

/** Copies `from` to `to` inside the bucket (see the file's doc for what is checked). */
export async function copyGcs(
  driver: GcsDriver,
  from: string,
  to: string,
  options: CopyOptions,
): Promise<CopyResult> {
  const { signal } = options;
  throwIfAborted(signal);
  let source: ObjectMeta;
  try {
    [source] = (await driver.file(from).getMetadata()) as [ObjectMeta, unknown];
  } catch (error) {
    if (gcsStatus(error) === 404) await driver.checkBucket(signal);
    return driver.fail(error, { operation: "copy", key: from }, signal);
  }
  const generation = String(source.generation);
  if (options.ifSourceMatch !== undefined && options.ifSourceMatch !== generation) throw changed(from);
  let result: ObjectMeta;
  try {
    const pinned = driver.bucket.file(driver.location.prefix + from, { generation: Number(generation) });
    const [, response] = (await pinned.copy(driver.file(to))) as [unknown, { resource?: ObjectMeta }];
    throwIfAborted(signal);
    result = response.resource ?? {};
  } catch (error) {
    // That generation is gone: rewritten since (CONFLICT) or deleted (NOT_FOUND).
    if (gcsStatus(error) === 404 && (await driver.stat(from, signal ? { signal } : {})) !== null)
      throw changed(from);
    return driver.fail(error, { operation: "copy", key: from }, signal);
  }
  const same =
    Number(result.size) === Number(source.size) &&
    result.crc32c === source.crc32c &&
    (source.md5Hash === undefined || result.md5Hash === source.md5Hash);
  if (!same) {
    await driver.delete(to).catch(() => undefined);
    throw new ArtifactError(
      "CHECKSUM_MISMATCH",
      `the copy of '${from}' to '${to}' does not match its source (${result.size} bytes, crc32c ${result.crc32c}; the source has ${source.size} bytes, crc32c ${source.crc32c})`,
      { context: { backend: "gcs", operation: "copy", key: to } },
    );
  }
  return { key: to, size: Number(result.size), etag: String(result.generation) };
}

function changed(key: string): ArtifactError {
  return new ArtifactError("CONFLICT", `object '${key}' changed since it was read (generation mismatch)`, {
    context: { backend: "gcs", operation: "copy", key },
  });
}
