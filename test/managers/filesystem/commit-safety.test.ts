/**
 * A log never commits a version whose files are gone, and a failed commit leaves no `v<N>/` folder
 * behind (Python scaffold would list it). Both write paths: staged + atomic rename, and direct upload.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { withoutAtomicRename } from "../../fixtures/filesystem/without-atomic-rename.js";
import { tempFolder } from "./helpers.js";

/** A driver that behaves like `base` but runs `hooks` around some calls. */
function hooked(
  base: StorageDriver,
  hooks: {
    beforeRename?: (from: string) => Promise<void>;
    afterWrite?: (key: string) => Promise<void>;
    failWrite?: (key: string) => boolean;
  },
): StorageDriver {
  const driver = Object.create(base) as StorageDriver;
  Object.assign(driver, {
    write: async (...args: Parameters<StorageDriver["write"]>) => {
      if (hooks.failWrite?.(args[0])) throw new Error(`injected failure writing ${args[0]}`);
      const result = await base.write(...args);
      await hooks.afterWrite?.(args[0]);
      return result;
    },
    ...(base.renamePrefix
      ? {
          renamePrefix: async (from: string, to: string) => {
            await hooks.beforeRename?.(from);
            return base.renamePrefix?.(from, to);
          },
        }
      : {}),
  });
  return driver;
}

describe.each([
  ["staged + atomic rename", false],
  ["direct upload (object-store path)", true],
])("commit safety: %s", (_label, direct) => {
  let dir: { path: string; remove: () => Promise<void> };
  let file: string;
  // The direct path streams through `write` on memory (a local driver copies via `localPath`).
  let store: StorageDriver;
  const base = () => (direct ? withoutAtomicRename(store) : store);
  beforeEach(async () => {
    dir = await tempFolder("am-commit-");
    store = direct ? createMemoryDriver() : createLocalDriver({ root: join(dir.path, "store") });
    file = join(dir.path, "f.txt");
    await writeFile(file, "payload");
  });
  afterEach(() => dir.remove());

  const versionFolders = async (name: string) => {
    const folders: string[] = [];
    for await (const entry of store.list(`default/${name}/`, { delimiter: true }))
      if (entry.type === "prefix" && /\/v\d+\/$/.test(entry.key)) folders.push(entry.key.split("/")[2] ?? "");
    return folders;
  };

  it("gc --older-than 0 during the log deletes the upload: the log fails and commits nothing", async () => {
    const gc = new FileSystemArtifactManager({ driver: base() });
    let collected = 0;
    const runGc = async () => {
      collected += (await gc.collectGarbage({ olderThanMs: 0 })).items.length;
    };
    const driver = hooked(
      base(),
      direct
        ? { afterWrite: async (key) => (key === "default/art/v0/f.txt" ? runGc() : undefined) }
        : { beforeRename: runGc },
    );
    const manager = new FileSystemArtifactManager({ driver });
    await expect(manager.logFiles("art", file)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(collected).toBeGreaterThan(0);
    expect(await manager.listVersions("art")).toEqual([]);
    expect(await versionFolders("art")).toEqual([]);
    // The next log works and gets a fresh number.
    const plain = new FileSystemArtifactManager({ driver: base() });
    const next = await plain.logFiles("art", file);
    expect(await plain.listVersions("art")).toEqual([next.version]);
    expect(await plain.verify("art")).toMatchObject({ ok: true });
  });

  it("a failed record write that never reached the store: tombstone, files removed, no visible version", async () => {
    let failures = 0;
    const driver = hooked(base(), {
      failWrite: (key) => key.endsWith("/meta/versions/v0.json") && failures++ === 0,
    });
    const manager = new FileSystemArtifactManager({ driver });
    await expect(manager.logFiles("art", file)).rejects.toThrow(/injected failure/);
    expect(await manager.listVersions("art")).toEqual([]);
    expect(await versionFolders("art")).toEqual([]);
    // The number is dead: an empty record (tombstone) that no late write can replace.
    expect((await store.stat("default/art/meta/versions/v0.json"))?.size).toBe(0);
    const plain = new FileSystemArtifactManager({ driver: base() });
    expect((await plain.logFiles("art", file)).version).toBe("v1");
    expect(await versionFolders("art")).toEqual(["v1"]);
  });

  it("a store that refuses every write of the record key: outcome unknown, nothing deleted, UNAVAILABLE", async () => {
    const driver = hooked(base(), { failWrite: (key) => key.endsWith("/meta/versions/v0.json") });
    const manager = new FileSystemArtifactManager({ driver });
    // The stat says absent, but the tombstone cannot be written: a late record could still land.
    const error = await manager.logFiles("art", file).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(String((error as Error).message)).toMatch(/could not learn whether 'art' v0 .* was committed/);
    expect(await manager.listVersions("art")).toEqual([]);
    expect(await versionFolders("art")).toEqual(["v0"]);
  });
});
