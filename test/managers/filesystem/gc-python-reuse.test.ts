/**
 * A failed log leaves its number dead (a tombstone) and its folder gone, so Python scaffold, which picks
 * 1 + the largest `v<N>/` folder and reads no tombstones, may log into that very number. gc must never
 * delete that Python version: a dead number's files newer than its tombstone are left alone. Runs
 * scaffold's own code against a local store.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { pythonLog, pythonVersions } from "../../fixtures/gc/gc-scenarios.js";
import { PYTHON, tempFolder } from "./helpers.js";

const run = promisify(execFile);

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempFolder("gc-python-reuse-");
});
afterEach(() => dir.remove());

it("gc keeps a Python version logged into a number our failed log left dead", async () => {
  const root = join(dir.path, "store");
  const base = createLocalDriver({ root });
  await writeFile(join(dir.path, "ours.txt"), "ours");
  await new FileSystemArtifactManager({ driver: base }).logFiles("art", join(dir.path, "ours.txt"));
  // Our v1 fails before its record: tombstone, then its files (and folder) go.
  const failing: StorageDriver = Object.create(base) as StorageDriver;
  failing.write = async (key, body, options) => {
    if (key.endsWith("meta/versions/v1.json") && body !== "") throw new Error("injected: disk full");
    return base.write(key, body, options);
  };
  await expect(
    new FileSystemArtifactManager({ driver: failing }).logFiles("art", join(dir.path, "ours.txt")),
  ).rejects.toThrow(/injected/);
  expect((await base.stat("default/art/meta/versions/v1.json"))?.size).toBe(0);
  // The source file is years old: what gc ages is the copy in the store (fsspec does not keep mtimes).
  await mkdir(join(dir.path, "py"));
  await writeFile(join(dir.path, "py", "python.txt"), "from python");
  await utimes(join(dir.path, "py", "python.txt"), new Date("2020-01-01"), new Date("2020-01-01"));
  expect(await pythonLog(root, "art", join(dir.path, "py"))).toBe("v1");
  const manager = new FileSystemArtifactManager({ driver: base });
  const result = await manager.collectGarbage({ olderThanMs: 0 });
  expect(result.items.filter((item) => item.kind === "upload")).toEqual([]);
  expect(await pythonVersions(root, "default", "art")).toEqual(["v0", "v1"]);
  const pythonFiles = await run(PYTHON, [
    "-c",
    "import os,sys;print(sorted(f for _,_,fs in os.walk(sys.argv[1]) for f in fs))",
    join(root, "default", "art", "v1"),
  ]);
  expect(pythonFiles.stdout).toMatch(/python\.txt/);
  // We do not show it (the number is dead for us), and our next log takes a fresh number.
  expect(await manager.listVersions("art")).toEqual(["v0"]);
  expect((await manager.logFiles("art", join(dir.path, "ours.txt"))).version).toBe("v2");
  expect(await readFile(join(dir.path, "ours.txt"), "utf8")).toBe("ours");
});

it("gc removes the empty v<N>/ a crash left between the exclusive mkdir and the rename (Python listed it)", async () => {
  const root = join(dir.path, "store");
  const base = createLocalDriver({ root });
  await writeFile(join(dir.path, "ours.txt"), "ours");
  const manager = new FileSystemArtifactManager({ driver: base });
  await manager.logFiles("art", join(dir.path, "ours.txt"));
  // What a writer killed right after `mkdir v1` leaves: its claim and an empty folder.
  await base.write("default/art/meta/versions/v1.claim", JSON.stringify({ version: "v1", nonce: "x" }), {
    ifNotExists: true,
  });
  await mkdir(join(root, "default", "art", "v1"));
  expect(await pythonVersions(root, "default", "art")).toEqual(["v0", "v1"]);
  expect(await manager.listVersions("art")).toEqual(["v0"]);
  await manager.collectGarbage({ olderThanMs: 0 });
  expect(await pythonVersions(root, "default", "art")).toEqual(["v0"]);
  expect((await manager.logFiles("art", join(dir.path, "ours.txt"))).version).toBe("v2");
});
