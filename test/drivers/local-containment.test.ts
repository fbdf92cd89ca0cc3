/**
 * The local store stays inside its root (issue 18, items 13-15): a symbolic link that leads out of the
 * root is neither listed nor read, FIFOs and devices are never read (in a child process with a time
 * limit: a blocking or endless read fails the test instead of hanging it), and a linked folder the
 * driver would write into is refused.
 */
import { execFileSync } from "node:child_process";
import { mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalDriver } from "../../src/drivers/local.js";
import { isArtifactError } from "../../src/errors.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { deletePrefix } from "../../src/managers/filesystem/transfer.js";
import { readAll } from "../../src/storage/body.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { runScript } from "../fixtures/run-script.js";
import { tempFolder } from "../managers/filesystem/helpers.js";

const WORKER = fileURLToPath(new URL("../fixtures/local/read-store-object.ts", import.meta.url));

/** Runs the worker with a time limit; its JSON answer, or a failure naming the timeout. */
async function readInChild(
  args: string[],
  timeoutMs = 15_000,
): Promise<{ ok?: true; code?: string; message?: string }> {
  const out = await runScript(WORKER, args, {}, timeoutMs);
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
}

const keysOf = async (driver: StorageDriver, prefix: string) => {
  const keys: string[] = [];
  for await (const entry of driver.list(prefix)) keys.push(entry.key);
  return keys;
};

