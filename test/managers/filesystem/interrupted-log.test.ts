/** An interrupted first log (Ctrl-C) on a local store leaves no folder Python scaffold would list. */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { tempFolder } from "./helpers.js";

async function abortedLog(manager: FileSystemArtifactManager, name: string, folder: string): Promise<void> {
  const controller = new AbortController();
  const reason = new Error("Ctrl-C");
  let seen = 0;
  const result = manager.logFiles(name, folder, {
    signal: controller.signal,
    onProgress: (event) => {
      if (event.type === "file-done" && ++seen === 3) controller.abort(reason);
    },
  });
  await expect(result).rejects.toBe(reason);
}

describe("interrupted first log on a local store", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let folder: string;
  beforeEach(async () => {
    dir = await tempFolder("am-interrupt-");
    folder = join(dir.path, "many");
    await mkdir(folder);
    for (let i = 0; i < 30; i++) await writeFile(join(folder, `f${i}.txt`), `file ${i}`);
  });
  afterEach(() => dir.remove());

  it("removes the empty staging, artifact and collection folders", async () => {
    const root = join(dir.path, "store");
    const manager = new FileSystemArtifactManager({ url: root });
    await abortedLog(manager, "first", folder);
    expect(await readdir(root).catch(() => [])).toEqual([]);
    expect(await manager.listArtifacts()).toEqual([]);
  });

  it("keeps the folders other artifacts and versions still use", async () => {
    const root = join(dir.path, "store");
    const manager = new FileSystemArtifactManager({ url: root });
    await manager.logFiles("kept", folder);
    await abortedLog(manager, "first", folder);
    await abortedLog(manager, "kept", folder);
    expect(await readdir(join(root, "default"))).toEqual(["kept"]);
    expect((await readdir(join(root, "default", "kept", "meta"))).sort()).toEqual(["readme.txt", "versions"]);
    expect(await manager.listVersions("kept")).toEqual(["v0"]);
  });
});
