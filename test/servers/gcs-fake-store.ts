/**
 * The object store behind the GCS fake: object metadata in memory, bodies in files under a temp
 * folder (so a 1 GiB benchmark object does not live in RAM), generations, md5 and crc32c.
 */
import { createHash, type Hash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CRC32C } from "@google-cloud/storage";

/** One stored object (the fields of the JSON API's object resource that the SDK reads). */
export interface FakeObject {
  name: string;
  bucket: string;
  generation: number;
  size: number;
  md5Hash: string;
  crc32c: string;
  contentType: string;
  metadata?: Record<string, string>;
  created: Date;
  file: string;
}

/** A staged body: its file and hashes, before it becomes an object. */
export interface StagedBody {
  file: string;
  size: number;
  md5Hash: string;
  crc32c: string;
}

/** An error the HTTP layer turns into a JSON API error response. */
export class FakeGcsError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Buckets, objects and generations. */
export class FakeGcsStore {
  readonly buckets = new Map<string, Map<string, FakeObject>>();
  #generation = Date.now() * 1000;
  #dir = "";
  #crc32c: Crc32c = sdkCrc32c;

  async open(): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), "am-gcs-fake-"));
    this.#crc32c = await loadCrc32c();
  }

  async close(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }

  /** A new temp file path for a body. */
  tempFile(): string {
    return join(this.#dir, randomBytes(12).toString("hex"));
  }

  bucket(name: string): Map<string, FakeObject> {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new FakeGcsError(404, "notFound", "The specified bucket does not exist.");
    return bucket;
  }

  /**
   * Streams `source` into `file` from byte `position` on (a resumable session's next chunk), feeding
   * `hasher` on the way. A failed stage may leave bytes past `position`: the next chunk overwrites them
   * and {@link finish} cuts the file to the bytes counted.
   */
  async stage(source: Readable, file: string, position: number, hasher: BodyHasher): Promise<number> {
    let bytes = 0;
    source.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      hasher.update(chunk);
    });
    await pipeline(source, createWriteStream(file, { flags: position === 0 ? "w" : "r+", start: position }));
    return bytes;
  }

  /** A whole body (media and multipart uploads) staged in a new file. */
  async stageWhole(source: Readable): Promise<StagedBody> {
    const file = this.tempFile();
    const hasher = this.hasher();
    const size = await this.stage(source, file, 0, hasher);
    return { file, size, ...hasher.digest() };
  }

  /** A staged session's body: its file cut to `size`, with the hashes of its bytes. */
  async finish(file: string, size: number, hasher: BodyHasher): Promise<StagedBody> {
    if (size === 0) await writeFile(file, "");
    else await truncate(file, size);
    return { file, size, ...hasher.digest() };
  }

  /** md5 and crc32c of a new body, fed as its bytes arrive (as GCS computes them on upload). */
  hasher(): BodyHasher {
    return new BodyHasher(this.#crc32c);
  }

  /** Checks `ifGenerationMatch` (0 = must not exist) against the current object. */
  checkPrecondition(bucket: string, name: string, ifGenerationMatch: string | null): void {
    if (ifGenerationMatch === null) return;
    const current = this.bucket(bucket).get(name);
    const want = Number(ifGenerationMatch);
    if ((current?.generation ?? 0) !== want) {
      throw new FakeGcsError(
        412,
        "conditionNotMet",
        "At least one of the pre-conditions you specified did not hold.",
      );
    }
  }

  /** Publishes a staged body atomically (precondition checked at this instant). */
  async commit(
    bucket: string,
    name: string,
    body: StagedBody,
    meta: { contentType?: string; metadata?: Record<string, string>; crc32c?: string },
    ifGenerationMatch: string | null,
  ): Promise<FakeObject> {
    try {
      // GCS's answer when the metadata's crc32c is not that of the bytes received; nothing is stored.
      if (meta.crc32c !== undefined && meta.crc32c !== body.crc32c) {
        throw new FakeGcsError(
          400,
          "invalid",
          `Provided CRC32C "${meta.crc32c}" doesn't match calculated CRC32C "${body.crc32c}".`,
        );
      }
      this.checkPrecondition(bucket, name, ifGenerationMatch);
    } catch (error) {
      await unlink(body.file).catch(() => undefined);
      throw error;
    }
    const objects = this.bucket(bucket);
    const previous = objects.get(name);
    const object: FakeObject = {
      ...body,
      name,
      bucket,
      generation: ++this.#generation,
      contentType: meta.contentType ?? "application/octet-stream",
      ...(meta.metadata ? { metadata: meta.metadata } : {}),
      created: new Date(),
    };
    objects.set(name, object);
    if (previous) await unlink(previous.file).catch(() => undefined);
    return object;
  }

  async delete(bucket: string, name: string, ifGenerationMatch: string | null): Promise<void> {
    const objects = this.bucket(bucket);
    const object = objects.get(name);
    if (!object) throw new FakeGcsError(404, "notFound", `No such object: ${bucket}/${name}`);
    this.checkPrecondition(bucket, name, ifGenerationMatch);
    objects.delete(name);
    await unlink(object.file).catch(() => undefined);
  }

  /** One page of a listing: objects and (with a delimiter) prefixes, GCS-sorted by UTF-8 bytes. */
  list(bucket: string, q: { prefix: string; delimiter: string; pageToken: string; maxResults: number }) {
    const names = [...this.bucket(bucket).keys()]
      .filter((n) => n.startsWith(q.prefix) && (q.pageToken === "" || byteCompare(n, q.pageToken) > 0))
      .sort(byteCompare);
    const items: FakeObject[] = [];
    const prefixes: string[] = [];
    let last = "";
    for (const name of names) {
      const cut = q.delimiter === "" ? -1 : name.indexOf(q.delimiter, q.prefix.length);
      const p = cut >= 0 ? name.slice(0, cut + q.delimiter.length) : null;
      // Names under the prefix just emitted are consumed without counting (a page never splits a group).
      if (p === null || prefixes.at(-1) !== p) {
        if (items.length + prefixes.length >= q.maxResults) return { items, prefixes, nextPageToken: last };
        if (p === null) items.push(this.bucket(bucket).get(name) as FakeObject);
        else prefixes.push(p);
      }
      last = name;
    }
    return { items, prefixes, nextPageToken: undefined };
  }
}

