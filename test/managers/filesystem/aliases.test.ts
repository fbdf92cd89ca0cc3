/** Alias objects: damaged ones give clear errors; moves and removals race safely on a local store. */
import { rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { tempFolder } from "./helpers.js";

describe("damaged alias objects", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-alias-");
  });
  afterEach(() => dir.remove());

  it("an alias object that is not JSON is UNEXPECTED naming its key, and setAlias repairs it", async () => {
    const driver = createMemoryDriver();
    const manager = new FileSystemArtifactManager({ driver });
    const file = join(dir.path, "f.txt");
    await writeFile(file, "x");
    await manager.logFiles("art", file);
    const key = "default/art/meta/aliases/best.json";
    for (const text of ["{not json", "null", '{"version":7}']) {
      await driver.write(key, text);
      for (const action of [
        () => manager.listAliases("art"),
        () => manager.getVersion("art", { version: "best" }),
      ]) {
        const error = await action().catch((e: unknown) => e);
        expect(error, text).toMatchObject({ code: "UNEXPECTED" });
        expect((error as Error).message).toContain(key);
      }
    }
    await manager.setAlias("art", "best");
    expect(await manager.listAliases("art")).toEqual({ best: "v0" });
  });
});

describe("setAlias racing removeAlias on a local store (issue 17 item 8)", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-alias-race-");
  });
  afterEach(() => dir.remove());

  it("a removal pruning the aliases folder between setAlias's mkdir and its write: setAlias still succeeds", async () => {
    const root = join(dir.path, "store");
    const aliases = join(root, "default", "art", "meta", "aliases");
    let pruned = 0;
    const driver = createLocalDriver({
      root,
      hooks: {
        // A concurrent removeAlias's delete removes the folder it emptied. The first time, that lands
        // inside Node's recursive mkdir (after its EEXIST, before its stat), which then fails with
        // ENOENT; the second time, between the mkdir and the open of the temporary file.
        afterMkdir: async (folder) => {
          if (folder !== aliases || pruned >= 2) return;
          pruned++;
          await rmdir(folder);
          if (pruned === 1)
            throw Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${folder}'`), {
              code: "ENOENT",
            });
        },
      },
    });
    const manager = new FileSystemArtifactManager({ driver });
    const file = join(dir.path, "f.txt");
    await writeFile(file, "x");
    await manager.logFiles("art", file);
    await manager.setAlias("art", "best");
    expect(pruned).toBe(2);
    expect(await manager.listAliases("art")).toEqual({ best: "v0" });
  });

  it("400 concurrent setAlias/removeAlias pairs on an existing alias: no error", async () => {
    const root = join(dir.path, "store");
    const manager = new FileSystemArtifactManager({ url: root });
    const file = join(dir.path, "f.txt");
    await writeFile(file, "x");
    await manager.logFiles("art", file);
    const errors: unknown[] = [];
    for (let i = 0; i < 400; i++) {
      // The alias exists when the pair starts, so the removal always finds it; the move may then
      // find it gone and create it again while the removal prunes the emptied aliases folder.
      await manager.setAlias("art", "best");
      await Promise.all([
        manager.setAlias("art", "best").catch((error: unknown) => errors.push(error)),
        manager.removeAlias("art", "best").catch((error: unknown) => errors.push(error)),
      ]);
    }
    expect(errors).toEqual([]);
  }, 120_000);
});
