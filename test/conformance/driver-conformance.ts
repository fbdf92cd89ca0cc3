/**
 * The shared driver conformance suite: every StorageDriver (memory, local, s3, gcs, azure) must pass
 * it. It checks each behaviour contract written in src/storage/driver.ts. Each test works under its
 * own random prefix, so one driver instance serves the whole suite.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import { readAll } from "../../src/storage/body.js";
import type { DriverCapabilities, ListEntry, StorageDriver } from "../../src/storage/driver.js";
import { mapConcurrent } from "../../src/util/map-concurrent.js";
import { registerCopy } from "./driver-copy.js";

/** What a conformance setup returns: a driver on a fresh, empty store or prefix, and its cleanup. */
export interface DriverFixture {
  driver: StorageDriver;
  cleanup: () => Promise<void>;
}

/** Options of {@link describeDriverConformance}. */
export interface DriverConformanceOptions {
  /** Number of keys of the "big prefix" listing (> 1000 exercises paging on cloud stores). @default 1100 */
  bigListCount?: number;
  /** Number of create-only writers racing on one key. @default 12 */
  racingWriters?: number;
  /**
   * Capabilities known before setup, so that `it.runIf` can leave out cases the driver cannot do.
   * Cases are also skipped at run time when the created driver lacks the capability.
   */
  capabilities?: Partial<DriverCapabilities>;
}

/** Registers the conformance tests of one driver. `setup` runs once; tests use random prefixes. */
export function describeDriverConformance(
  name: string,
  setup: () => Promise<DriverFixture>,
  options: DriverConformanceOptions = {},
): void {
  describe(`driver conformance: ${name}`, () => {
    let fixture: DriverFixture | undefined;
    const driver = (): StorageDriver => {
      if (!fixture) throw new Error("driver setup failed");
      return fixture.driver;
    };
    const caps = () => fixture?.driver.capabilities;
    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await fixture?.cleanup();
    });
    const prefix = () => `conf-${randomBytes(5).toString("hex")}/`;

    registerBasics(driver, prefix);
    registerConditional(driver, prefix, caps, options.racingWriters ?? 12, options.capabilities ?? {});
    registerListing(driver, prefix, options.bigListCount ?? 1100);
    registerFailures(driver, prefix);
    registerCopy(driver, prefix);
  });
}

/** Reads a whole object as a UTF-8 string. */
export async function readText(driver: StorageDriver, key: string): Promise<string> {
  return (await readAll(await driver.read(key))).toString("utf8");
}

