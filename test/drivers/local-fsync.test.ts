/**
 * Issue 17 item 6: local commits survive a power cut. A power cut cannot be pulled in a test, so this
 * checks that every fsync happens, and in the order that makes a commit durable: each staged file and
 * the staging folder before the rename to `v<N>/`, the artifact folder after it, the temporary record
 * before it is linked as `v<N>.json`, and `meta/versions/` after that. The FileHandle prototype's
 * `sync` / `datasync` are spied on; each call notes the path of its descriptor (`/proc/self/fd`, Linux)
 * and what that folder holds at that moment, which fixes its place relative to the renames and links.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { type FileHandle, mkdir, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLocalDriver } from "../../src/drivers/local.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { copyFileHashed, TINY_FILE_BYTES } from "../../src/managers/filesystem/hashed-copy.js";
import { tempFolder } from "../managers/filesystem/helpers.js";

interface SyncCall {
  kind: "sync" | "datasync";
  path: string;
  /** A folder's entries at the time of the call. */
  entries?: string[];
  /** A small file's text at the time of the call. */
  text?: string;
  /** The entries of the file's folder at the time of the call. */
  siblings?: string[];
}

let calls: SyncCall[] = [];
let dir: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  dir = await tempFolder("am-fsync-");
  calls = [];
  const probe = await open(join(dir.path), "r");
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  for (const kind of ["sync", "datasync"] as const) {
    const original = proto[kind];
    vi.spyOn(proto, kind).mockImplementation(function (this: FileHandle) {
      calls.push(describeCall(kind, this.fd));
      return original.call(this);
    });
  }
});
afterEach(async () => {
  vi.restoreAllMocks();
  await dir.remove();
});

function describeCall(kind: SyncCall["kind"], fd: number): SyncCall {
  const path = readlinkSync(`/proc/self/fd/${fd}`);
  if (statSync(path).isDirectory()) return { kind, path, entries: readdirSync(path).sort() };
  const siblings = readdirSync(join(path, "..")).sort();
  return statSync(path).size < 4096
    ? { kind, path, siblings, text: readFileSync(path, "utf8") }
    : { kind, path, siblings };
}

const indexOf = (predicate: (call: SyncCall) => boolean) => calls.findIndex(predicate);

describe("local store fsyncs", () => {
  it("a create-only write syncs its temporary file before the link and the folder after it", async () => {
    const root = join(dir.path, "store");
    const driver = createLocalDriver({ root });
    await driver.write("c/a/meta/versions/v0.json", '{"x":1}', { ifNotExists: true });
    const folder = join(root, "c/a/meta/versions");
    const file = indexOf(
      (c) => c.kind === "datasync" && c.path.startsWith(`${folder}/.am-tmp-`) && c.text === '{"x":1}',
    );
    expect(file).toBeGreaterThanOrEqual(0);
    expect(calls[file]?.siblings).not.toContain("v0.json");
    const after = indexOf((c) => c.path === folder && (c.entries ?? []).includes("v0.json"));
    expect(after).toBeGreaterThan(file);
    // The folders mkdir created are synced in their parents too (a first write into a fresh store).
    for (const parent of [root, join(root, "c"), join(root, "c/a"), join(root, "c/a/meta")])
      expect(calls.some((c) => c.kind === "sync" && c.path === parent)).toBe(true);
  });

  it("a log syncs every staged file and the staging folder before the rename, then the version's parent, the record, meta/versions/", async () => {
    const source = join(dir.path, "src");
    await mkdir(join(source, "sub"), { recursive: true });
    const files = {
      "tiny.txt": Buffer.from("tiny"),
      "sub/small.bin": Buffer.alloc(TINY_FILE_BYTES + 1, 1),
      "large.bin": Buffer.alloc(3 * 1024 * 1024, 2),
    };
    for (const [path, data] of Object.entries(files)) await writeFile(join(source, path), data);
    const root = join(dir.path, "store");
    const manager = new FileSystemArtifactManager({ url: root });
    expect((await manager.logFiles("art", source)).version).toBe("v0");

    const art = join(root, "default", "art");
    const staging = `${art}/meta/staging/`;
    const renamed = indexOf((c) => c.path === art && (c.entries ?? []).includes("v0"));
    expect(renamed).toBeGreaterThanOrEqual(0);
    for (const path of Object.keys(files)) {
      // Synced while the file was still in the staging folder, i.e. before the rename.
      const synced = calls.filter(
        (c) => c.kind === "datasync" && c.path.startsWith(staging) && c.path.endsWith(`/${path}`),
      );
      expect(synced, path).toHaveLength(1);
      expect(calls.indexOf(synced[0] as SyncCall)).toBeLessThan(renamed);
    }
    const stagingFolder = indexOf(
      (c) =>
        c.kind === "sync" && /\/meta\/staging\/[^/]+$/.test(c.path) && (c.entries ?? []).includes("tiny.txt"),
    );
    expect(stagingFolder).toBeGreaterThanOrEqual(0);
    expect(stagingFolder).toBeLessThan(renamed);
    expect(calls.some((c) => c.kind === "sync" && /\/meta\/staging\/[^/]+\/sub$/.test(c.path))).toBe(true);

    const versions = join(art, "meta", "versions");
    const record = indexOf(
      (c) =>
        c.kind === "datasync" &&
        c.path.startsWith(`${versions}/.am-tmp-`) &&
        (c.text ?? "").includes('"sha256"'),
    );
    expect(record).toBeGreaterThan(renamed);
    expect(calls[record]?.siblings).not.toContain("v0.json");
    const linked = indexOf((c) => c.path === versions && (c.entries ?? []).includes("v0.json"));
    expect(linked).toBeGreaterThan(record);
  });

  it("copyFileHashed syncs each copy (tiny, small and large) before it resolves, unless durable is false", async () => {
    const sizes = [10, TINY_FILE_BYTES + 1, 3 * 1024 * 1024];
    for (const size of sizes) {
      const from = join(dir.path, `in-${size}`);
      await writeFile(from, Buffer.alloc(size, 7));
      calls = [];
      await copyFileHashed(from, join(dir.path, `out-${size}`), {}, size);
      expect(
        calls.map((c) => [c.kind, c.path]),
        String(size),
      ).toEqual([["datasync", join(dir.path, `out-${size}`)]]);
      calls = [];
      await copyFileHashed(from, join(dir.path, `out2-${size}`), { durable: false }, size);
      expect(calls, String(size)).toEqual([]);
    }
  });
});