/** GCS orders names by their UTF-8 bytes. */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** CRC32C continued over `data` from `crc`. */
type Crc32c = (data: Buffer, crc: number) => number;

/** The GCS SDK's own CRC32C (~250 MB/s): the reference, used when the native one is not installed. */
const sdkCrc32c: Crc32c = (data, crc) => {
  const state = new CRC32C(crc);
  state.update(data);
  return state.valueOf();
};

/**
 * `@node-rs/crc32`'s SIMD CRC32C (several GB/s) when it loads here, else the SDK's. Imported directly,
 * not through the driver's wrapper (`src/drivers/gcs-crc32c.ts`), so the fake checks the driver's
 * checksums with code of its own.
 */
async function loadCrc32c(): Promise<Crc32c> {
  try {
    const native = (await import("@node-rs/crc32")) as { crc32c: (data: Buffer, crc?: number) => number };
    return (data, crc) => native.crc32c(data, crc) >>> 0;
  } catch {
    return sdkCrc32c;
  }
}

/** md5 and crc32c of the bytes fed so far; `copy()` checkpoints them before a chunk that may fail. */
export class BodyHasher {
  #md5: Hash;
  #crc: number;

  constructor(
    readonly crc32c: Crc32c,
    md5: Hash = createHash("md5"),
    crc = 0,
  ) {
    this.#md5 = md5;
    this.#crc = crc;
  }

  update(data: Buffer): void {
    this.#md5.update(data);
    this.#crc = this.crc32c(data, this.#crc);
  }

  copy(): BodyHasher {
    return new BodyHasher(this.crc32c, this.#md5.copy(), this.#crc);
  }

  /** The hashes as the JSON API gives them: base64 md5, base64 big-endian crc32c. */
  digest(): { md5Hash: string; crc32c: string } {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(this.#crc, 0);
    return { md5Hash: this.#md5.digest("base64"), crc32c: crc.toString("base64") };
  }
}
