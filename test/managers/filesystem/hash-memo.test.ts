/** The in-process memo of local files' sha256s (hash-memo.ts): when it may answer, and when never. */
import { mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  forgetHashes,
  knownHash,
  RACY_WINDOW_MS,
  rememberHash,
} from "../../../src/managers/filesystem/hash-memo.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "am-hash-memo-"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));
beforeEach(() => forgetHashes());

/** A file whose mtime and ctime lie well before "now" as the memo sees it (hashing started later). */
async function oldFile(name: string, content: string): Promise<{ path: string; later: number }> {
  const path = join(dir, name);
  await writeFile(path, content);
  const info = await stat(path);
  return { path, later: Math.max(info.mtimeMs, info.ctimeMs) + RACY_WINDOW_MS + 10 };
}

describe("hash memo", () => {
  it("answers for a file that is exactly as it was hashed", async () => {
    const { path, later } = await oldFile("a", "alpha");
    await rememberHash(path, "h-a", later);
    expect(await knownHash(path)).toBe("h-a");
  });

  it("a file changed within the racy window before its hashing is never remembered", async () => {
    const { path, later } = await oldFile("b", "beta");
    await rememberHash(path, "h-b", later - 20);
    expect(await knownHash(path)).toBeUndefined();
  });

  it("same size and mtime set back (touch -d, rsync -t): the new ctime makes it unknown", async () => {
    const path = join(dir, "c");
    await writeFile(path, "gamma");
    await utimes(path, 1_700_000_000, 1_700_000_000); // whole seconds: set back exactly below
    const before = await stat(path);
    await rememberHash(path, "h-c", before.ctimeMs + RACY_WINDOW_MS + 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeFile(path, "GAMMA");
    await utimes(path, 1_700_000_000, 1_700_000_000);
    const after = await stat(path);
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    expect(await knownHash(path)).toBeUndefined();
  });

  it("a file replaced by another one (new inode) or removed is unknown", async () => {
    const { path, later } = await oldFile("d", "delta");
    await rememberHash(path, "h-d", later);
    await rm(path);
    expect(await knownHash(path)).toBeUndefined();
  });
});
