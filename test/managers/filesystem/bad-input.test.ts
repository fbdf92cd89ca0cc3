/** Filesystem-specific bad input: options, symlinks, and "nothing is written when input is rejected". */
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { listTree, tempFolder } from "./helpers.js";

async function codeOf(action: () => unknown): Promise<string | undefined> {
  try {
    await action();
  } catch (error) {
    if (isArtifactError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe("FileSystemArtifactManager bad input", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let root: string;
  beforeEach(async () => {
    dir = await tempFolder("am-bad-");
    root = join(dir.path, "store");
  });
  afterEach(() => dir.remove());

  it("validates constructor options up front", async () => {
    expect(await codeOf(() => new FileSystemArtifactManager({ url: root, collection: "a b" }))).toBe(
      "INVALID_NAME",
    );
    expect(await codeOf(() => new FileSystemArtifactManager({ url: root, concurrency: 0 }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await codeOf(() => new FileSystemArtifactManager({ url: "ftp://host/x" }))).toBe("UNSUPPORTED");
    expect(await codeOf(() => new FileSystemArtifactManager({ url: "" }))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(() => new FileSystemArtifactManager({} as never))).toBe("INVALID_ARGUMENT");
  });

  it("rejected input writes nothing to the store", async () => {
    const manager = new FileSystemArtifactManager({ url: root });
    const file = join(dir.path, "f.txt");
    await writeFile(file, "x");
    const outside = join(dir.path, "outside");
    await mkdir(outside);
    await writeFile(join(outside, "secret.txt"), "secret");
    const folder = join(dir.path, "folder");
    await mkdir(folder);
    await writeFile(join(folder, "ok.txt"), "ok");
    await symlink(outside, join(folder, "link-to-outside-folder"));
    const loop = join(dir.path, "loop");
    await mkdir(join(loop, "sub"), { recursive: true });
    await writeFile(join(loop, "sub", "f.txt"), "f");
    await symlink(loop, join(loop, "sub", "back"));
    const cases: [string, () => Promise<unknown>][] = [
      ["INVALID_ARGUMENT", () => manager.logFiles("a", folder)],
      ["INVALID_ARGUMENT", () => manager.logFiles("a", loop)],
      ["INVALID_ARGUMENT", () => manager.logFiles("a", file, { artifactPath: "a\0b" })],
      ["INVALID_ARGUMENT", () => manager.logFiles("a", file, { artifactPath: "a\\b" })],
      ["INVALID_ARGUMENT", () => manager.logFiles("a", file, { metadata: [] as never })],
      ["INVALID_ARGUMENT", () => manager.logFiles("a", file, { metadata: { n: 1n } as never })],
      ["INVALID_ARGUMENT", () => manager.logFiles("a", file, { description: 3 as never })],
      ["INVALID_ARGUMENT", () => manager.logFiles("a", "")],
      ["NOT_FOUND", () => manager.logFiles("a", join(file, "below"))],
      ["INVALID_NAME", () => manager.logFiles("a", file, { collection: "x/y" })],
    ];
    for (const [code, action] of cases) expect(await codeOf(action), String(action)).toBe(code);
    expect(await listTree(dir.path).then((files) => files.filter((f) => f.startsWith("store/")))).toEqual([]);
  });

  it("follows symlinks that stay inside the logged folder", async () => {
    const manager = new FileSystemArtifactManager({ url: root });
    const folder = join(dir.path, "folder");
    await mkdir(join(folder, "real"), { recursive: true });
    await writeFile(join(folder, "real", "data.txt"), "data");
    await symlink(join(folder, "real", "data.txt"), join(folder, "alias.txt"));
    await manager.logFiles("linked", folder);
    expect((await manager.getVersion("linked")).files.map((f) => f.path)).toEqual([
      "alias.txt",
      "real/data.txt",
    ]);
    expect(await readFile(join(root, "default", "linked", "v0", "alias.txt"), "utf8")).toBe("data");
  });

  it("aborting a log rejects with the signal's reason and leaves no visible version", async () => {
    const manager = new FileSystemArtifactManager({ url: root });
    const folder = join(dir.path, "many");
    await mkdir(folder);
    for (let i = 0; i < 50; i++) await writeFile(join(folder, `f${i}.txt`), `file ${i}`);
    const controller = new AbortController();
    const reason = new Error("stop");
    let seen = 0;
    const result = manager.logFiles("aborted", folder, {
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === "file-done" && ++seen === 5) controller.abort(reason);
      },
    });
    await expect(result).rejects.toBe(reason);
    expect(await manager.listVersions("aborted")).toEqual([]);
    expect(await manager.existsInCollection("aborted")).toBe(false);
  });
});

describe("local file errors", () => {
  it("a local file that fails to read is an ArtifactError naming it, and nothing is logged", async () => {
    const dir = await tempFolder("am-unreadable-");
    try {
      const manager = new FileSystemArtifactManager({ url: join(dir.path, "store") });
      // Reading /proc/self/mem at offset 0 fails with EIO, even for root.
      const error = await manager.logFiles("art", "/proc/self/mem").catch((e: unknown) => e);
      expect(isArtifactError(error)).toBe(true);
      expect((error as Error).message).toMatch(/\/proc\/(self|\d+)\/mem/);
      expect(await manager.listVersions("art")).toEqual([]);
    } finally {
      await dir.remove();
    }
  });
});
