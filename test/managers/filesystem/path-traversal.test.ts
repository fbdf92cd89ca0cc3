/**
 * Download path traversal: object stores accept keys such as `c/n/v0/../../x` and a record can be
 * damaged, so paths read from the store are checked before anything is written locally.
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { downloadFiles, localTarget } from "../../../src/managers/filesystem/transfer.js";
import type { ListEntry, StorageDriver } from "../../../src/storage/driver.js";
import { listTree, tempFolder } from "./helpers.js";

/** A memory store that accepts '.' and '..' key segments, as S3 does (they are escaped underneath). */
function withoutKeyChecks(base: StorageDriver): StorageDriver {
  const down = (key: string) =>
    key
      .split("/")
      .map((s) => (s === ".." ? "%dotdot%" : s === "." ? "%dot%" : s))
      .join("/");
  const up = (key: string) =>
    key
      .split("/")
      .map((s) => (s === "%dotdot%" ? ".." : s === "%dot%" ? "." : s))
      .join("/");
  return {
    backend: base.backend,
    url: base.url,
    capabilities: { ...base.capabilities, atomicRenamePrefix: false },
    stat: async (key, options) => {
      const info = await base.stat(down(key), options);
      return info && { ...info, key };
    },
    read: (key, options) => base.read(down(key), options),
    write: (key, body, options) => base.write(down(key), body, options),
    delete: (key, options) => base.delete(down(key), options),
    list: async function* (prefix, options): AsyncGenerator<ListEntry> {
      for await (const entry of base.list(down(prefix), options)) yield { ...entry, key: up(entry.key) };
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe("downloads never write outside the target", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-traversal-");
  });
  afterEach(() => dir.remove());

  it("a legacy version with a '..' object key is refused with UNEXPECTED and nothing is written", async () => {
    const driver = withoutKeyChecks(createMemoryDriver());
    await driver.write("default/evil/v0/good.txt", "good");
    await driver.write("default/evil/v0/../../../escape.txt", "escaped");
    const manager = new FileSystemArtifactManager({ driver });
    const to = join(dir.path, "a", "b", "out");
    const before = await listTree(dir.path);
    const error = await manager.downloadArtifact("evil", { to }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNEXPECTED" });
    expect((error as Error).message).toContain("default/evil/v0/../../../escape.txt");
    expect(await listTree(dir.path)).toEqual(before);
    expect(await exists(join(dir.path, "a"))).toBe(false);
    await expect(manager.getVersion("evil")).rejects.toMatchObject({ code: "UNEXPECTED" });
  });

  it("a commit record with a '../' path is refused with UNEXPECTED and no folder appears outside `to`", async () => {
    const root = join(dir.path, "store");
    const manager = new FileSystemArtifactManager({ url: root });
    const file = join(dir.path, "f.txt");
    await writeFile(file, "content");
    await manager.logFiles("art", file);
    const recordPath = join(root, "default", "art", "meta", "versions", "v0.json");
    const record = JSON.parse(await readFile(recordPath, "utf8")) as { files: { path: string }[] };
    record.files.push({ ...record.files[0], path: "../../../outside-dir/x.txt" } as { path: string });
    await writeFile(recordPath, JSON.stringify(record));
    const to = join(dir.path, "down", "out");
    await mkdir(join(dir.path, "down"));
    const error = await manager.downloadArtifact("art", { to }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNEXPECTED" });
    expect((error as Error).message).toContain("meta/versions/v0.json");
    expect(await exists(join(dir.path, "outside-dir"))).toBe(false);
    expect(await exists(join(root, "outside-dir"))).toBe(false);
    expect(await exists(to)).toBe(false);
  });

  it("the transfer itself refuses an entry whose target would leave the staging folder", async () => {
    const folder = join(dir.path, "staging");
    await mkdir(folder);
    expect(localTarget(folder, "a/b.txt", "p/")).toBe(join(folder, "a", "b.txt"));
    expect(localTarget(folder, "..b.txt", "p/")).toBe(join(folder, "..b.txt"));
    for (const path of ["../x", "a/../../x", "/abs", "a//b", "./a", "."]) {
      expect(() => localTarget(folder, path, "p/"), path).toThrow(
        expect.objectContaining({ code: "UNEXPECTED" }),
      );
    }
    const driver = withoutKeyChecks(createMemoryDriver());
    await driver.write("p/../x/y.txt", "bad");
    const error = await downloadFiles(driver, [{ path: "../x/y.txt", size: 3 }], "p/", folder, {
      concurrency: 2,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNEXPECTED" });
    expect(await exists(join(dir.path, "x"))).toBe(false);
  });
});
