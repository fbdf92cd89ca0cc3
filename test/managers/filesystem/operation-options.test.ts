/** `signal` and `onProgress` are checked before anything is read or written. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { listTree, tempFolder } from "./helpers.js";

describe("operation options are validated up front", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-opts-");
  });
  afterEach(() => dir.remove());

  it("logFiles, logFolder and downloadArtifact reject a bad signal or onProgress with INVALID_ARGUMENT", async () => {
    const root = join(dir.path, "store");
    const manager = new FileSystemArtifactManager({ url: root });
    const file = join(dir.path, "f.txt");
    await writeFile(file, "x");
    const bad = [{ signal: new AbortController() as never }, { onProgress: "yes" as never }];
    let called = false;
    for (const options of bad) {
      await expect(manager.logFiles("art", file, options)).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
      await expect(
        manager.logFolder(
          "art",
          () => {
            called = true;
          },
          options,
        ),
      ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    }
    expect(called).toBe(false);
    expect(await listTree(dir.path)).toEqual(["f.txt"]);
    await manager.logFiles("art", file);
    const to = join(dir.path, "out");
    for (const options of bad) {
      await expect(manager.downloadArtifact("art", { ...options, to })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
      await expect(manager.downloadArtifact("art", options)).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    }
    expect((await listTree(dir.path)).filter((path) => !path.startsWith("store/"))).toEqual(["f.txt"]);
  });
});
