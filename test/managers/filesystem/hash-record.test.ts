/**
 * The hashes of logged files kept between processes (hash-record.ts): a new process knows the files a
 * log already hashed, never a file written since, and a damaged record costs only a re-hash.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DownloadCache } from "../../../src/cache/download-cache.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { forgetHashes, knownHash, RACY_WINDOW_MS } from "../../../src/managers/filesystem/hash-memo.js";
import { HashRecord } from "../../../src/managers/filesystem/hash-record.js";
import { collectLocalFiles } from "../../../src/managers/filesystem/local-files.js";
import { tempFolder } from "./helpers.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("hash record", { timeout: 30_000 }, () => {
  let dir: { path: string; remove: () => Promise<void> };
  let source: string;
  let cacheDir: string;
  let manager: FileSystemArtifactManager;
  beforeEach(async () => {
    forgetHashes();
    dir = await tempFolder("am-hash-record-");
    source = join(dir.path, "model");
    cacheDir = join(dir.path, "cache");
    await mkdir(source);
    await writeFile(join(source, "a.bin"), "alpha");
    await writeFile(join(source, "b.bin"), "bravo");
    // Files changed within the racy window before their hashing are not remembered: let it pass.
    await new Promise((done) => setTimeout(done, RACY_WINDOW_MS + 100));
    manager = new FileSystemArtifactManager({ url: join(dir.path, "store"), cache: { dir: cacheDir } });
  });
  afterEach(async () => {
    forgetHashes();
    await dir.remove();
  });

  /** What a new process knows: the memo emptied, the record loaded. */
  async function newProcessKnows(): Promise<Record<string, string | undefined>> {
    forgetHashes();
    const files = await collectLocalFiles(source);
    await new HashRecord(cacheDir, source).load(files);
    const known: Record<string, string | undefined> = {};
    for (const file of files) known[file.path] = await knownHash(file.source);
    return known;
  }

  it("a log keeps its files' hashes under the cache folder; a new process knows them", async () => {
    await manager.logFiles("model", source);
    expect(await readdir(join(cacheDir, "hashes"))).toHaveLength(1);
    expect(await newProcessKnows()).toEqual({ "a.bin": sha256("alpha"), "b.bin": sha256("bravo") });
  });

  it("a file rewritten since, same size and its mtime put back, is hashed again: the new version records its new bytes", async () => {
    await manager.logFiles("model", source);
    const file = join(source, "a.bin");
    const before = await stat(file);
    await writeFile(file, "ALPHA");
    await utimes(file, before.atime, before.mtime); // as `rsync -t` or `touch -d` would: ctime still moves
    const known = await newProcessKnows();
    expect(known["a.bin"]).toBeUndefined();
    expect(known["b.bin"]).toBe(sha256("bravo"));
    // The log of the "new process" (the memo holds only what the record gave it).
    const logged = await manager.logFiles("model", source);
    const record = await manager.getVersion("model", { version: logged.version });
    expect(record.files.find((f) => f.path === "a.bin")?.sha256).toBe(sha256("ALPHA"));
    expect(await manager.verify("model")).toMatchObject({ ok: true });
  });

  it("a damaged, foreign or oversized record is ignored: the files are hashed, the log is right", async () => {
    await manager.logFiles("model", source);
    const [name] = await readdir(join(cacheDir, "hashes"));
    const path = join(cacheDir, "hashes", name as string);
    const good = JSON.parse(await readFile(path, "utf8")) as { entries: Record<string, unknown[]> };
    const a = join(source, "a.bin");
    for (const damaged of [
      "{not json",
      "null",
      JSON.stringify({ ...good, format: "something/2" }),
      JSON.stringify({ ...good, root: "/elsewhere" }),
      JSON.stringify({ ...good, entries: { [a]: ["1", "2", "3", "4", sha256("other")] } }),
      JSON.stringify({ ...good, entries: { [a]: [1, 5, 3, 4, "not-a-digest"] } }),
      JSON.stringify({ ...good, entries: { [a]: (good.entries[a] ?? []).slice(0, 4) } }),
    ]) {
      await writeFile(path, damaged);
      expect((await newProcessKnows())["a.bin"], damaged.slice(0, 40)).toBeUndefined();
    }
    // A record with a wrong digest but the file's real stat fields would be believed: that is why the
    // record lives in the user's own cache folder. An entry that matches is used.
    await writeFile(path, JSON.stringify(good));
    expect((await newProcessKnows())["a.bin"]).toBe(sha256("alpha"));
  });

  it("cache clear removes the records", async () => {
    await manager.logFiles("model", source);
    await new DownloadCache({ dir: cacheDir }).clear();
    expect(existsSync(join(cacheDir, "hashes"))).toBe(false);
    expect((await newProcessKnows())["a.bin"]).toBeUndefined();
  });

  it("no record with the cache off (cache: false)", async () => {
    const off = new FileSystemArtifactManager({ url: join(dir.path, "store2"), cache: false });
    await off.logFiles("model", source);
    expect(existsSync(join(cacheDir, "hashes"))).toBe(false);
  });
});
