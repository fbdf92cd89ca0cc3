/**
 * Issue 20, "never move the same bytes twice", on one file store: identical re-logs with
 * `ifUnchanged: "reuse"`, unchanged files copied inside the store (`StorageDriver.copy`) while every
 * version still holds all its files under `v<N>/`, and a failed copy falling back to an upload.
 * Run on every file-store backend (test/managers/filesystem/reuse.test.ts, test/managers/cloud/reuse.test.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../src/core/types.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver } from "../../src/storage/driver.js";

/** A manager on a fresh store, and its cleanup. */
export interface ReuseFixture {
  manager: FileSystemArtifactManager;
  cleanup: () => Promise<void>;
}

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Files copied inside the store during one log (from its progress events). */
function copiedPaths(events: ProgressEvent[]): string[] {
  return events
    .filter((e) => e.type === "file-done" && e.copied === true)
    .map((e) => (e as { path: string }).path)
    .sort();
}

/** Keys under `v<N>/` with their sizes. */
async function storedFiles(driver: StorageDriver, prefix: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for await (const entry of driver.list(prefix))
    if (entry.type === "object") found[entry.key.slice(prefix.length)] = entry.size;
  return found;
}

export function describeReuseSuite(name: string, setup: () => Promise<ReuseFixture>, timeout = 60_000): void {
  describe(`reuse of unchanged bytes: ${name}`, () => {
    let fixture: ReuseFixture | undefined;
    let local = "";
    beforeAll(async () => {
      fixture = await setup();
      local = await mkdtemp(join(tmpdir(), "am-reuse-"));
    });
    afterAll(async () => {
      await fixture?.cleanup();
      if (local) await rm(local, { recursive: true, force: true });
    });
    const manager = () => fixture?.manager as FileSystemArtifactManager;
    const collection = () => `c-${randomBytes(4).toString("hex")}`;
    /** A folder with the given files (path → bytes). */
    const folder = async (files: Record<string, Buffer>) => {
      const dir = join(local, randomBytes(4).toString("hex"));
      for (const [path, data] of Object.entries(files)) {
        await mkdir(join(dir, path, ".."), { recursive: true });
        await writeFile(join(dir, path), data);
      }
      return dir;
    };

    it(
      "a new version copies unchanged files (same or other path) inside the store and uploads the rest",
      async () => {
        const c = collection();
        const big = randomBytes(200_000);
        const moved = randomBytes(70_001);
        const tiny = Buffer.from("tiny but equal");
        const first = await folder({
          "big.bin": big,
          "old/place.bin": moved,
          "t.txt": tiny,
          "x.txt": Buffer.from("1"),
        });
        await manager().logFiles("data", first, { collection: c });
        const changed = Buffer.from("2");
        const second = await folder({
          "big.bin": big,
          "new/place.bin": moved,
          "t.txt": tiny,
          "x.txt": changed,
        });
        const events: ProgressEvent[] = [];
        const v1 = await manager().logFiles("data", second, {
          collection: c,
          onProgress: (e) => events.push(e),
        });
        expect(v1.version).toBe("v1");
        expect(v1.reused).toBeUndefined();
        expect(copiedPaths(events)).toEqual(["big.bin", "new/place.bin", "t.txt"]);
        const record = await manager().getVersion("data", { collection: c, version: "v1" });
        expect(record.files.map((f) => [f.path, f.size, f.sha256])).toEqual([
          ["big.bin", big.length, sha(big)],
          ["new/place.bin", moved.length, sha(moved)],
          ["t.txt", tiny.length, sha(tiny)],
          ["x.txt", 1, sha(changed)],
        ]);
        // Every version holds all its files under v<N>/ (what Python scaffold reads).
        const driver = await manager().getDriver();
        expect(await storedFiles(driver, `${c}/data/v1/`)).toEqual({
          "big.bin": big.length,
          "new/place.bin": moved.length,
          "t.txt": tiny.length,
          "x.txt": 1,
        });
        expect((await manager().verify("data", { collection: c, version: "v1" })).ok).toBe(true);
        const out = join(local, `out-${randomBytes(4).toString("hex")}`);
        await manager().downloadArtifact("data", { collection: c, version: "v1", to: out });
        expect(Buffer.compare(await readFile(join(out, "new/place.bin")), moved)).toBe(0);
        expect(Buffer.compare(await readFile(join(out, "big.bin")), big)).toBe(0);
        // v0 is untouched.
        expect((await manager().verify("data", { collection: c, version: "v0" })).ok).toBe(true);
      },
      timeout,
    );

    it(
      'ifUnchanged: "reuse" returns the latest version for identical content; the default logs a new one',
      async () => {
        const c = collection();
        const files = { "a.bin": randomBytes(100_000), "b/c.txt": Buffer.from("c") };
        const dir = await folder(files);
        await manager().logFiles("m", dir, { collection: c, description: "first" });
        const reused = await manager().logFiles("m", await folder(files), {
          collection: c,
          ifUnchanged: "reuse",
          description: "ignored",
        });
        expect(reused).toEqual({ name: "m", collection: c, version: "v0", reused: true });
        expect(await manager().listVersions("m", { collection: c })).toEqual(["v0"]);
        expect((await manager().getVersion("m", { collection: c })).description).toBe("first");
        // Default: a new version per log (all its files copied, none uploaded).
        const events: ProgressEvent[] = [];
        const next = await manager().logFiles("m", dir, { collection: c, onProgress: (e) => events.push(e) });
        expect(next.version).toBe("v1");
        expect(copiedPaths(events)).toEqual(["a.bin", "b/c.txt"]);
        // One changed byte, or one more file, or a renamed file: not unchanged.
        const changed = { ...files, "a.bin": Buffer.from(files["a.bin"]) };
        changed["a.bin"][0] = (changed["a.bin"][0] as number) ^ 1;
        const v2 = await manager().logFiles("m", await folder(changed), {
          collection: c,
          ifUnchanged: "reuse",
        });
        expect(v2).toMatchObject({ version: "v2" });
        expect(v2.reused).toBeUndefined();
        const renamed = { "a2.bin": changed["a.bin"], "b/c.txt": files["b/c.txt"] };
        expect(
          (await manager().logFiles("m", await folder(renamed), { collection: c, ifUnchanged: "reuse" }))
            .version,
        ).toBe("v3");
        expect(
          (await manager().logFiles("m", await folder(renamed), { collection: c, ifUnchanged: "reuse" }))
            .version,
        ).toBe("v3");
      },
      timeout,
    );

    it(
      "a copy that fails (its source deleted under it) falls back to uploading the file",
      async () => {
        const c = collection();
        const data = randomBytes(90_000);
        await manager().logFiles("f", await folder({ "d.bin": data }), { collection: c });
        const driver = await manager().getDriver();
        const copy = driver.copy?.bind(driver);
        expect(copy).toBeTypeOf("function");
        let calls = 0;
        const failing: StorageDriver = Object.create(driver);
        failing.copy = async (from, to, options) => {
          calls++;
          await driver.delete(from); // the real store answers the copy with NOT_FOUND
          return (copy as NonNullable<typeof copy>)(from, to, options);
        };
        const other = new FileSystemArtifactManager({ driver: failing });
        const events: ProgressEvent[] = [];
        const v1 = await other.logFiles("f", await folder({ "d.bin": data }), {
          collection: c,
          onProgress: (e) => events.push(e),
        });
        expect(calls).toBe(1);
        expect(v1.version).toBe("v1");
        expect(copiedPaths(events)).toEqual([]);
        expect((await manager().verify("f", { collection: c, version: "v1" })).ok).toBe(true);
      },
      timeout,
    );
  });
}
