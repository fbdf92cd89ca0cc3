/** The README's library example (which mirrors the seed's examples), run on a local store. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../../src/index.js";
import { tempFolder } from "./helpers.js";

describe("README library example", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-readme-");
    await mkdir(join(dir.path, "path", "to", "local"), { recursive: true });
    await writeFile(join(dir.path, "path", "to", "local", "file.txt"), "hello");
  });
  afterEach(() => dir.remove());

  it("runs as written", async () => {
    const manager = new FileSystemArtifactManager({
      url: join(dir.path, "artifacts"),
      collection: "default",
    });
    const artifact = await manager.logFiles("my_artifact", join(dir.path, "path/to/local/file.txt"), {
      description: "first try",
    });
    expect(artifact).toEqual({ name: "my_artifact", collection: "default", version: "v0" });
    await manager.downloadArtifact("my_artifact", { to: join(dir.path, "path/to/download") });
    expect(await readFile(join(dir.path, "path/to/download/file.txt"), "utf8")).toBe("hello");
    {
      await using tmp = await manager.downloadArtifact("my_artifact");
      expect(await readFile(join(tmp.path, "file.txt"), "utf8")).toBe("hello");
    }
    await manager.logFolder(
      "my_awesome_artifact",
      async (dir) => {
        await writeFile(join(dir, "example.txt"), "Example content");
      },
      { collection: "my_collection" },
    );
    await using log = await manager.openFolderLog("my_awesome_artifact");
    await writeFile(join(log.path, "example.txt"), "Example content");
    expect(await log.commit({ collection: "my_collection" })).toMatchObject({ version: "v1" });
    const download = join(dir.path, "path/to/download2");
    await manager.downloadArtifact("my_awesome_artifact", { collection: "my_collection", to: download });
    expect(await readFile(join(download, "example.txt"), "utf8")).toBe("Example content");
  });
});
