/**
 * Deletes on a local store, seen from the store itself and from Python scaffold's own code (vendored):
 * what a delete leaves (a tombstone at the record key, the claim, no `v<N>/`), that scaffold no
 * longer lists a deleted version, legacy (scaffold-written) versions, and a delete process killed
 * (SIGKILL) after each step, finished by gc.
 */
import { existsSync } from "node:fs";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { createFileBarrier } from "../../fixtures/file-barrier.js";
import { pythonLog, pythonVersions } from "../../fixtures/gc/gc-scenarios.js";
import { runScript } from "../../fixtures/run-script.js";
import { Gate, gatedDriver } from "../gated-driver.js";
import { expectCode, rejection } from "../lifecycle-suite.js";
import { listTree, randomFiles, tempFolder } from "./helpers.js";

const WORKER = fileURLToPath(new URL("./delete-worker.ts", import.meta.url));
const PRUNE_WORKER = fileURLToPath(new URL("./prune-worker.ts", import.meta.url));

describe("delete on a local store, with Python scaffold reading it", { timeout: 60_000 }, () => {
  let dir: { path: string; remove: () => Promise<void> };
  let root: string;
  let source: string;
  let manager: FileSystemArtifactManager;
  const artifact = (...parts: string[]) => join(root, "default", "model", ...parts);
  beforeEach(async () => {
    dir = await tempFolder("am-delete-");
    root = join(dir.path, "store");
    source = await randomFiles(dir.path, "source", 3, 1000);
    manager = new FileSystemArtifactManager({ url: root });
  });
  afterEach(() => dir.remove());

  it("leaves a tombstone at the record key and the claim; v<N>/ and its aliases are gone; scaffold lists the rest", async () => {
    for (let i = 0; i < 3; i++) await manager.logFiles("model", source);
    await manager.setAlias("model", "best", { version: "v1" });
    expect(await pythonVersions(root, "default", "model")).toEqual(["v0", "v1", "v2"]);
    await manager.deleteVersion("model", { version: "v1", force: true });
    expect((await stat(artifact("meta", "versions", "v1.json"))).size).toBe(0);
    expect(existsSync(artifact("meta", "versions", "v1.claim"))).toBe(true);
    expect(existsSync(artifact("v1"))).toBe(false);
    expect(existsSync(artifact("meta", "aliases", "best.json"))).toBe(false);
    expect(await readdir(artifact("meta", "trash")).catch(() => [])).toEqual([]);
    expect(await pythonVersions(root, "default", "model")).toEqual(["v0", "v2"]);
    await manager.deleteVersion("model", { version: "latest" });
    expect(await pythonVersions(root, "default", "model")).toEqual(["v0"]);
    expect(await manager.listVersions("model")).toEqual(["v0"]);
    expect(await listTree(artifact("v0"))).toEqual(await listTree(source));
  });

  it("deletes a version scaffold wrote (no record): a create-only tombstone, its folder gone", async () => {
    expect(await pythonLog(root, "model", source)).toBe("v0");
    expect(await pythonLog(root, "model", source)).toBe("v1");
    expect(await manager.listVersions("model")).toEqual(["v0", "v1"]);
    const deleted = await manager.deleteVersion("model", { version: "v0" });
    expect(deleted).toMatchObject({ version: "v0", files: 3, bytes: 3000 });
    expect((await stat(artifact("meta", "versions", "v0.json"))).size).toBe(0);
    expect(existsSync(artifact("v0"))).toBe(false);
    expect(await pythonVersions(root, "default", "model")).toEqual(["v1"]);
    expect(await manager.listVersions("model")).toEqual(["v1"]);
    await expectCode(manager.deleteVersion("model", { version: "v0" }), "NOT_FOUND");
  });

  it("after the latest version is deleted, a scaffold version below it does not take its description", async () => {
    expect(await pythonLog(root, "model", source)).toBe("v0");
    expect((await manager.getVersion("model")).description).toBe("from python");
    await manager.logFiles("model", source, { description: "ours, deleted next" });
    await manager.deleteVersion("model", { version: "v1", force: true });
    expect(await manager.listVersions("model")).toEqual(["v0"]);
    // meta/readme.txt still holds v1's description: it says nothing about v0 any more.
    expect((await manager.getVersion("model", { version: "v0" })).description).toBeUndefined();
  });

  for (const [point, direct] of [
    ["after-hide", false],
    ["after-hide", true],
    ["after-rename", false],
  ] as const) {
    it(`a delete killed ${point}${direct ? " (object-store path)" : ""}: hidden at once, gc removes the rest, scaffold stops listing it`, async () => {
      for (let i = 0; i < 2; i++) await manager.logFiles("model", source);
      const args = [WORKER, root, "default", "model", "v0", point, ...(direct ? ["direct"] : [])];
      await expect(runScript(args[0] as string, args.slice(1), {}, 60_000)).rejects.toThrow(/failed|SIGKILL/);
      expect(await manager.listVersions("model")).toEqual(["v1"]);
      await expectCode(manager.getVersion("model", { version: "v0" }), "NOT_FOUND");
      // Left behind: the files under v0/ (killed after the hide) or the folder moved to meta/trash/.
      const trash = await readdir(artifact("meta", "trash")).catch(() => []);
      expect(point === "after-rename" ? trash.length : Number(existsSync(artifact("v0")))).toBe(1);
      const gc = await manager.collectGarbage();
      if (point === "after-hide")
        expect(gc.items).toMatchObject([{ kind: "upload", version: "v0", objects: 3 }]);
      expect(existsSync(artifact("v0"))).toBe(false);
      expect(await readdir(artifact("meta", "trash")).catch(() => [])).toEqual([]);
      expect(await pythonVersions(root, "default", "model")).toEqual(["v1"]);
      expect((await manager.logFiles("model", source)).version).toBe("v2");
    });
  }

  it("a download on the kernel copy path (localPath) that read the record before the delete: NOT_FOUND, target empty", async () => {
    await manager.logFiles("model", source);
    const gate = new Gate();
    const record = "default/model/meta/versions/v0.json";
    const driver = gatedDriver(createLocalDriver({ root }), {
      afterOpen: (key) => (key === record ? gate.wait() : undefined),
    });
    expect(driver.localPath).toBeDefined();
    const reader = new FileSystemArtifactManager({ driver });
    const to = join(dir.path, "out");
    const download = reader.downloadArtifact("model", { version: "v0", to });
    await gate.reached;
    await manager.deleteVersion("model", { version: "v0" });
    gate.open();
    const error = await rejection(download);
    expect(isArtifactError(error, "NOT_FOUND"), String(error)).toBe(true);
    expect(await listTree(to).catch(() => [])).toEqual([]);
  });

  for (const direct of [false, true]) {
    it(`three processes pruning one artifact at once${direct ? " (object-store path)" : ""}: each version deleted once`, async () => {
      for (let i = 0; i < 12; i++) await manager.logFiles("model", source);
      const barrier = await createFileBarrier(dir.path, 3);
      const outputs = await Promise.all(
        ["a", "b", "c"].map((worker) =>
          runScript(
            PRUNE_WORKER,
            [root, "model", "2", worker, ...(direct ? ["direct"] : [])],
            barrier,
            120_000,
          ),
        ),
      );
      const removed = outputs
        .flatMap((out) => JSON.parse(out) as string[])
        .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
      expect(removed).toEqual(Array.from({ length: 10 }, (_, n) => `v${n}`));
      expect(await manager.listVersions("model")).toEqual(["v10", "v11"]);
      expect(await pythonVersions(root, "default", "model")).toEqual(["v10", "v11"]);
    });
  }

  it("a version whose record is corrupt can still be deleted (its sizes come from the listing)", async () => {
    await manager.logFiles("model", source);
    await manager.logFiles("model", source);
    await writeFile(artifact("meta", "versions", "v0.json"), "{ not json");
    await expectCode(manager.getVersion("model", { version: "v0" }), "UNEXPECTED");
    const deleted = await manager.deleteVersion("model", { version: "v0" });
    expect(deleted).toMatchObject({ version: "v0", files: 3, bytes: 3000 });
    expect(await manager.listVersions("model")).toEqual(["v1"]);
    expect(existsSync(artifact("v0"))).toBe(false);
  });

  it("a file written into a version by a scaffold writer goes with the version", async () => {
    await manager.logFiles("model", source);
    await writeFile(artifact("v0", "extra.txt"), "python wrote this into our version");
    await manager.deleteVersion("model", { version: "v0" });
    expect(existsSync(artifact("v0"))).toBe(false);
    expect(await pythonVersions(root, "default", "model")).toEqual([]);
  });
});