/** Collects a listing. */
export async function listAll(
  driver: StorageDriver,
  prefix: string,
  delimiter = false,
): Promise<ListEntry[]> {
  const entries: ListEntry[] = [];
  for await (const entry of driver.list(prefix, { delimiter })) entries.push(entry);
  return entries;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isArtifactError(error), `expected ArtifactError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

type Get = () => StorageDriver;

function registerBasics(driver: Get, prefix: () => string): void {
  it("stat returns null for a missing key and read throws NOT_FOUND", async () => {
    const p = prefix();
    expect(await driver().stat(`${p}missing.txt`)).toBeNull();
    await expectCode(driver().read(`${p}missing.txt`), "NOT_FOUND");
  });

  it("writes a string, a Uint8Array and a stream and reads them back with stat sizes", async () => {
    const p = prefix();
    const binary = randomBytes(70_000);
    const written = await driver().write(`${p}text.txt`, "héllo wörld");
    expect(written.size).toBe(Buffer.byteLength("héllo wörld"));
    await driver().write(`${p}bytes.bin`, new Uint8Array(binary));
    const chunks = [randomBytes(1000), randomBytes(300_000), randomBytes(5)];
    const seen: number[] = [];
    await driver().write(`${p}nested/deep/stream.bin`, Readable.from(chunks), {
      size: 301_005,
      onBytes: (n) => seen.push(n),
    });
    expect(await readText(driver(), `${p}text.txt`)).toBe("héllo wörld");
    expect(Buffer.compare(await readAll(await driver().read(`${p}bytes.bin`)), binary)).toBe(0);
    const streamed = await readAll(await driver().read(`${p}nested/deep/stream.bin`));
    expect(Buffer.compare(streamed, Buffer.concat(chunks))).toBe(0);
    expect((await driver().stat(`${p}bytes.bin`))?.size).toBe(70_000);
    expect((await driver().stat(`${p}nested/deep/stream.bin`))?.size).toBe(301_005);
    expect(seen.at(-1)).toBe(301_005);
  });

  it("writes an empty object", async () => {
    const p = prefix();
    await driver().write(`${p}empty`, new Uint8Array(0));
    expect((await driver().stat(`${p}empty`))?.size).toBe(0);
    expect((await readAll(await driver().read(`${p}empty`))).length).toBe(0);
  });

  it("overwrites an existing key without options", async () => {
    const p = prefix();
    await driver().write(`${p}k`, "one");
    await driver().write(`${p}k`, "two, longer");
    expect(await readText(driver(), `${p}k`)).toBe("two, longer");
  });

  it("reads a range, including a range to the end", async () => {
    const p = prefix();
    await driver().write(`${p}range.txt`, "0123456789");
    const range = async (offset: number, length?: number) =>
      (
        await readAll(
          await driver().read(`${p}range.txt`, {
            range: length === undefined ? { offset } : { offset, length },
          }),
        )
      ).toString();
    expect(await range(2, 3)).toBe("234");
    expect(await range(7)).toBe("789");
    expect(await range(0, 10)).toBe("0123456789");
    expect(await range(0)).toBe("0123456789");
  });

  it("deletes a key, and deleting a missing key succeeds", async () => {
    const p = prefix();
    await driver().write(`${p}gone.txt`, "x");
    await driver().delete(`${p}gone.txt`);
    expect(await driver().stat(`${p}gone.txt`)).toBeNull();
    await driver().delete(`${p}gone.txt`);
    await driver().delete(`${p}never/existed.txt`);
    expect(await listAll(driver(), p)).toEqual([]);
  });

  it("stores unicode keys", async () => {
    const p = prefix();
    const keys = [`${p}ünï/日本語.txt`, `${p}ünï/emoji-😀.bin`, `${p}ünï/ascii.txt`];
    for (const key of keys) await driver().write(key, key);
    for (const key of keys) expect(await readText(driver(), key)).toBe(key);
    const listed = (await listAll(driver(), `${p}ünï/`)).map((entry) => entry.key);
    expect([...listed].sort()).toEqual([...keys].sort());
  });
}

function registerConditional(
  driver: Get,
  prefix: () => string,
  caps: () => StorageDriver["capabilities"] | undefined,
  racingWriters: number,
  declared: Partial<DriverCapabilities>,
): void {
  it("ifNotExists creates once and then throws ALREADY_EXISTS without overwriting", async () => {
    const p = prefix();
    await driver().write(`${p}claim`, "first", { ifNotExists: true });
    await expectCode(driver().write(`${p}claim`, "second", { ifNotExists: true }), "ALREADY_EXISTS");
    expect(await readText(driver(), `${p}claim`)).toBe("first");
  });

  it(`${racingWriters} concurrent create-only writers on one key: exactly one wins`, async () => {
    const p = prefix();
    const results = await Promise.allSettled(
      Array.from({ length: racingWriters }, (_, i) =>
        driver().write(`${p}race`, `writer ${i}`, { ifNotExists: true }),
      ),
    );
    const winners = results.filter((r) => r.status === "fulfilled");
    expect(winners.length).toBe(1);
    for (const result of results) {
      if (result.status === "rejected") expect(isArtifactError(result.reason, "ALREADY_EXISTS")).toBe(true);
    }
    const winner = results.findIndex((r) => r.status === "fulfilled");
    expect(await readText(driver(), `${p}race`)).toBe(`writer ${winner}`);
  });

  it.runIf(declared.writeIfMatch ?? true)(
    "ifMatch replaces on a matching etag and throws CONFLICT otherwise (capabilities.writeIfMatch)",
    async (context) => {
      if (!caps()?.writeIfMatch) return context.skip("the driver does not enforce ifMatch");
      const p = prefix();
      await driver().write(`${p}alias.json`, "v1");
      const etag = (await driver().stat(`${p}alias.json`))?.etag;
      expect(etag).toBeTypeOf("string");
      await driver().write(`${p}alias.json`, "v2", { ifMatch: etag as string });
      expect(await readText(driver(), `${p}alias.json`)).toBe("v2");
      await expectCode(driver().write(`${p}alias.json`, "v3", { ifMatch: etag as string }), "CONFLICT");
      expect(await readText(driver(), `${p}alias.json`)).toBe("v2");
    },
  );

  it.runIf(declared.atomicRenamePrefix ?? true)(
    "renamePrefix moves a folder, refuses a non-empty target and a missing source (capabilities.atomicRenamePrefix)",
    async (context) => {
      const d = driver();
      if (!d.capabilities.atomicRenamePrefix || !d.renamePrefix)
        return context.skip("the driver has no renamePrefix");
      const p = prefix();
      await d.write(`${p}stage/a.txt`, "a");
      await d.write(`${p}stage/sub/b.txt`, "b");
      await d.renamePrefix(`${p}stage/`, `${p}v0/`);
      expect((await listAll(d, p)).map((e) => e.key)).toEqual([`${p}v0/a.txt`, `${p}v0/sub/b.txt`]);
      await d.write(`${p}stage2/c.txt`, "c");
      await expectCode(d.renamePrefix(`${p}stage2/`, `${p}v0/`), "ALREADY_EXISTS");
      expect(await readText(d, `${p}stage2/c.txt`)).toBe("c");
      // A missing source is an error, not a silent success (the staged files are gone).
      await expectCode(d.renamePrefix(`${p}never-staged/`, `${p}v1/`), "NOT_FOUND");
      await expectCode(d.renamePrefix(`${p}stage/`, `${p}v1/`), "NOT_FOUND");
      expect(await listAll(d, `${p}v1/`)).toEqual([]);
    },
  );
}

function registerListing(driver: Get, prefix: () => string, bigListCount: number): void {
  it("lists recursively in key order and one level with prefix entries", async () => {
    const p = prefix();
    const keys = [`${p}a-b.txt`, `${p}a/c.txt`, `${p}a/d/e.txt`, `${p}b.txt`, `${p}z/y.txt`];
    for (const key of [...keys].reverse()) await driver().write(key, key);
    const all = await listAll(driver(), p);
    expect(all.map((e) => e.key)).toEqual(keys);
    for (const entry of all) expect(entry.type === "object" && entry.size).toBe(Buffer.byteLength(entry.key));
    const level = await listAll(driver(), p, true);
    expect(level.map((e) => `${e.type}:${e.key}`)).toEqual([
      `object:${p}a-b.txt`,
      `prefix:${p}a/`,
      `object:${p}b.txt`,
      `prefix:${p}z/`,
    ]);
    const sub = await listAll(driver(), `${p}a/`, true);
    expect(sub.map((e) => `${e.type}:${e.key}`)).toEqual([`object:${p}a/c.txt`, `prefix:${p}a/d/`]);
  });

  it("lists with a partial-name prefix", async () => {
    const p = prefix();
    for (const key of ["v1.json", "v1.claim", "v10.json", "w.json"]) await driver().write(`${p}${key}`, key);
    const keys = (await listAll(driver(), `${p}v1`)).map((e) => e.key);
    expect(keys).toEqual([`${p}v1.claim`, `${p}v1.json`, `${p}v10.json`]);
    expect(await listAll(driver(), `${p}nothing-here/`)).toEqual([]);
  });

  it(`lists a big prefix of ${bigListCount} keys completely (paging)`, async () => {
    const p = prefix();
    const keys = Array.from({ length: bigListCount }, (_, i) => `${p}big/${String(i).padStart(5, "0")}`);
    await mapConcurrent(keys, (key) => driver().write(key, "x"), { concurrency: 32 });
    const listed = (await listAll(driver(), `${p}big/`)).map((e) => e.key);
    expect(listed).toEqual(keys);
    const level = await listAll(driver(), p, true);
    expect(level).toEqual([{ type: "prefix", key: `${p}big/` }]);
    await mapConcurrent(keys, (key) => driver().delete(key), { concurrency: 32 });
    expect(await listAll(driver(), p)).toEqual([]);
  }, 300_000);
}

function registerFailures(driver: Get, prefix: () => string): void {
  it("a failing body stream rejects and leaves nothing under the key", async () => {
    const p = prefix();
    const failure = new Error("disk on fire");
    const body = Readable.from(
      (async function* () {
        yield randomBytes(64 * 1024);
        yield randomBytes(64 * 1024);
        throw failure;
      })(),
    );
    await expect(driver().write(`${p}broken.bin`, body)).rejects.toBe(failure);
    expect(await driver().stat(`${p}broken.bin`)).toBeNull();
    expect(await listAll(driver(), p)).toEqual([]);
  });

  it("an aborted signal rejects every call with signal.reason", async () => {
    const p = prefix();
    await driver().write(`${p}there.txt`, "x");
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    controller.abort(reason);
    const signal = controller.signal;
    await expect(driver().stat(`${p}there.txt`, { signal })).rejects.toBe(reason);
    await expect(driver().read(`${p}there.txt`, { signal })).rejects.toBe(reason);
    await expect(driver().write(`${p}new.txt`, "y", { signal })).rejects.toBe(reason);
    await expect(driver().delete(`${p}there.txt`, { signal })).rejects.toBe(reason);
    await expect(listAll2(driver(), p, signal)).rejects.toBe(reason);
    expect(await driver().stat(`${p}new.txt`)).toBeNull();
    expect(await driver().stat(`${p}there.txt`)).not.toBeNull();
  });

  it("aborting during a streamed write rejects with signal.reason and leaves nothing", async () => {
    const p = prefix();
    const controller = new AbortController();
    const reason = new Error("stop now");
    const body = Readable.from(
      (async function* () {
        yield randomBytes(64 * 1024);
        controller.abort(reason);
        await new Promise((resolve) => setTimeout(resolve, 50));
        yield randomBytes(64 * 1024);
      })(),
    );
    await expect(driver().write(`${p}aborted.bin`, body, { signal: controller.signal })).rejects.toBe(reason);
    expect(await driver().stat(`${p}aborted.bin`)).toBeNull();
  });
}

async function listAll2(driver: StorageDriver, prefix: string, signal: AbortSignal): Promise<void> {
  for await (const _ of driver.list(prefix, { signal })) {
    // drain
  }
}
