/** Symlinks inside a logged folder: every link, however deep, is checked against the logged folder. */
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collectLocalFiles } from "../../../src/managers/filesystem/local-files.js";
import { tempFolder } from "./helpers.js";

const pathsOf = async (folder: string) => (await collectLocalFiles(folder)).map((f) => f.path).sort();

describe("symlinks in a logged folder", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let folder: string;
  beforeEach(async () => {
    dir = await tempFolder("am-links-");
    folder = join(dir.path, "folder");
    await mkdir(join(folder, "dirA"), { recursive: true });
    await mkdir(join(folder, "dirB"));
    await writeFile(join(folder, "dirA", "file.txt"), "a");
  });
  afterEach(() => dir.remove());

  it("a link inside a linked folder may point anywhere inside the logged folder", async () => {
    await symlink(join("..", "dirA", "file.txt"), join(folder, "dirB", "to-a"));
    await symlink("dirB", join(folder, "linkB"));
    expect(await pathsOf(folder)).toEqual(["dirA/file.txt", "dirB/to-a", "linkB/to-a"]);
  });

  it("a link inside a linked folder that leaves the logged folder is still refused", async () => {
    await mkdir(join(dir.path, "outside"));
    await writeFile(join(dir.path, "outside", "secret.txt"), "secret");
    await symlink(join(dir.path, "outside", "secret.txt"), join(folder, "dirB", "out"));
    await symlink("dirB", join(folder, "linkB"));
    await expect(collectLocalFiles(folder)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("two links to one folder are not a loop; links that lead back into the walk are", async () => {
    await symlink("dirA", join(folder, "l1"));
    await symlink("dirA", join(folder, "l2"));
    expect(await pathsOf(folder)).toEqual(["dirA/file.txt", "l1/file.txt", "l2/file.txt"]);
    await symlink(join("..", "dirB"), join(folder, "dirA", "to-b"));
    await symlink(join("..", "dirA"), join(folder, "dirB", "to-a"));
    await expect(collectLocalFiles(folder)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});
