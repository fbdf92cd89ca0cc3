/** Commit records, aliases and integrity (verify, CHECKSUM_MISMATCH). */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function registerRecords(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "getVersion returns the record: sorted files with sizes and digests, metadata, createdAt",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const artifact = await m.logFolder(
        "recorded",
        async (dir) => {
          await writeFile(join(dir, "b.txt"), "bbb");
          await writeFile(join(dir, "a.txt"), "a");
        },
        { collection, metadata: { lr: 0.1, tags: ["x"] }, description: "rec" },
      );
      expect(artifact?.version).toBe("v0");
      const record = await m.getVersion("recorded", { collection, version: "latest" });
      expect(record.version).toBe("v0");
      expect(record.files.map((f) => [f.path, f.size])).toEqual([
        ["a.txt", 1],
        ["b.txt", 3],
      ]);
      if (s.options.sha256 ?? true) {
        expect(record.files[0]?.sha256).toBe(
          "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
        );
      }
      if (s.options.metadata ?? true) expect(record.metadata).toEqual({ lr: 0.1, tags: ["x"] });
      expect(Number.isNaN(Date.parse(record.createdAt ?? ""))).toBe(false);
    },
    timeout,
  );
}

export function registerAliases(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "sets, moves, resolves, lists and removes aliases",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("aliased", await s.file("f.txt", "zero"), { collection });
      await m.logFiles("aliased", await s.file("f.txt", "one"), { collection });
      expect(await m.listAliases("aliased", { collection })).toEqual({});
      expect((await m.setAlias("aliased", "best", { collection, version: "v0" })).version).toBe("v0");
      expect(await m.listAliases("aliased", { collection })).toEqual({ best: "v0" });
      const to = join(s.local(), `alias-${randomBytes(4).toString("hex")}`);
      expect((await m.downloadArtifact("aliased", { collection, version: "best", to })).version).toBe("v0");
      expect(await readFile(join(to, "f.txt"), "utf8")).toBe("zero");
      await m.setAlias("aliased", "best", { collection });
      await m.setAlias("aliased", "production", { collection, version: 0 });
      expect(await m.listAliases("aliased", { collection })).toEqual({ best: "v1", production: "v0" });
      expect((await m.getVersion("aliased", { collection, version: "best" })).version).toBe("v1");
      await m.removeAlias("aliased", "best", { collection });
      expect(await m.listAliases("aliased", { collection })).toEqual({ production: "v0" });
      await expectCode(m.removeAlias("aliased", "best", { collection }), "NOT_FOUND");
      await expectCode(m.getVersion("aliased", { collection, version: "best" }), "NOT_FOUND");
      await expectCode(m.setAlias("aliased", "latest", { collection }), "INVALID_NAME");
      await expectCode(m.setAlias("aliased", "v3", { collection }), "INVALID_NAME");
      await expectCode(m.setAlias("aliased", "bad/alias", { collection }), "INVALID_NAME");
      await expectCode(m.setAlias("aliased", "gone", { collection, version: "v9" }), "NOT_FOUND");
    },
    timeout,
  );
}

export function registerIntegrity(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "verify reports a clean version as ok",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("verified", await s.file("v.txt", "verify me"), { collection });
      expect(await m.verify("verified", { collection })).toEqual({
        ok: true,
        missing: [],
        extra: [],
        changed: [],
      });
    },
    timeout,
  );

  it.runIf(s.options.corruptFile !== undefined)(
    "a corrupted stored file: verify reports it, download fails with CHECKSUM_MISMATCH and writes nothing",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFolder(
        "corrupt",
        async (dir) => {
          await writeFile(join(dir, "good.txt"), "good content");
          await writeFile(join(dir, "bad.txt"), "original content");
        },
        { collection },
      );
      await s.options.corruptFile?.({
        manager: m,
        collection,
        name: "corrupt",
        version: "v0",
        path: "bad.txt",
      });
      expect(await m.verify("corrupt", { collection })).toEqual({
        ok: false,
        missing: [],
        extra: [],
        changed: ["bad.txt"],
      });
      const to = join(s.local(), `corrupt-${randomBytes(4).toString("hex")}`);
      await mkdir(to);
      await writeFile(join(to, "bad.txt"), "local copy");
      await expectCode(m.downloadArtifact("corrupt", { collection, to }), "CHECKSUM_MISMATCH");
      expect(await readFile(join(to, "bad.txt"), "utf8")).toBe("local copy");
      await expect(stat(join(to, "good.txt"))).rejects.toThrow();
      const fresh = join(s.local(), `corrupt-fresh-${randomBytes(4).toString("hex")}`);
      await expectCode(m.downloadArtifact("corrupt", { collection, to: fresh }), "CHECKSUM_MISMATCH");
      await expect(stat(fresh)).rejects.toThrow();
      await expectCode(m.downloadArtifact("corrupt", { collection }), "CHECKSUM_MISMATCH");
    },
    timeout,
  );
}
