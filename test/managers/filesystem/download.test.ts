/** Download staging: nothing partial and no staging folder left behind, in any target state. */
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { tempFolder } from "./helpers.js";

describe("download staging", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let manager: FileSystemArtifactManager;
  beforeEach(async () => {
    dir = await tempFolder("am-download-");
    manager = new FileSystemArtifactManager({ url: join(dir.path, "store") });
    await mkdir(join(dir.path, "src", "nested"), { recursive: true });
    await writeFile(join(dir.path, "src", "a.txt"), "a");
    await writeFile(join(dir.path, "src", "nested", "b.txt"), "b");
    await manager.logFiles("art", join(dir.path, "src"));
  });
  afterEach(() => dir.remove());

  it("downloads into a missing folder (parents created), an empty folder and a folder with files", async () => {
    const targets = [join(dir.path, "new", "deep", "to"), join(dir.path, "empty"), join(dir.path, "full")];
    await mkdir(join(dir.path, "empty"));
    await mkdir(join(dir.path, "full", "nested"), { recursive: true });
    await writeFile(join(dir.path, "full", "nested", "keep.txt"), "keep");
    for (const to of targets) {
      await manager.downloadArtifact("art", { to });
      expect(await readFile(join(to, "a.txt"), "utf8")).toBe("a");
      expect(await readFile(join(to, "nested", "b.txt"), "utf8")).toBe("b");
      expect((await readdir(join(to, ".."))).filter((name) => name.startsWith("."))).toEqual([]);
      expect((await readdir(to)).filter((name) => name.startsWith("."))).toEqual([]);
    }
    expect(await readFile(join(dir.path, "full", "nested", "keep.txt"), "utf8")).toBe("keep");
  });

  it("a corrupt store file leaves no target, no staging folder and untouched existing files", async () => {
    await writeFile(join(dir.path, "store", "default", "art", "v0", "nested", "b.txt"), "X");
    const fresh = join(dir.path, "fresh");
    const error = await manager.downloadArtifact("art", { to: fresh }).catch((e: unknown) => e);
    expect(isArtifactError(error, "CHECKSUM_MISMATCH")).toBe(true);
    expect((await readdir(dir.path)).sort()).toEqual(["src", "store"]);
    const full = join(dir.path, "full");
    await mkdir(full);
    await writeFile(join(full, "a.txt"), "mine");
    const again = await manager.downloadArtifact("art", { to: full }).catch((e: unknown) => e);
    expect(isArtifactError(again, "CHECKSUM_MISMATCH")).toBe(true);
    expect(await readdir(full)).toEqual(["a.txt"]);
    expect(await readFile(join(full, "a.txt"), "utf8")).toBe("mine");
  });

  it("large files: copied intact, a flipped byte in the store is CHECKSUM_MISMATCH and leaves no folder behind", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    await writeFile(join(dir.path, "src", "big.bin"), big);
    await manager.logFiles("big", join(dir.path, "src"));
    const ok = join(dir.path, "ok");
    await manager.downloadArtifact("big", { to: ok });
    expect((await readFile(join(ok, "big.bin"))).equals(big)).toBe(true);
    big[2 * 1024 * 1024] = 8;
    await writeFile(join(dir.path, "store", "default", "big", "v0", "big.bin"), big);
    const bad = join(dir.path, "bad");
    const error = await manager.downloadArtifact("big", { to: bad }).catch((e: unknown) => e);
    expect(isArtifactError(error, "CHECKSUM_MISMATCH")).toBe(true);
    expect((await readdir(dir.path)).sort()).toEqual(["ok", "src", "store"]);
  });

  it("downloads through a symlinked empty target folder and keeps the link", async () => {
    const real = join(dir.path, "real");
    await mkdir(real);
    const link = join(dir.path, "link");
    await symlink(real, link);
    await manager.downloadArtifact("art", { to: link });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(join(real, "a.txt"), "utf8")).toBe("a");
  });

  it("refuses to put a file over a folder of the same name and names the path", async () => {
    const to = join(dir.path, "clash");
    await mkdir(join(to, "a.txt"), { recursive: true });
    await writeFile(join(to, "a.txt", "inner"), "x");
    const error = await manager.downloadArtifact("art", { to }).catch((e: unknown) => e);
    expect(isArtifactError(error, "INVALID_ARGUMENT")).toBe(true);
    expect((await readdir(to)).sort()).toEqual(["a.txt"]);
  });
});
