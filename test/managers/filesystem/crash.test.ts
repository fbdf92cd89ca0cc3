/** A writer SIGKILLed mid-upload: its version stays invisible, later logs continue, gc cleans up. */
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { listTree, tempFolder } from "./helpers.js";
import { startWorker, waitForLine } from "./processes.js";

describe.each([
  ["staged + atomic rename (local disk)", [] as string[]],
  ["claim + direct upload (object-store path)", ["direct"]],
])("crash mid-upload: %s", (_label, extra) => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-crash-");
  });
  afterEach(() => dir.remove());

  it("the killed writer's version is invisible, later logs continue and gc removes the leftovers", async () => {
    const root = join(dir.path, "store");
    const manager = new FileSystemArtifactManager({ url: root });
    const file = join(dir.path, "before.txt");
    await writeFile(file, "committed before the crash");
    expect((await manager.logFiles("art", file)).version).toBe("v0");

    const worker = startWorker(["hang", root, "art", "40", ...extra]);
    await waitForLine(worker, "HANG");
    worker.child.kill("SIGKILL");
    await worker.exited;
    expect(worker.output()).not.toContain("FINISHED");
    const leftovers = (await listTree(root)).filter((path) => !path.startsWith("default/art/v0/"));
    // The writer left half an upload behind (staging folder or v1/ under a claim)…
    expect(
      leftovers.some((path) => path.includes("/meta/staging/") || path.startsWith("default/art/v1/")),
    ).toBe(true);

    // …that nobody sees.
    expect(await manager.listVersions("art")).toEqual(["v0"]);
    expect((await manager.getVersion("art")).version).toBe("v0");
    expect(await manager.verify("art", { version: "v0" })).toMatchObject({ ok: true });

    await writeFile(file, "after the crash");
    const next = await manager.logFiles("art", file);
    expect(["v1", "v2"]).toContain(next.version);
    expect(await manager.listVersions("art")).toEqual(["v0", next.version]);

    const beforeGc = await listTree(root);
    const dry = await manager.collectGarbage({ olderThanMs: 0, dryRun: true });
    expect(dry.items.length).toBeGreaterThan(0);
    expect(await listTree(root)).toEqual(beforeGc);
    const gc = await manager.collectGarbage({ olderThanMs: 0 });
    expect(gc.items.map((item) => item.kind).sort()).toEqual(dry.items.map((item) => item.kind).sort());
    const after = await listTree(root);
    expect(after.filter((path) => path.includes("/meta/staging/"))).toEqual([]);
    expect(await manager.listVersions("art")).toEqual(["v0", next.version]);
    for (const version of ["v0", next.version]) {
      expect(await manager.verify("art", { version })).toEqual({
        ok: true,
        missing: [],
        extra: [],
        changed: [],
      });
    }
    // Only committed versions keep a folder.
    const folders = (await readdir(join(root, "default", "art")))
      .filter((name) => name.startsWith("v"))
      .sort();
    expect(folders).toEqual(["v0", next.version].sort());
    expect((await manager.logFiles("art", file)).version).toBe(`v${Number(next.version.slice(1)) + 1}`);
  }, 120_000);

  it("gc keeps young leftovers (grace period) and reports nothing for a clean store", async () => {
    const root = join(dir.path, "store");
    const manager = new FileSystemArtifactManager({ url: root });
    const file = join(dir.path, "f.txt");
    await writeFile(file, "x");
    await manager.logFiles("clean", file);
    expect((await manager.collectGarbage({ olderThanMs: 0 })).items).toEqual([]);
    const worker = startWorker(["hang", root, "clean", "10", ...extra]);
    await waitForLine(worker, "HANG");
    worker.child.kill("SIGKILL");
    await worker.exited;
    const before = await listTree(root);
    expect((await manager.collectGarbage({ olderThanMs: 60 * 60 * 1000 })).items).toEqual([]);
    expect(await listTree(root)).toEqual(before);
  }, 120_000);
});
