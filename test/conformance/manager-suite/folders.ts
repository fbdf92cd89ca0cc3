/** logFolder, openFolderLog, artifactPath and downloads into folders that already hold files. */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function registerFolderAndDownload(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "logFolder then download puts the folder's contents at the version root (scaffold test_log_folder)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const artifact = await m.logFolder(
        "folder_art",
        async (dir) => {
          await writeFile(join(dir, "example.txt"), "Example content");
          await mkdir(join(dir, "sub", "deeper"), { recursive: true });
          await writeFile(join(dir, "sub", "deeper", "x.bin"), randomBytes(2000));
        },
        { collection, description: "folder" },
      );
      expect(artifact).toEqual({ name: "folder_art", collection, version: "v0" });
      const to = join(s.local(), `folder-${randomBytes(4).toString("hex")}`);
      await m.downloadArtifact("folder_art", { collection, to });
      expect(await readFile(join(to, "example.txt"), "utf8")).toBe("Example content");
      expect((await stat(join(to, "sub", "deeper", "x.bin"))).size).toBe(2000);
      const record = await m.getVersion("folder_art", { collection });
      expect(record.files.map((f) => f.path)).toEqual(["example.txt", "sub/deeper/x.bin"]);
    },
    timeout,
  );

  it(
    "logFolder with nothing written (or only empty folders) logs nothing and returns null; a callback error reaches the caller",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      expect(await m.logFolder("nothing", async () => {}, { collection })).toBeNull();
      const onlyFolders = async (dir: string) => {
        await mkdir(join(dir, "empty", "deeper"), { recursive: true });
        await mkdir(join(dir, "also-empty"));
      };
      expect(await m.logFolder("nothing", onlyFolders, { collection })).toBeNull();
      const failure = new Error("callback failed");
      await expect(
        m.logFolder(
          "nothing",
          async (dir) => {
            await writeFile(join(dir, "half.txt"), "x");
            throw failure;
          },
          { collection },
        ),
      ).rejects.toBe(failure);
      expect(await m.existsInCollection("nothing", collection)).toBe(false);
    },
    timeout,
  );

  it(
    "openFolderLog logs only on commit and removes its folder",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      let kept = "";
      {
        await using log = await m.openFolderLog("disposable");
        kept = log.path;
        await writeFile(join(log.path, "never.txt"), "not committed");
      }
      await expect(stat(kept)).rejects.toThrow();
      expect(await m.existsInCollection("disposable", collection)).toBe(false);
      await using log = await m.openFolderLog("disposable");
      await writeFile(join(log.path, "yes.txt"), "committed");
      expect((await log.commit({ collection }))?.version).toBe("v0");
      await expectCode(log.commit({ collection }), "INVALID_ARGUMENT");
    },
    timeout,
  );

  it(
    "logs a single file at a nested artifactPath",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("nested", await s.file("local-name.txt", "nested"), {
        collection,
        artifactPath: "a/b/c.txt",
      });
      const to = join(s.local(), `nested-${randomBytes(4).toString("hex")}`);
      await m.downloadArtifact("nested", { collection, to });
      expect(await readFile(join(to, "a", "b", "c.txt"), "utf8")).toBe("nested");
    },
    timeout,
  );

  it(
    "downloading into a folder with files overwrites same-named files and keeps the others",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("overwrite", await s.file("same.txt", "from store"), { collection });
      const to = join(s.local(), `ow-${randomBytes(4).toString("hex")}`);
      await mkdir(to, { recursive: true });
      await writeFile(join(to, "same.txt"), "old local");
      await writeFile(join(to, "other.txt"), "keep me");
      await m.downloadArtifact("overwrite", { collection, to });
      expect(await readFile(join(to, "same.txt"), "utf8")).toBe("from store");
      expect(await readFile(join(to, "other.txt"), "utf8")).toBe("keep me");
    },
    timeout,
  );
}
