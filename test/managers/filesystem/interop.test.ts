/** Interop with Python scaffold (fsspec) in both directions, on a local store. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { listTree, scaffold, tempFolder } from "./helpers.js";

describe("interop with Python scaffold's store layout", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let root: string;
  beforeEach(async () => {
    dir = await tempFolder("am-interop-");
    root = join(dir.path, "store");
    await mkdir(join(dir.path, "src", "sub"), { recursive: true });
    await writeFile(join(dir.path, "src", "a.txt"), "alpha");
    await writeFile(join(dir.path, "src", "sub", "b.txt"), "beta");
    await writeFile(join(dir.path, "model.bin"), "weights");
  });
  afterEach(() => dir.remove());

  it("reads a store written by scaffold: lists, downloads, getVersion (legacy) and verify", async () => {
    expect(await scaffold("log", root, "models", "net", join(dir.path, "model.bin"), "first")).toEqual({
      version: "v0",
    });
    expect(await scaffold("log", root, "models", "net", join(dir.path, "src"), "second")).toEqual({
      version: "v1",
    });
    const manager = new FileSystemArtifactManager({ url: root, collection: "models" });
    expect(await manager.listCollectionNames()).toEqual(["models"]);
    expect(await manager.listArtifacts()).toEqual(["net"]);
    expect(await manager.listVersions("net")).toEqual(["v0", "v1"]);
    expect(await manager.exists("net")).toBe(true);
    expect((await manager.getVersion("net")).description).toBe("second");
    const v0 = await manager.getVersion("net", { version: 0 });
    expect(v0).toMatchObject({ legacy: true, version: "v0", files: [{ path: "model.bin", size: 7 }] });
    const to = join(dir.path, "out");
    await manager.downloadArtifact("net", { to });
    expect(await listTree(to)).toEqual(["src/a.txt", "src/sub/b.txt"]);
    expect(await readFile(join(to, "src", "sub", "b.txt"), "utf8")).toBe("beta");
    expect(await manager.verify("net")).toEqual({ ok: true, missing: [], extra: [], changed: [] });
  });

  it("what we write is what scaffold expects: v<N>/ holds only the files, readme, next numbers", async () => {
    await scaffold("log", root, "models", "net", join(dir.path, "model.bin"));
    const manager = new FileSystemArtifactManager({ url: root, collection: "models" });
    const logged = await manager.logFiles("net", join(dir.path, "src"), { description: "ours" });
    expect(logged.version).toBe("v1");
    expect(await listTree(join(root, "models", "net", "v1"))).toEqual(["a.txt", "sub/b.txt"]);
    expect(await readFile(join(root, "models", "net", "meta", "readme.txt"), "utf8")).toBe("ours");
    expect(await scaffold("list", root)).toEqual(["models"]);
    expect(await scaffold("list", root, "models")).toEqual(["net"]);
    expect(await scaffold("list", root, "models", "net")).toEqual(["v0", "v1"]);
    const out = join(dir.path, "py-out");
    expect(await scaffold("download", root, "models", "net", "latest", out)).toEqual({ version: "v1" });
    expect(await listTree(out)).toEqual(["a.txt", "sub/b.txt"]);
    expect(await readFile(join(out, "a.txt"), "utf8")).toBe("alpha");
    // A scaffold writer after us takes max + 1, and we read its version as legacy.
    expect(await scaffold("log", root, "models", "net", join(dir.path, "model.bin"))).toEqual({
      version: "v2",
    });
    expect(await manager.listVersions("net")).toEqual(["v0", "v1", "v2"]);
    expect((await manager.getVersion("net")).legacy).toBe(true);
    expect((await manager.getVersion("net", { version: "v1" })).legacy).toBeUndefined();
    expect((await manager.logFiles("net", join(dir.path, "model.bin"))).version).toBe("v3");
  });

  it("only adds objects under the artifact's meta/ folder", async () => {
    const manager = new FileSystemArtifactManager({ url: root });
    await manager.logFiles("art", join(dir.path, "src"));
    await manager.setAlias("art", "best");
    const tree = await listTree(root);
    expect(tree).toEqual([
      "default/art/meta/aliases/best.json",
      "default/art/meta/readme.txt",
      "default/art/meta/versions/v0.claim",
      "default/art/meta/versions/v0.json",
      "default/art/v0/a.txt",
      "default/art/v0/sub/b.txt",
    ]);
    const record = JSON.parse(await readFile(join(root, "default/art/meta/versions/v0.json"), "utf8"));
    expect(record).toMatchObject({ format: 1, name: "art", collection: "default", version: "v0" });
    expect(record.files).toHaveLength(2);
    expect(record.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});
