/** sha256 on the hashing worker: the digests of the bytes, the buffers moved there and back. */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { offThreadHash } from "../../../src/managers/filesystem/hash-worker.js";
import { POOL_BUFFER_BYTES, takeBuffer } from "../../../src/storage/buffer-pool.js";
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
  it("hashes pool buffers (partly filled ones too), hash by hash, and gives their memory back", async () => {
    const a = [randomBytes(POOL_BUFFER_BYTES), randomBytes(1000), randomBytes(POOL_BUFFER_BYTES)];
    const b = [randomBytes(77), randomBytes(POOL_BUFFER_BYTES)];
    const first = offThreadHash();
    const second = offThreadHash();
    if (first === null || second === null) throw new Error("no worker could start here");
    const updates: Promise<{ back: Buffer; part: Buffer }>[] = [];
    for (let i = 0; i < 3; i++) {
      for (const [hash, parts] of [
        [first, a],
        [second, b],
      ] as const) {
        const part = parts[i];
        if (part === undefined) continue;
        const buffer = pooled(part);
        updates.push(hash.update(buffer, part.length).then((back) => ({ back, part })));
        expect(buffer.length).toBe(0); // moved, not copied
      }
    }
    for (const { back, part } of await Promise.all(updates)) {
      expect(back.length).toBe(POOL_BUFFER_BYTES);
      expect(back.subarray(0, part.length).equals(part)).toBe(true);
    }
    expect(await first.digest()).toBe(sha(...a));
    expect(await second.digest()).toBe(sha(...b));
    expect(await offThreadHash()?.digest()).toBe(sha());
  });

  it("refuses what is not a whole pool buffer (a view, a small buffer)", async () => {
    const hash = offThreadHash();
    await expect(hash?.update(takeBuffer().subarray(1), 10)).rejects.toThrow(/whole pool buffer/);
    await expect(hash?.update(Buffer.alloc(4096), 10)).rejects.toThrow(/whole pool buffer/);
    hash?.drop();
  });

  it("forgets a dropped hash (its updates in flight still come back); the next ones are unaffected", async () => {
    const dropped = offThreadHash();
    const pending = dropped?.update(pooled(randomBytes(4096)), 4096);
    dropped?.drop();
    expect((await pending)?.length).toBe(POOL_BUFFER_BYTES);
    const data = randomBytes(4096);
    const next = offThreadHash();
    await next?.update(pooled(data), data.length);
    expect(await next?.digest()).toBe(sha(data));
  });

  it("keeps a process alive while the worker owes an answer, and not after (nor for a hash left unfinished)", async () => {
    await ensureBuilt();
    const module = join(ROOT, "dist/managers/filesystem/hash-worker.js");
    const pool = join(ROOT, "dist/storage/buffer-pool.js");
    const script = `
      const { offThreadHash } = await import(${JSON.stringify(module)});
      const { takeBuffer } = await import(${JSON.stringify(pool)});
      const once = async () => {
        const hash = offThreadHash();
        await hash.update(takeBuffer().fill(7), 1 << 20);
        return hash.digest();
      };
      // The second hash starts when the worker is up and idle: then nothing but its answers keeps this
      // process going until the digest.
      await once();
      setTimeout(async () => {
        console.log(await once());
        // A hash never finished (a caller that lost it) holds nothing open either.
        await offThreadHash().update(takeBuffer(), 1 << 20);
      }, 300);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe(sha(Buffer.alloc(1 << 20, 7)));
  });
});
