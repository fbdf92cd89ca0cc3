/** The port of Python scaffold's own artifact manager tests. */
import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { SuiteContext } from "./context.js";

export function registerScaffoldPort(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "logs a file as v0, then v1 with a description (scaffold test_log_files)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const path = await s.file("file.txt", "first");
      expect(await m.logFiles("my_artifact", path, { collection })).toEqual({
        name: "my_artifact",
        collection,
        version: "v0",
      });
      const second = await s.file("file.txt", "second");
      const v1 = await m.logFiles("my_artifact", second, { collection, description: "the second one" });
      expect(v1.version).toBe("v1");
      expect(await m.listVersions("my_artifact", { collection })).toEqual(["v0", "v1"]);
      expect((await m.getVersion("my_artifact", { collection, version: "v1" })).description).toBe(
        "the second one",
      );
      if (s.options.readDescription) {
        expect(await s.options.readDescription({ manager: m, collection, name: "my_artifact" })).toBe(
          "the second one",
        );
      }
    },
    timeout,
  );

  it(
    "exists and existsInCollection (scaffold test_exists)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const other = s.collection();
      const name = `exists_${randomBytes(3).toString("hex")}`;
      expect(await m.exists(name)).toBe(false);
      expect(await m.existsInCollection(name, collection)).toBe(false);
      await m.logFiles(name, await s.file("a.txt", "a"), { collection });
      expect(await m.exists(name)).toBe(true);
      expect(await m.existsInCollection(name, collection)).toBe(true);
      expect(await m.existsInCollection(name, other)).toBe(false);
      expect(await m.listArtifacts(collection)).toContain(name);
      expect(await m.listCollectionNames()).toContain(collection);
    },
    timeout,
  );

  it(
    "downloads v0 and v1 by number, name and latest (scaffold test_download_artifact)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("dl", await s.file("file.txt", "zero"), { collection });
      await m.logFiles("dl", await s.file("file.txt", "one"), { collection });
      for (const [version, content] of [
        ["v0", "zero"],
        [0, "zero"],
        ["v1", "one"],
        [1, "one"],
        ["latest", "one"],
        [undefined, "one"],
      ] as const) {
        const to = join(s.local(), `dl-${randomBytes(4).toString("hex")}`);
        const got = await m.downloadArtifact("dl", {
          collection,
          to,
          ...(version === undefined ? {} : { version }),
        });
        expect(got.version).toBe(content === "zero" ? "v0" : "v1");
        expect(await readFile(join(to, "file.txt"), "utf8")).toBe(content);
      }
    },
    timeout,
  );

  it(
    "downloads into a temporary folder that is removed on dispose (scaffold test_download_tmp)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("tmp_dl", await s.file("file.txt", "temporary"), { collection });
      let path = "";
      {
        await using tmp = await m.downloadArtifact("tmp_dl", { collection });
        path = tmp.path;
        expect(tmp.artifact.version).toBe("v0");
        expect(await readFile(join(tmp.path, "file.txt"), "utf8")).toBe("temporary");
      }
      await expect(stat(path)).rejects.toThrow();
      const tmp = await m.downloadArtifact("tmp_dl", { collection, version: "v0" });
      await tmp.cleanup();
      await tmp.cleanup();
      await expect(stat(tmp.path)).rejects.toThrow();
    },
    timeout,
  );
}
