/**
 * Upload bytes in flight: `maxUploadBytesInFlight` caps the declared bytes of PUTs (whole files and
 * multipart parts) open at once, measured by the emulator's storage; uploads slowed by a held answer so
 * that uncapped PUTs would overlap.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WANDB_MAX_UPLOAD_BYTES_IN_FLIGHT } from "../../../src/managers/wandb/settings.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
let n = 0;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());

const KiB = 1024;

/** A fresh folder of random files with these sizes; returns it and the files' bytes. */
async function randomFolder(sizes: number[]): Promise<{ dir: string; files: Buffer[] }> {
  const dir = join(fx.dir, `src-${++n}`);
  await mkdir(dir, { recursive: true });
  const files = sizes.map((size) => randomBytes(size));
  await Promise.all(files.map((bytes, i) => writeFile(join(dir, `f${i}.bin`), bytes)));
  return { dir, files };
}

describe("W&B upload bytes in flight", () => {
  it("has a named default of 512 MiB", () => {
    expect(DEFAULT_WANDB_MAX_UPLOAD_BYTES_IN_FLIGHT).toBe(512 * 1024 ** 2);
  });

  it("never has more than maxUploadBytesInFlight of file PUTs open, however many files run at once", async () => {
    const m = fx.manager({ project: "cap", concurrency: 8, maxUploadBytesInFlight: 130 * KiB });
    const { dir, files } = await randomFolder(Array(8).fill(64 * KiB));
    fx.emulator.faults.reset();
    fx.emulator.faults.inject({ kind: "upload", operation: "file", delayMs: 30, times: 8 });
    expect((await m.logFiles("capped", dir)).version).toBe("v0");
    expect(fx.emulator.faults.requests.filter((r) => r.operation === "file")).toHaveLength(8);
    expect(fx.emulator.faults.maxUploadBytesInFlight).toBeGreaterThan(0);
    expect(fx.emulator.faults.maxUploadBytesInFlight).toBeLessThanOrEqual(130 * KiB);
    const to = join(fx.dir, "capped-out");
    await m.downloadArtifact("capped", { to });
    expect(await readFile(join(to, "f7.bin"))).toEqual(files[7]);
  });

  it("caps multipart parts too; a file or part bigger than the cap is sent alone", async () => {
    const m = fx.manager({
      project: "cap-parts",
      concurrency: 8,
      maxUploadBytesInFlight: 100 * KiB,
      multipartThreshold: 256 * KiB,
      multipartPartSize: 50 * KiB,
    });
    const big = await randomFolder([300 * KiB]);
    fx.emulator.faults.reset();
    fx.emulator.faults.inject({ kind: "upload", operation: "part", delayMs: 30, times: 6 });
    expect((await m.logFiles("big", big.dir)).version).toBe("v0");
    expect(fx.emulator.faults.requests.filter((r) => r.operation === "part")).toHaveLength(6);
    expect(fx.emulator.faults.maxUploadBytesInFlight).toBeLessThanOrEqual(100 * KiB); // 4 parts uncapped
    const { dir } = await randomFolder([300 * KiB, 150 * KiB, 150 * KiB]);
    fx.emulator.faults.reset();
    fx.emulator.faults.inject({ kind: "upload", operation: "part", delayMs: 30, times: 6 });
    expect((await m.logFiles("parts", dir)).version).toBe("v0");
    expect(fx.emulator.faults.requests.filter((r) => r.operation === "part")).toHaveLength(6);
    // the 150 KiB files exceed the cap: each is sent alone, never beside a part or the other one
    expect(fx.emulator.faults.maxUploadBytesInFlight).toBeLessThanOrEqual(150 * KiB);
  });

  it("rejects a maxUploadBytesInFlight that is not a positive integer", () => {
    for (const maxUploadBytesInFlight of [0, -1, 1.5]) {
      expect(() => fx.manager({ maxUploadBytesInFlight })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT" }),
      );
    }
  });
});
