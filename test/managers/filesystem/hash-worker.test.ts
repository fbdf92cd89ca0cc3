/** sha256 on the hashing worker: the same digests as on this thread, from the same shared memory. */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { offThreadHash, onThreadHash } from "../../../src/managers/filesystem/hash-worker.js";
import { returnBuffers, takeBuffer } from "../../../src/storage/buffer-pool.js";
import { ensureBuilt, ROOT } from "../../cli/run-cli.js";

const sha = (...parts: Buffer[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
};

/** A pool buffer holding `data` at its start. */
const pooled = (data: Buffer) => {
  const buffer = takeBuffer();
  data.copy(buffer);
  return buffer;
};

describe("hashing worker", () => {
  it("hashes pool buffers (partly filled ones too) to the digest of their bytes, hash by hash", async () => {
    const a = [randomBytes(1 << 20), randomBytes(1000), randomBytes(1 << 20)];
    const b = [randomBytes(77), randomBytes(1 << 20)];
    const first = offThreadHash();
    const second = offThreadHash();
    if (first === null || second === null) throw new Error("no worker could start here");
    // Interleaved updates of two hashes, each buffer kept until its update resolved.
    const buffers: Buffer[] = [];
    const updates: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      for (const [hash, parts] of [
        [first, a],
        [second, b],
      ] as const) {
        const part = parts[i];
        if (part === undefined) continue;
        const buffer = pooled(part);
        buffers.push(buffer);
        updates.push(hash.update(buffer, part.length));
      }
    }
    await Promise.all(updates);
    expect(await first.digest()).toBe(sha(...a));
    expect(await second.digest()).toBe(sha(...b));
    returnBuffers(buffers);
    const empty = offThreadHash();
    expect(await empty?.digest()).toBe(sha());
  });

  it("hashes on this thread alike, and refuses memory the worker cannot see", async () => {
    const data = randomBytes(5000);
    const here = onThreadHash();
    await here.update(pooled(data), data.length);
    expect(await here.digest()).toBe(sha(data));
    const hash = offThreadHash();
    await expect(hash?.update(Buffer.from(data), data.length)).rejects.toThrow(/shared memory/);
    hash?.drop();
  });

  it("forgets a dropped hash; the next ones are unaffected", async () => {
    const dropped = offThreadHash();
    const buffer = pooled(randomBytes(4096));
    const pending = dropped?.update(buffer, 4096);
    dropped?.drop();
    await pending;
    const data = randomBytes(4096);
    const next = offThreadHash();
    await next?.update(pooled(data), data.length);
    expect(await next?.digest()).toBe(sha(data));
  });

  it("keeps a process alive while a hash is in progress, and not after", async () => {
    await ensureBuilt();
    const module = join(ROOT, "dist/managers/filesystem/hash-worker.js");
    const pool = join(ROOT, "dist/storage/buffer-pool.js");
    const script = `
      const { offThreadHash } = await import(${JSON.stringify(module)});
      const { takeBuffer } = await import(${JSON.stringify(pool)});
      const buffer = takeBuffer().fill(7);
      const once = () => {
        const hash = offThreadHash();
        return hash.update(buffer, buffer.length).then(() => hash.digest());
      };
      // The second hash starts when the worker is up and idle: then nothing but its answers keeps this
      // process going until the digest.
      await once();
      setTimeout(() => once().then((hex) => console.log(hex)), 300);
    `;
    const started = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe(sha(Buffer.alloc(1 << 20, 7)));
    // It exits by itself once done (an idle worker holds nothing open).
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
