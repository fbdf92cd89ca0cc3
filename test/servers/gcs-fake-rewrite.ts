/**
 * objects.rewrite on the GCS fake (https://cloud.google.com/storage/docs/json_api/v1/objects/rewrite):
 * `POST /b/SRC/o/NAME/rewriteTo/b/DST/o/NAME` with `sourceGeneration`, `ifGenerationMatch` and
 * `rewriteToken`. The new object's md5 and crc32c are computed from the bytes copied (as GCS does),
 * not taken from the source's metadata. With `rewriteBytesPerCall`, an object bigger than that takes
 * several calls, each answering `done: false` and a token (as GCS does across locations or classes).
 */
import { createReadStream } from "node:fs";
import { FakeGcsError, type FakeGcsStore, type FakeObject } from "./gcs-fake-store.js";

/** A rewrite's request: source and destination, and the query. */
export interface RewriteRequest {
  bucket: string;
  name: string;
  destBucket: string;
  destName: string;
  query: URLSearchParams;
}

/** The rewrite response: progress with a token, or done with the new object. */
export async function rewrite(
  store: FakeGcsStore,
  request: RewriteRequest,
  bytesPerCall: number | undefined,
  resource: (object: FakeObject) => unknown,
): Promise<Record<string, unknown>> {
  const { bucket, name, destBucket, destName, query } = request;
  const source = store.bucket(bucket).get(name);
  const wanted = query.get("sourceGeneration");
  if (!source || (wanted !== null && Number(wanted) !== source.generation))
    throw new FakeGcsError(404, "notFound", `No such object: ${bucket}/${name}`);
  store.bucket(destBucket);
  // The token says how many bytes earlier calls "rewrote" (and of which generation).
  const token = query.get("rewriteToken");
  const [tokenGeneration, doneBefore] =
    token === null ? [source.generation, 0] : token.split(":").map(Number);
  if (tokenGeneration !== source.generation) throw new FakeGcsError(400, "invalid", "Invalid rewrite token");
  const done = Math.min(source.size, (doneBefore ?? 0) + (bytesPerCall ?? source.size));
  const progress = {
    kind: "storage#rewriteResponse",
    totalBytesRewritten: String(done),
    objectSize: String(source.size),
  };
  if (done < source.size) return { ...progress, done: false, rewriteToken: `${source.generation}:${done}` };
  const body = await store.stageWhole(createReadStream(source.file));
  const object = await store.commit(
    destBucket,
    destName,
    body,
    { contentType: source.contentType, ...(source.metadata ? { metadata: source.metadata } : {}) },
    query.get("ifGenerationMatch"),
  );
  return { ...progress, done: true, resource: resource(object) };
}
