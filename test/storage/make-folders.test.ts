import { mkdtemp, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeFolders } from "../../src/storage/make-folders.js";

describe("makeFolders", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "am-make-folders-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("creates folders while others prune the empty parents (Node's mkdir fails there with ENOENT/ENOTDIR)", async () => {
    const leaves = ["x0", "x1", "x2"].map((leaf) => join(root, "meta", "staging", leaf));
    const prune = [...leaves, join(root, "meta", "staging"), join(root, "meta")];
    let making = true;
    const failures: unknown[] = [];
    const maker = async () => {
      for (let i = 0; i < 400; i++) {
        const leaf = leaves[i % leaves.length] as string;
        await makeFolders(leaf).catch((error: unknown) => failures.push(error));
      }
    };
    const pruner = async () => {
      while (making) for (const folder of prune) await rmdir(folder).catch(() => {});
    };
    const pruners = [pruner(), pruner()];
    await Promise.all([maker(), maker()]);
    making = false;
    await Promise.all(pruners);
    expect(failures).toEqual([]);
  });

  it("throws ENOTDIR when a file is in the way, returns the first folder made, undefined when all exist", async () => {
    await writeFile(join(root, "file"), "x");
    await expect(makeFolders(join(root, "file", "sub"))).rejects.toMatchObject({ code: "ENOTDIR" });
    expect(await makeFolders(join(root, "a", "b"))).toBe(join(root, "a"));
    expect(await makeFolders(join(root, "a", "b"))).toBeUndefined();
    expect((await stat(join(root, "a", "b"))).isDirectory()).toBe(true);
  });
});