describe("local store containment", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let root: string;
  let outside: string;
  let manager: FileSystemArtifactManager;
  const v0 = () => join(root, "default", "art", "v0");
  beforeEach(async () => {
    dir = await tempFolder("am-contain-");
    root = join(dir.path, "store");
    outside = join(dir.path, "outside");
    await mkdir(join(outside, "folder"), { recursive: true });
    await writeFile(join(outside, "secret.txt"), "secret");
    await writeFile(join(outside, "folder", "secret.txt"), "secret");
    await mkdir(join(dir.path, "src"));
    await writeFile(join(dir.path, "src", "a.txt"), "aaaaaa");
    await writeFile(join(dir.path, "src", "big.bin"), Buffer.alloc(200 * 1024, 1));
    manager = new FileSystemArtifactManager({ url: root });
    await manager.logFiles("art", join(dir.path, "src"));
  });
  afterEach(() => dir.remove());

  describe("13: links out of the root", () => {
    it("a key linked to a file outside: not listed, no stat, read is UNEXPECTED naming the key", async () => {
      const driver = createLocalDriver({ root });
      await symlink(join(outside, "secret.txt"), join(root, "leak.txt"));
      expect(await keysOf(driver, "")).not.toContain("leak.txt");
      expect(await driver.stat("leak.txt")).toBeNull();
      const error = await driver.read("leak.txt").catch((e: unknown) => e);
      expect(isArtifactError(error, "UNEXPECTED")).toBe(true);
      expect((error as Error).message).toContain("'leak.txt'");
    });

    it("a folder linked outside: its files are not listed and not read", async () => {
      const driver = createLocalDriver({ root });
      await symlink(join(outside, "folder"), join(root, "linked"));
      expect(await keysOf(driver, "")).not.toContain("linked/secret.txt");
      expect(await keysOf(driver, "linked/")).toEqual([]);
      expect(await driver.stat("linked/secret.txt")).toBeNull();
      expect(
        isArtifactError(await driver.read("linked/secret.txt").catch((e: unknown) => e), "UNEXPECTED"),
      ).toBe(true);
    });

    it("a recorded file replaced by a link outside (tiny and bigger): the download fails and copies nothing", async () => {
      for (const [file, target] of [
        ["a.txt", "secret.txt"],
        ["big.bin", "secret.txt"],
      ] as const) {
        await rm(join(v0(), file));
        await symlink(join(outside, target), join(v0(), file));
        const to = join(dir.path, `to-${file}`);
        const error = await manager.downloadArtifact("art", { to }).catch((e: unknown) => e);
        expect(isArtifactError(error, "UNEXPECTED")).toBe(true);
        expect((error as Error).message).toContain(file);
        expect(await readdir(to).catch(() => [])).toEqual([]);
        await rm(join(v0(), file));
        await writeFile(join(v0(), file), file === "a.txt" ? "aaaaaa" : Buffer.alloc(200 * 1024, 1));
      }
    });

    it("a whole version folder linked outside: not listed, and the download reads nothing from there", async () => {
      const copy = join(outside, "v0");
      execFileSync("cp", ["-r", v0(), copy]); // the same bytes: only the link decides
      await rm(v0(), { recursive: true });
      await symlink(copy, v0());
      expect(await keysOf(createLocalDriver({ root }), "default/art/v0/")).toEqual([]);
      const to = join(dir.path, "to");
      const error = await manager.downloadArtifact("art", { to }).catch((e: unknown) => e);
      expect(isArtifactError(error, "UNEXPECTED")).toBe(true);
      expect(await readFile(join(to, "a.txt"), "utf8").catch(() => "absent")).toBe("absent");
    });

    it("a delete under a folder linked outside deletes nothing outside", async () => {
      const driver = createLocalDriver({ root });
      await symlink(join(outside, "folder"), join(root, "linked"));
      await driver.delete("linked/secret.txt");
      await deletePrefix(driver, "linked/");
      await symlink(outside, join(root, "out"));
      await deletePrefix(driver, "out/folder/");
      expect(await readFile(join(outside, "folder", "secret.txt"), "utf8")).toBe("secret");
    });

    it("a link inside the root to a file inside the root still reads", async () => {
      const driver = createLocalDriver({ root });
      await symlink(join(v0(), "a.txt"), join(root, "alias.txt"));
      expect(await keysOf(driver, "")).toContain("alias.txt");
      expect((await readAll(await driver.read("alias.txt"))).toString()).toBe("aaaaaa");
    });
  });

  describe("14: only regular files are read (child process, time limit)", () => {
    it("a recorded tiny file replaced by a link to /dev/zero: UNEXPECTED, the process survives", async () => {
      await rm(join(v0(), "a.txt"));
      // /dev/zero is outside any root; a root-internal device node cannot be made without privileges.
      await symlink("/dev/zero", join(v0(), "a.txt"));
      const answer = await readInChild([root, "download", "art", join(dir.path, "to")]);
      expect(answer.code).toBe("UNEXPECTED");
    });

    it("a FIFO as a recorded file (tiny and bigger), a read and a verify: UNEXPECTED, nothing blocks", async () => {
      for (const file of ["a.txt", "big.bin"]) {
        await rm(join(v0(), file));
        execFileSync("mkfifo", [join(v0(), file)]);
      }
      const download = await readInChild([root, "download", "art", join(dir.path, "to")]);
      expect(download.code).toBe("UNEXPECTED");
      expect(download.message).toContain("FIFO");
      expect((await readInChild([root, "read", "default/art/v0/big.bin"])).code).toBe("UNEXPECTED");
      // verify lists no FIFO as a stored file: both are missing, and nothing is read
      const verify = await readInChild([root, "verify", "art"]);
      expect(verify.ok).toBe(true);
    });

    it("a link inside the root to a FIFO inside the root: UNEXPECTED", async () => {
      execFileSync("mkfifo", [join(root, "pipe")]);
      await rm(join(v0(), "big.bin"));
      await symlink(join(root, "pipe"), join(v0(), "big.bin"));
      expect((await readInChild([root, "download", "art", join(dir.path, "to")])).code).toBe("UNEXPECTED");
    });
  });

  describe("15: folders the driver writes into are not links", () => {
    it("meta/staging linked outside: a log is refused and writes nothing outside", async () => {
      const staging = join(root, "default", "art", "meta", "staging");
      await mkdir(join(staging, ".."), { recursive: true });
      await rm(staging, { recursive: true, force: true });
      await mkdir(join(outside, "staging"));
      await symlink(join(outside, "staging"), staging);
      const error = await manager.logFiles("art", join(dir.path, "src")).catch((e: unknown) => e);
      expect(isArtifactError(error, "UNEXPECTED")).toBe(true);
      expect((error as Error).message).toContain("staging");
      expect(await readdir(join(outside, "staging"))).toEqual([]); // no file, no folder made there
    });

    it("a driver write into a folder linked outside is refused", async () => {
      const driver = createLocalDriver({ root });
      await symlink(join(outside, "folder"), join(root, "linked"));
      for (const key of ["linked/new.txt", "linked/deep/er/new.txt"]) {
        const error = await driver.write(key, "x").catch((e: unknown) => e);
        expect(isArtifactError(error, "UNEXPECTED")).toBe(true);
      }
      expect(await readdir(join(outside, "folder"))).toEqual(["secret.txt"]);
    });
  });
});
