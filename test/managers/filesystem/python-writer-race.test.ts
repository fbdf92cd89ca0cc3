/**
 * Issue 17 item 3 (local): Python scaffold creates `v<N>/` first and copies its files in afterwards,
 * without claims. Our writer renaming its staging folder onto that still EMPTY `v<N>/` must give N up
 * (the rename would silently replace the empty folder and merge both writers into one version).
 * The window is forced: a driver wrapper makes `v<N>/` right before our rename, and scaffold's own code
 * is held between its `mkdirs` and its `put` while our writer runs.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { listTree, PYTHON, tempFolder } from "./helpers.js";

/** Python scaffold's own sources (upstream, verbatim): SCAFFOLD_PYTHONPATH or the shared checkout. */
const SCAFFOLD_PYTHONPATH =
  process.env.SCAFFOLD_PYTHONPATH ?? fileURLToPath(new URL("../../vendor/scaffold", import.meta.url));
const PAUSED_LOG = fileURLToPath(new URL("../../fixtures/local/scaffold_paused_log.py", import.meta.url));

/** A local driver whose renamePrefix first runs `before(to)`, once (what a Python writer does meanwhile). */
function localDriverWithPreRename(root: string, before: (toFolder: string) => Promise<void>): StorageDriver {
  const inner = createLocalDriver({ root });
  const localPath = (key: string) => (inner.localPath as (key: string) => string)(key);
  let done = false;
  return {
    backend: inner.backend,
    url: inner.url,
    capabilities: inner.capabilities,
    stat: (key, options) => inner.stat(key, options),
    read: (key, options) => inner.read(key, options),
    write: (key, body, options) => inner.write(key, body, options),
    list: (prefix, options) => inner.list(prefix, options),
    delete: (key, options) => inner.delete(key, options),
    localPath,
    renamePrefix: async (from, to, options) => {
      if (!done) {
        done = true;
        await before(localPath(to.slice(0, -1)));
      }
      return (inner.renamePrefix as NonNullable<StorageDriver["renamePrefix"]>)(from, to, options);
    },
  };
}

async function waitForFile(path: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("a Python writer's empty v<N>/ on a local store", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let root: string;
  let source: string;
  beforeEach(async () => {
    dir = await tempFolder("am-python-race-");
    root = join(dir.path, "store");
    source = join(dir.path, "ours");
    await mkdir(source);
    await writeFile(join(source, "ours.txt"), "our bytes");
  });
  afterEach(() => dir.remove());

  it("an empty v<N>/ made right before our rename: we commit v<N+1>, v<N>/ stays separate and empty", async () => {
    let made = "";
    const driver = localDriverWithPreRename(root, async (folder) => {
      made = folder;
      await mkdir(folder, { recursive: true });
    });
    const manager = new FileSystemArtifactManager({ driver });
    const logged = await manager.logFiles("art", source);
    expect(made).toBe(join(root, "default", "art", "v0"));
    expect(logged.version).toBe("v1");
    expect(await readdir(join(root, "default", "art", "v0"))).toEqual([]);
    expect(await listTree(join(root, "default", "art", "v1"))).toEqual(["ours.txt"]);
    expect((await manager.getVersion("art", { version: "v1" })).files.map((f) => f.path)).toEqual([
      "ours.txt",
    ]);
    expect(await manager.verify("art", { version: "v1" })).toMatchObject({ ok: true });
  });

  it("scaffold's own log_files, held between its mkdirs and its put: both versions stay whole and apart", async () => {
    if (!existsSync(join(SCAFFOLD_PYTHONPATH, "scaffold", "data", "artifact_manager", "filesystem.py")))
      throw new Error(
        `Python scaffold's sources are not at ${SCAFFOLD_PYTHONPATH}; set SCAFFOLD_PYTHONPATH to the folder that holds scaffold/`,
      );
    const pySource = join(dir.path, "theirs");
    await mkdir(pySource);
    await writeFile(join(pySource, "theirs.txt"), "python bytes");
    const barrier = join(dir.path, "barrier");
    await mkdir(barrier);
    let python: Promise<string> | undefined;
    const driver = localDriverWithPreRename(root, async () => {
      // Our writer holds N = 0 (claimed) and is about to rename. Python now picks v0 too, makes it and pauses.
      python = new Promise((resolve, reject) =>
        execFile(
          PYTHON,
          [PAUSED_LOG, root, "default", "art", pySource, barrier],
          { env: { ...process.env, PYTHONPATH: SCAFFOLD_PYTHONPATH } },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      await Promise.race([waitForFile(join(barrier, "paused")), python]);
      expect(await readdir(join(root, "default", "art", "v0"))).toEqual([]);
    });
    const manager = new FileSystemArtifactManager({ driver });
    const logged = await manager.logFiles("art", source);
    await writeFile(join(barrier, "go"), "");
    expect(JSON.parse(await (python as Promise<string>))).toEqual({ version: "v0" });
    expect(logged.version).toBe("v1");
    const v0 = await listTree(join(root, "default", "art", "v0"));
    expect(v0.map((path) => path.split("/").at(-1))).toEqual(["theirs.txt"]);
    expect(await listTree(join(root, "default", "art", "v1"))).toEqual(["ours.txt"]);
    expect(await manager.verify("art", { version: "v1" })).toEqual({
      ok: true,
      missing: [],
      extra: [],
      changed: [],
    });
  });
});
