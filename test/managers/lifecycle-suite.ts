/**
 * Delete and retention (issue 20) through the public ArtifactManager API only, so every backend runs
 * the same tests: deleteVersion, deleteArtifact, prune, their rules (numbers never reused, `latest`
 * moves, aliases refused unless force), and what concurrent deletes, prunes and logs do.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import type { ArtifactManager } from "../../src/managers/artifact-manager.js";

/** A manager on a fresh store, and how to clean it up. */
export interface LifecycleFixture {
  manager: ArtifactManager;
  cleanup: () => Promise<void>;
}

/** Options of {@link describeLifecycleSuite}. */
export interface LifecycleSuiteOptions {
  /** Per-test timeout in ms. @default 60000 */
  timeout?: number;
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

/** Expects `promise` to reject with an ArtifactError of `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await rejection(promise);
  expect(isArtifactError(error) ? error.code : error).toBe(code);
}

export function describeLifecycleSuite(
  name: string,
  setup: () => Promise<LifecycleFixture>,
  options: LifecycleSuiteOptions = {},
): void {
  describe(`delete and retention: ${name}`, { timeout: options.timeout ?? 60_000 }, () => {
    let fixture: LifecycleFixture | undefined;
    let local = "";
    beforeAll(async () => {
      fixture = await setup();
      local = await mkdtemp(join(tmpdir(), "am-lifecycle-"));
    });
    afterAll(async () => {
      await fixture?.cleanup();
      if (local) await rm(local, { recursive: true, force: true });
    });
    const manager = () => {
      if (!fixture) throw new Error("setup failed");
      return fixture.manager;
    };
    const collection = () => `c-${randomBytes(4).toString("hex")}`;
    /** Logs `count` versions of `artifact`, version i holding `i.txt` and `shared.txt` ("v<i>"). */
    const logVersions = async (artifact: string, c: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const dir = join(local, randomBytes(4).toString("hex"));
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, `${i}.txt`), `file ${i} of ${artifact} `.repeat(i + 1));
        await writeFile(join(dir, "shared.txt"), `v${i}`);
        await manager().logFiles(artifact, dir, { collection: c });
      }
    };
    const download = async (artifact: string, c: string, version: string) => {
      const to = join(local, randomBytes(4).toString("hex"));
      await manager().downloadArtifact(artifact, { collection: c, version, to });
      return { to, shared: await readFile(join(to, "shared.txt"), "utf8"), files: await readdir(to) };
    };

    it("deleteVersion hides a version at once: not listed, not readable; the others stay intact", async () => {
      const c = collection();
      await logVersions("model", c, 3);
      const deleted = await manager().deleteVersion("model", { collection: c, version: "v1" });
      expect(deleted).toMatchObject({ name: "model", collection: c, version: "v1", aliases: [], files: 2 });
      expect(deleted.bytes).toBe(Buffer.byteLength("file 1 of model ".repeat(2)) + 2);
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v0", "v2"]);
      await expectCode(manager().getVersion("model", { collection: c, version: "v1" }), "NOT_FOUND");
      await expectCode(
        manager().downloadArtifact("model", { collection: c, version: 1, to: join(local, "x") }),
        "NOT_FOUND",
      );
      expect((await download("model", c, "v0")).shared).toBe("v0");
      expect((await download("model", c, "v2")).shared).toBe("v2");
      expect((await manager().getVersion("model", { collection: c })).version).toBe("v2");
    });

    it("deleting the latest moves `latest` to the highest remaining version; numbers are never reused", async () => {
      const c = collection();
      await logVersions("model", c, 3);
      await manager().deleteVersion("model", { collection: c, version: "latest" });
      expect((await manager().getVersion("model", { collection: c })).version).toBe("v1");
      expect((await download("model", c, "latest")).shared).toBe("v1");
      await manager().deleteVersion("model", { collection: c, version: 1 });
      expect((await manager().getVersion("model", { collection: c })).version).toBe("v0");
      const dir = await mkdtemp(join(local, "next-"));
      await writeFile(join(dir, "shared.txt"), "after");
      const next = await manager().logFiles("model", dir, { collection: c });
      expect(next.version).toBe("v3");
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v0", "v3"]);
    });

    it("an alias pointing at the version: CONFLICT naming it, nothing changes; force removes the alias too", async () => {
      const c = collection();
      await logVersions("model", c, 2);
      await manager().setAlias("model", "production", { collection: c, version: "v0" });
      await manager().setAlias("model", "best", { collection: c, version: "v0" });
      await manager().setAlias("model", "candidate", { collection: c, version: "v1" });
      const error = await rejection(manager().deleteVersion("model", { collection: c, version: "v0" }));
      expect(isArtifactError(error, "CONFLICT")).toBe(true);
      expect((error as Error).message).toContain("best, production");
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v0", "v1"]);
      expect((await download("model", c, "production")).shared).toBe("v0");
      // Deleting through the alias is the same version, so the same refusal.
      await expectCode(manager().deleteVersion("model", { collection: c, version: "best" }), "CONFLICT");
      const deleted = await manager().deleteVersion("model", { collection: c, version: "best", force: true });
      expect(deleted).toMatchObject({ version: "v0", aliases: ["best", "production"] });
      expect(await manager().listAliases("model", { collection: c })).toEqual({ candidate: "v1" });
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v1"]);
      await expectCode(manager().getVersion("model", { collection: c, version: "production" }), "NOT_FOUND");
    });

    it("a version deleted already, or never logged: NOT_FOUND; bad options: INVALID_ARGUMENT", async () => {
      const c = collection();
      await logVersions("model", c, 2);
      await manager().deleteVersion("model", { collection: c, version: "v0" });
      await expectCode(manager().deleteVersion("model", { collection: c, version: "v0" }), "NOT_FOUND");
      await expectCode(manager().deleteVersion("model", { collection: c, version: "v7" }), "NOT_FOUND");
      await expectCode(manager().deleteVersion("absent", { collection: c, version: "v0" }), "NOT_FOUND");
      const bad = manager() as unknown as {
        deleteVersion(name: string, options?: unknown): Promise<unknown>;
      };
      await expectCode(bad.deleteVersion("model", { collection: c }), "INVALID_ARGUMENT");
      await expectCode(bad.deleteVersion("model"), "INVALID_ARGUMENT");
      await expectCode(
        bad.deleteVersion("model", { collection: c, version: "v1", force: "yes" }),
        "INVALID_ARGUMENT",
      );
      await expectCode(bad.deleteVersion("bad/name", { collection: c, version: "v1" }), "INVALID_NAME");
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v1"]);
    });

    it("deleteArtifact removes every version (aliases refused first, unless force); numbers stay burnt", async () => {
      const c = collection();
      await logVersions("model", c, 3);
      await logVersions("other", c, 1);
      await manager().setAlias("model", "best", { collection: c, version: "v1" });
      await expectCode(manager().deleteArtifact("model", { collection: c }), "CONFLICT");
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v0", "v1", "v2"]);
      const result = await manager().deleteArtifact("model", { collection: c, force: true });
      expect(result.versions.map((v) => v.version)).toEqual(["v0", "v1", "v2"]);
      expect(result.bytes).toBe(result.versions.reduce((sum, v) => sum + v.bytes, 0));
      expect(await manager().listVersions("model", { collection: c })).toEqual([]);
      expect(await manager().existsInCollection("model", c)).toBe(false);
      expect(await manager().listArtifacts(c)).toEqual(["other"]);
      expect(await manager().listAliases("model", { collection: c })).toEqual({});
      await expectCode(manager().deleteArtifact("model", { collection: c }), "NOT_FOUND");
      await logVersions("model", c, 1);
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v3"]);
    });

    it("prune --keep-last: the newest N stay; the result names what went and the bytes freed", async () => {
      const c = collection();
      await logVersions("model", c, 5);
      const planned = await manager().prune("model", { collection: c, keepLast: 2, dryRun: true });
      expect(planned.dryRun).toBe(true);
      expect(planned.removed.map((v) => v.version)).toEqual(["v0", "v1", "v2"]);
      expect(await manager().listVersions("model", { collection: c })).toHaveLength(5);
      const result = await manager().prune("model", { collection: c, keepLast: 2 });
      expect(result.removed.map((v) => v.version)).toEqual(["v0", "v1", "v2"]);
      expect(result.bytes).toBe(planned.bytes);
      expect(result.bytes).toBe(result.removed.reduce((sum, v) => sum + v.bytes, 0));
      expect(result.kept).toEqual([
        { name: "model", collection: c, version: "v3", reason: "keep-last" },
        { name: "model", collection: c, version: "v4", reason: "keep-last" },
      ]);
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v3", "v4"]);
      expect((await download("model", c, "v3")).shared).toBe("v3");
    });

    it("prune --keep-aliased keeps aliased versions; without it they go with their aliases", async () => {
      const c = collection();
      await logVersions("model", c, 4);
      await manager().setAlias("model", "production", { collection: c, version: "v1" });
      const kept = await manager().prune("model", { collection: c, keepLast: 1, keepAliased: true });
      expect(kept.removed.map((v) => v.version)).toEqual(["v0", "v2"]);
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v1", "v3"]);
      const all = await manager().prune("model", { collection: c, keepLast: 1 });
      expect(all.removed).toMatchObject([{ version: "v1", aliases: ["production"] }]);
      expect(await manager().listAliases("model", { collection: c })).toEqual({});
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v3"]);
    });

    it("prune --older-than: versions logged within the period stay; 0 removes all but keep-last", async () => {
      const c = collection();
      await logVersions("model", c, 3);
      const young = await manager().prune("model", { collection: c, olderThan: "30d" });
      expect(young.removed).toEqual([]);
      expect(young.kept.map((k) => k.reason)).toEqual(["newer", "newer", "newer"]);
      const old = await manager().prune("model", { collection: c, olderThan: 0, keepLast: 1 });
      expect(old.removed.map((v) => v.version)).toEqual(["v0", "v1"]);
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v2"]);
    });

    it("prune of every artifact of a collection; bad rules are INVALID_ARGUMENT before anything goes", async () => {
      const c = collection();
      await logVersions("a", c, 3);
      await logVersions("b", c, 2);
      for (const bad of [{}, { keepLast: -1 }, { keepLast: 1.5 }, { olderThan: "30" }, { olderThan: "1y" }])
        await expectCode(
          manager().prune({ all: true }, { collection: c, ...bad } as never),
          "INVALID_ARGUMENT",
        );
      await expectCode(manager().prune("bad/name", { collection: c, keepLast: 1 }), "INVALID_NAME");
      expect(await manager().listVersions("a", { collection: c })).toHaveLength(3);
      const result = await manager().prune({ all: true }, { collection: c, keepLast: 1 });
      expect(result.removed.map((v) => `${v.name}:${v.version}`)).toEqual(["a:v0", "a:v1", "b:v0"]);
      expect(await manager().listVersions("a", { collection: c })).toEqual(["v2"]);
      expect(await manager().listVersions("b", { collection: c })).toEqual(["v1"]);
    });

    it("two deletes of one version at once: one deletes it, the other gets NOT_FOUND", async () => {
      const c = collection();
      await logVersions("model", c, 2);
      const outcomes = await Promise.allSettled([
        manager().deleteVersion("model", { collection: c, version: "v0" }),
        manager().deleteVersion("model", { collection: c, version: "v0" }),
      ]);
      const done = outcomes.filter((o) => o.status === "fulfilled");
      const failed = outcomes.filter((o) => o.status === "rejected");
      expect(done).toHaveLength(1);
      expect(failed.map((f) => (f as PromiseRejectedResult).reason.code)).toEqual(["NOT_FOUND"]);
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v1"]);
    });

    it("two prunes at once: each version is removed once, bytes are not counted twice", async () => {
      const c = collection();
      await logVersions("model", c, 6);
      const [a, b] = await Promise.all([
        manager().prune("model", { collection: c, keepLast: 2 }),
        manager().prune("model", { collection: c, keepLast: 2 }),
      ]);
      const removed = [...(a?.removed ?? []), ...(b?.removed ?? [])].map((v) => v.version).sort();
      expect(removed).toEqual(["v0", "v1", "v2", "v3"]);
      expect(await manager().listVersions("model", { collection: c })).toEqual(["v4", "v5"]);
    });

    it("logs running while versions are deleted get new numbers, and every log stays readable", async () => {
      const c = collection();
      await logVersions("model", c, 3);
      const logs = Array.from({ length: 3 }, async (_, i) => {
        const dir = await mkdtemp(join(local, "concurrent-"));
        await writeFile(join(dir, "shared.txt"), `concurrent ${i}`);
        return manager().logFiles("model", dir, { collection: c });
      });
      const deletes = ["v0", "v1", "v2"].map((version) =>
        manager().deleteVersion("model", { collection: c, version }),
      );
      const logged = await Promise.all(logs);
      await Promise.all(deletes);
      const numbers = logged.map((a) => a.version).sort();
      expect(new Set(numbers).size).toBe(3);
      for (const version of numbers) expect(["v0", "v1", "v2"]).not.toContain(version);
      expect(await manager().listVersions("model", { collection: c })).toEqual(numbers);
      for (const artifact of logged)
        expect((await download("model", c, artifact.version)).shared).toMatch(/^concurrent \d$/);
    });
  });
}
