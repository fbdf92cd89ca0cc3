/**
 * Multipart uploads (files >= 2 GiB in production) through a lowered `multipartThreshold` and small
 * parts, so the test stays small: part md5s in the spec, Content-MD5 per part, ETags at completion.
 */
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultPartSize,
  hashFileAndParts,
  MULTIPART_THRESHOLD,
} from "../../../src/managers/wandb/multipart.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());

describe("W&B multipart upload", () => {
  it("uses the SDK's threshold and part sizes", () => {
    expect(MULTIPART_THRESHOLD).toBe(2 * 1024 ** 3);
    expect(defaultPartSize(3 * 1024 ** 3)).toBe(100 * 1024 ** 2);
    const huge = 5 * 1024 ** 4;
    expect(defaultPartSize(huge) % 4096).toBe(0);
    expect(Math.ceil(huge / defaultPartSize(huge))).toBeLessThanOrEqual(10_000);
  });

  it("hashFileAndParts: the file's md5 and each part's md5 and range, sizes on and off a part boundary", async () => {
    const md5 = (bytes: Buffer) => createHash("md5").update(bytes);
    for (const size of [3000, 3072, 1]) {
      const bytes = randomBytes(size);
      const path = join(fx.dir, `hash-${size}.bin`);
      await writeFile(path, bytes);
      const { md5: digest, parts } = await hashFileAndParts({ localPath: path, size }, 1024, undefined);
      expect(digest).toBe(md5(bytes).digest("base64"));
      expect(parts).toEqual(
        Array.from({ length: Math.ceil(size / 1024) }, (_, i) => {
          const slice = bytes.subarray(i * 1024, Math.min(size, (i + 1) * 1024));
          const end = i * 1024 + slice.length - 1;
          const [hexMD5, base64MD5] = [md5(slice).digest("hex"), md5(slice).digest("base64")];
          return { partNumber: i + 1, start: i * 1024, end, hexMD5, base64MD5 };
        }),
      );
    }
  });

  it("uploads big files in parts, small ones in one PUT, and reads them back", async () => {
    const m = fx.manager({
      project: "multipart",
      multipartThreshold: 256 * 1024,
      multipartPartSize: 100 * 1024,
    });
    const dir = join(fx.dir, "mp");
    await mkdir(dir, { recursive: true });
    const big = randomBytes(450 * 1024 + 17);
    await writeFile(join(dir, "big.bin"), big);
    await writeFile(join(dir, "small.txt"), "small");
    fx.emulator.faults.reset();
    fx.emulator.faults.inject({ kind: "upload", operation: "part", status: 503, times: 1 });
    expect((await m.logFiles("chunky", dir)).version).toBe("v0");
    const requests = fx.emulator.faults.requests;
    const parts = requests.filter((r) => r.operation === "part" && r.status === 200);
    expect(parts).toHaveLength(5);
    expect(requests.filter((r) => r.operation === "CompleteMultipartUploadArtifact")).toHaveLength(1);
    expect(requests.filter((r) => r.operation === "file")).toHaveLength(1);
    expect(fx.emulator.state.multiparts.size).toBe(0);
    const to = join(fx.dir, "mp-out");
    await m.downloadArtifact("chunky", { to });
    const back = await readFile(join(to, "big.bin"));
    expect(createHash("md5").update(back).digest("hex")).toBe(createHash("md5").update(big).digest("hex"));
    fx.emulator.faults.reset();
    await writeFile(join(dir, "small.txt"), "changed");
    expect((await m.logFiles("chunky", dir)).version).toBe("v1");
    expect(fx.emulator.faults.requests.filter((r) => r.operation === "part")).toHaveLength(0);
  });

  it("hashes a big file and its parts in one read before uploading: a file rewritten after hashing has no part accepted", async () => {
    // The part md5s come from the same read as the file digest, so bytes changed after that read
    // are refused at the first part. (Hashing parts in a second read, as before, sent every part of
    // the new bytes and failed only at completion.) Reads are not counted directly: no spies.
    const m = fx.manager({
      project: "one-pass",
      multipartThreshold: 256 * 1024,
      multipartPartSize: 100 * 1024,
    });
    const dir = join(fx.dir, "one-pass");
    await mkdir(dir, { recursive: true });
    const file = join(dir, "big.bin");
    await writeFile(file, randomBytes(450 * 1024));
    fx.emulator.faults.reset();
    const log = m.logFiles("rewritten", dir, {
      onProgress: (e) => {
        if (e.type === "start") writeFileSync(file, randomBytes(450 * 1024)); // after hashing, before upload
      },
    });
    // The parts fail their md5 check (BadDigest), and the file's new mtime names the cause.
    await expect(log).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("changed while it was being logged"),
    });
    const requests = fx.emulator.faults.requests;
    expect(requests.filter((r) => r.operation === "part" && r.status === 200)).toHaveLength(0);
    expect(requests.filter((r) => r.operation === "CompleteMultipartUploadArtifact")).toHaveLength(0);
  });

  it("a part answered without an ETag fails the upload with UNEXPECTED naming it; no version is made", async () => {
    const m = fx.manager({ project: "no-etag", multipartThreshold: 1024, multipartPartSize: 1024 });
    const dir = join(fx.dir, "no-etag");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "big.bin"), randomBytes(3000));
    fx.emulator.faults.dropPartEtags = true;
    try {
      const error = await m.logFiles("parts", dir).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UNEXPECTED" });
      expect((error as Error).message).toContain("answered no ETag");
      expect(await m.exists("parts")).toBe(false);
    } finally {
      fx.emulator.faults.dropPartEtags = false;
    }
  });
});
