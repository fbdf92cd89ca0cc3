/**
 * XXH128 digests (issue 22 gap 4) through the real W&B SDK: it logs with `digest_algorithm="XXH128"`
 * (the emulator offers ARTIFACT_DIGEST_ALGORITHM and `xxhashDigestsEnabled`, as W&B does for entities
 * that have it) and we download and verify; we log into that XXH128 sequence and the SDK verifies ours.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { xxhash128 } from "hash-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, startFixture } from "./fixtures.js";
import { runSdk } from "./wandb-sdk.js";

let fx: EmulatorFixture;
const log: string[] = [];
beforeAll(async () => {
  fx = await startFixture({ log: (line) => log.push(line), xxhashDigests: true });
});
afterAll(() => fx.close());

const md5 = (bytes: Buffer | string) => createHash("md5").update(bytes).digest("hex");
const xxh128b64 = async (bytes: Buffer | string) =>
  Buffer.from(await xxhash128(bytes), "hex").toString("base64");

async function tree(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = join(entry.parentPath, entry.name);
      result[relative(dir, full)] = md5(await readFile(full));
    }
  }
  return result;
}

const FILES = {
  "a.txt": Buffer.from("xxh128 bytes\n"),
  "folder/b.bin": Buffer.concat(Array.from({ length: 3 }, () => Buffer.from([...Array(256).keys()]))),
  "folder/empty.txt": Buffer.alloc(0),
};

type Manifest = { contents: Record<string, { digest: string; size: number; extra?: { alg?: string } }> };

describe("XXH128 digests, both ways through the real SDK", () => {
  const project = "xxh";
  let logged: { version: string; digest: string; digestAlgorithm: string; manifest: Manifest };

  beforeAll(async () => {
    const work = join(fx.dir, "sdk-xxh");
    logged = await runSdk(fx.emulator, join(work, "home"), "log_xxh128.py", [
      fx.emulator.entity,
      project,
      "fast-ds",
      work,
    ]);
  }, 180_000);

  it("the SDK logs entries tagged XXH128 holding base64 xxh3-128 digests", async () => {
    expect(logged.digestAlgorithm).toBe("MANIFEST_XXH128");
    for (const [path, bytes] of Object.entries(FILES)) {
      expect(logged.manifest.contents[path]).toMatchObject({
        digest: await xxh128b64(bytes),
        size: bytes.length,
        extra: { alg: "XXH128" },
      });
    }
    expect(log.filter((line) => !/ -> 200$/.test(line))).toEqual([]);
    log.length = 0;
  });

  it("we download it by alias and verify it", async () => {
    const m = fx.manager({ project });
    const to = join(fx.dir, "ours-xxh");
    await m.downloadArtifact("fast-ds", { collection: "dataset", version: "fast", to });
    expect(await tree(to)).toEqual(Object.fromEntries(Object.entries(FILES).map(([p, b]) => [p, md5(b)])));
    expect(await m.verify("fast-ds", { collection: "dataset" })).toMatchObject({ ok: true });
    const record = await m.getVersion("fast-ds", { collection: "dataset" });
    expect(record.files).toContainEqual({ path: "a.txt", size: 13 }); // its digest is no md5
  });

  it("a stored file whose bytes differ from its xxh3-128 digest is CHECKSUM_MISMATCH; verify says changed", async () => {
    const m = fx.manager({ project });
    const sequence = fx.emulator.state.project(fx.emulator.entity, project)?.sequences.get("fast-ds");
    const v0 = sequence?.versions[0];
    const entry = v0?.entries.get("a.txt");
    const key = fx.emulator.state.blobKeyOf(sequence?.project ?? ({} as never), entry?.digest ?? "");
    const blob = fx.emulator.state.blobs.get(key);
    if (!blob) throw new Error("the emulator holds no blob for a.txt");
    const original = blob.bytes;
    blob.bytes = Buffer.from(original.toString("utf8").replace("xxh128", "XXH128")); // same size
    try {
      await expect(
        m.downloadArtifact("fast-ds", { collection: "dataset", to: join(fx.dir, "bad-xxh") }),
      ).rejects.toMatchObject({ code: "CHECKSUM_MISMATCH" });
      expect(await m.verify("fast-ds", { collection: "dataset" })).toMatchObject({
        ok: false,
        changed: ["a.txt"],
      });
    } finally {
      blob.bytes = original;
    }
  });

  it("we log into the XXH128 sequence with XXH128 (by default) and the SDK downloads and verifies it", async () => {
    const m = fx.manager({ project });
    const dir = join(fx.dir, "ours-v1");
    await mkdir(join(dir, "folder"), { recursive: true });
    await writeFile(join(dir, "a.txt"), "changed by us\n");
    await writeFile(join(dir, "folder", "c.txt"), "c");
    expect(await m.logFiles("fast-ds", dir, { collection: "dataset" })).toMatchObject({ version: "v1" });
    const v1 = fx.emulator.state.project(fx.emulator.entity, project)?.sequences.get("fast-ds")?.versions[1];
    expect(v1?.digestAlgorithm).toBe("MANIFEST_XXH128");
    expect(v1?.entries.get("a.txt")).toMatchObject({
      digest: await xxh128b64("changed by us\n"),
      extra: { alg: "XXH128" },
    });
    const got = await runSdk<{ version: string; digest: string; files: Record<string, string> }>(
      fx.emulator,
      join(fx.dir, "sdk-read-xxh"),
      "read_version.py",
      [`${fx.emulator.entity}/${project}/fast-ds:v1`, join(fx.dir, "sdk-xxh-v1")],
    );
    expect(got.files).toEqual({ "a.txt": md5("changed by us\n"), "folder/c.txt": md5("c") });
    expect(got.digest).toBe(v1?.digest);
    expect(log.filter((line) => !/ -> 200$/.test(line))).toEqual([]);
  }, 60_000);

  it("a new sequence stays MD5 unless digestAlgorithm: 'XXH128' is asked for; an unknown value is INVALID_ARGUMENT", async () => {
    const m = fx.manager({ project });
    const dir = join(fx.dir, "plain");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "p.txt"), "plain");
    await m.logFiles("plain-md5", dir);
    await m.logFiles("asked-xxh", dir, { digestAlgorithm: "XXH128" });
    const sequences = fx.emulator.state.project(fx.emulator.entity, project)?.sequences;
    expect(sequences?.get("plain-md5")?.versions[0]?.entries.get("p.txt")?.extra).toBeUndefined();
    expect(sequences?.get("asked-xxh")?.versions[0]?.entries.get("p.txt")?.extra).toEqual({ alg: "XXH128" });
    await expect(m.logFiles("bad", dir, { digestAlgorithm: "SHA1" as never })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("an entry with a digest algorithm we cannot check is UNSUPPORTED before any file is fetched", async () => {
    const m = fx.manager({ project });
    const v0 = fx.emulator.state.project(fx.emulator.entity, project)?.sequences.get("fast-ds")?.versions[0];
    const manifest = v0?.manifest;
    if (!manifest?.bytes) throw new Error("no manifest");
    const original = manifest.bytes;
    const parsed = JSON.parse(original.toString("utf8")) as Manifest;
    const first = parsed.contents["a.txt"];
    if (first) first.extra = { alg: "SHA3" };
    manifest.bytes = Buffer.from(JSON.stringify(parsed));
    try {
      await expect(
        m.downloadArtifact("fast-ds", { collection: "dataset", version: 0, to: join(fx.dir, "sha3") }),
      ).rejects.toMatchObject({ code: "UNSUPPORTED" });
    } finally {
      manifest.bytes = original;
    }
  });
});
