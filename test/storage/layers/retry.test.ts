import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { ArtifactError, isArtifactError } from "../../../src/errors.js";
import { markWholeBody, readAll } from "../../../src/storage/body.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { withRetry } from "../../../src/storage/layers/retry.js";
import { withTimeout } from "../../../src/storage/layers/timeout.js";

const flaky = (code: "UNAVAILABLE" | "NOT_FOUND", retryable: boolean) =>
  new ArtifactError(code, "flaky", { retryable });

/** A memory driver whose first `failures` calls of `method` fail. */
function failing(method: "stat" | "write" | "delete", failures: number, retryable = true) {
  const inner = createMemoryDriver();
  let calls = 0;
  const driver: StorageDriver = Object.create(inner);
  (driver as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    calls++;
    if (calls <= failures) throw flaky("UNAVAILABLE", retryable);
    return (inner[method] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
  };
  return { driver, inner, calls: () => calls };
}

describe("retry layer", () => {
  it("retries retryable errors, up to `retries` extra attempts", async () => {
    const ok = failing("stat", 2);
    expect(await withRetry(ok.driver, { retries: 2, minDelayMs: 1 }).stat("k")).toBeNull();
    expect(ok.calls()).toBe(3);
    const tooMany = failing("stat", 3);
    await expect(withRetry(tooMany.driver, { retries: 2, minDelayMs: 1 }).stat("k")).rejects.toThrow("flaky");
    expect(tooMany.calls()).toBe(3);
  });

  it("never retries a non-retryable error", async () => {
    const f = failing("delete", 1, false);
    await expect(withRetry(f.driver, { minDelayMs: 1 }).delete("k")).rejects.toThrow("flaky");
    expect(f.calls()).toBe(1);
  });

  it("a create-only write whose first attempt landed but failed is recognised as ours", async () => {
    const inner = createMemoryDriver();
    let calls = 0;
    const driver: StorageDriver = Object.create(inner);
    driver.write = async (key, body, options) => {
      calls++;
      const result = await inner.write(key, body, options);
      if (calls === 1) throw flaky("UNAVAILABLE", true); // the response was lost
      return result;
    };
    const layered = withRetry(driver, { minDelayMs: 1 });
    expect((await layered.write("claim", "mine", { ifNotExists: true })).size).toBe(4);
    await inner.write("other", "theirs");
    const stranger: StorageDriver = Object.create(inner);
    let n = 0;
    stranger.write = async (key, body, options) => {
      if (n++ === 0) throw flaky("UNAVAILABLE", true);
      return inner.write(key, body, options);
    };
    const error = await withRetry(stranger, { minDelayMs: 1 })
      .write("other", "mine", { ifNotExists: true })
      .catch((e: unknown) => e);
    expect(isArtifactError(error, "ALREADY_EXISTS")).toBe(true);
  });

  it("an ALREADY_EXISTS from an SDK-internal retry of a create-only write that landed is ours", async () => {
    // The SDK retried on its own after a lost response: our layer sees one attempt, ALREADY_EXISTS.
    const inner = createMemoryDriver();
    const driver: StorageDriver = Object.create(inner);
    driver.write = async (key, body, options) => {
      await inner.write(key, body, options).catch(() => {});
      throw new ArtifactError("ALREADY_EXISTS", "exists", { retryable: false });
    };
    const layered = withRetry(driver, { minDelayMs: 1 });
    expect((await layered.write("claim", "mine", { ifNotExists: true })).size).toBe(4);
    expect((await readAll(await inner.read("claim"))).toString()).toBe("mine");
    // Someone else's object (different bytes, or ours as a mere prefix) is still ALREADY_EXISTS.
    await inner.write("other", "mine, and more");
    for (const key of ["other", "claim"]) {
      const body = key === "other" ? "mine" : "theirs";
      const error = await layered.write(key, body, { ifNotExists: true }).catch((e: unknown) => e);
      expect(isArtifactError(error, "ALREADY_EXISTS")).toBe(true);
    }
    // Not a create-only write: the error stands.
    const plain = await layered.write("claim", "mine").catch((e: unknown) => e);
    expect(isArtifactError(plain, "ALREADY_EXISTS")).toBe(true);
  });

  it("a read that breaks mid-stream resumes at the next byte", async () => {
    const inner = createMemoryDriver();
    const data = Buffer.from("0123456789".repeat(1000));
    await inner.write("k", data);
    let opens = 0;
    const driver: StorageDriver = Object.create(inner);
    driver.read = async (key, options) => {
      opens++;
      const full = await readAll(await inner.read(key, options));
      if (opens > 2) return Readable.from([full]);
      // Deliver 1000 bytes, then fail like a reset socket.
      return Readable.from(
        (async function* () {
          yield full.subarray(0, 1000);
          throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
        })(),
      );
    };
    const back = await readAll(await withRetry(driver, { minDelayMs: 1 }).read("k"));
    expect(Buffer.compare(back, data)).toBe(0);
    expect(opens).toBe(3);
  });

  it("passes a read's chunks on as they were pushed, never joined into a copy", async () => {
    const parts = [Buffer.alloc(1000, 1), Buffer.alloc(2000, 2), Buffer.alloc(3000, 3), Buffer.alloc(10, 4)];
    const driver: StorageDriver = Object.create(createMemoryDriver());
    driver.read = async () => {
      // All buffered before anyone reads: a `for await` over this stream would get them joined.
      const stream = new Readable({ read() {} });
      for (const part of parts) stream.push(part);
      stream.push(null);
      return stream;
    };
    // Read as the download sink reads (`data` events): a `for await` here would join them itself.
    const stream = await withRetry(driver).read("k");
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    await finished(stream);
    expect(chunks.length).toBe(parts.length);
    for (const [i, chunk] of chunks.entries()) expect(chunk).toBe(parts[i]);
  });

  it("a read that stalls (no data for idleTimeoutMs) is reopened at the next byte", async () => {
    const inner = createMemoryDriver();
    const data = Buffer.from("abcdefghij".repeat(500));
    await inner.write("k", data);
    let opens = 0;
    const driver: StorageDriver = Object.create(inner);
    driver.read = async (key, options) => {
      opens++;
      const part = await readAll(await inner.read(key, options));
      if (opens > 1) return Readable.from([part]);
      // 100 bytes, then silence: a connection that died without an error.
      return new Readable({ read() {} }).once("resume", function (this: Readable) {
        this.push(part.subarray(0, 100));
      });
    };
    const back = await readAll(await withRetry(driver, { minDelayMs: 1, idleTimeoutMs: 150 }).read("k"));
    expect(Buffer.compare(back, data)).toBe(0);
    expect(opens).toBe(2);
  });

  it("a slow reader is not a stalled connection: no reopen while the reader takes its time", async () => {
    const inner = createMemoryDriver();
    const data = Buffer.alloc(4 * 1024 * 1024, 7);
    await inner.write("k", data);
    let opens = 0;
    const driver: StorageDriver = Object.create(inner);
    driver.read = async (key, options) => {
      opens++;
      const all = await readAll(await inner.read(key, options));
      // 64 KiB at a time, as from a socket, pulled only as fast as the layer forwards them.
      return Readable.from(
        (function* () {
          for (let at = 0; at < all.length; at += 65_536) yield all.subarray(at, at + 65_536);
        })(),
      );
    };
    const stream = await withRetry(driver, { minDelayMs: 1, idleTimeoutMs: 100 }).read("k");
    const chunks: Buffer[] = [];
    let pauses = 0;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      // Three times, hold the data for well over the idle limit while the source waits on us.
      if (pauses < 3 && chunks.length % 8 === 0) {
        pauses++;
        await new Promise((resolve) => setTimeout(resolve, 350));
      }
    }
    expect(Buffer.compare(Buffer.concat(chunks), data)).toBe(0);
    expect(pauses).toBe(3);
    expect(opens).toBe(1);
  });
});

describe("retry layer, whole bodies", () => {
  it("hands over a body that arrived whole as it is, and wraps any other in a resumable stream", async () => {
    const inner = createMemoryDriver();
    await inner.write("k", "value");
    // The driver marks its streams whole (or not) and records what it gave.
    const given: Readable[] = [];
    let mark = true;
    const driver: StorageDriver = Object.create(inner);
    driver.read = async (key, opts) => {
      const stream = await inner.read(key, opts);
      if (mark) markWholeBody(stream);
      given.push(stream);
      return stream;
    };
    const layered = withRetry(driver);
    const whole = await layered.read("k");
    expect(whole).toBe(given[0]);
    expect((await readAll(whole)).toString()).toBe("value");
    mark = false;
    const wrapped = await layered.read("k");
    expect(wrapped).not.toBe(given[1]);
    expect((await readAll(wrapped)).toString()).toBe("value");
  });
});

describe("timeout layer", () => {
  it("fails a call that ignores its signal with a retryable TIMEOUT", async () => {
    const inner = createMemoryDriver();
    const driver: StorageDriver = Object.create(inner);
    driver.stat = () => new Promise(() => undefined);
    const error = await withTimeout(driver, { timeoutMs: 20 })
      .stat("k")
      .catch((e: unknown) => e);
    expect(isArtifactError(error, "TIMEOUT")).toBe(true);
    expect((error as ArtifactError).retryable).toBe(true);
  });

  it("aborts a call's signal at the deadline, and gives a read only the caller's signal", async () => {
    const inner = createMemoryDriver();
    await inner.write("k", "value");
    const seen: (AbortSignal | undefined)[] = [];
    const driver: StorageDriver = Object.create(inner);
    driver.delete = (_key, opts) => {
      seen.push(opts?.signal);
      return new Promise((_, reject) =>
        opts?.signal?.addEventListener("abort", () => reject(opts.signal?.reason)),
      );
    };
    let opened: { destroyed: boolean } | undefined;
    driver.read = async (key, opts) => {
      seen.push(opts?.signal);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const stream = await inner.read(key, opts);
      opened = stream;
      return stream;
    };
    const layered = withTimeout(driver, { timeoutMs: 20 });
    const deleted = await layered.delete("k").catch((e: unknown) => e);
    expect(isArtifactError(deleted, "TIMEOUT")).toBe(true);
    expect(seen[0]?.aborted).toBe(true);
    const caller = new AbortController();
    const read = await layered.read("k", { signal: caller.signal }).catch((e: unknown) => e);
    expect(isArtifactError(read, "TIMEOUT")).toBe(true);
    // The stream outlives its opening: no deadline in its signal. One that opens too late is closed.
    expect(seen[1]).toBe(caller.signal);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(opened?.destroyed).toBe(true);
  });

  it("keeps the caller's abort reason unwrapped and leaves fast calls alone", async () => {
    const inner = createMemoryDriver();
    await inner.write("k", "v");
    const layered = withTimeout(inner, { timeoutMs: 1000 });
    expect((await layered.stat("k"))?.size).toBe(1);
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(layered.stat("k", { signal: controller.signal })).rejects.toBe(reason);
  });
});

describe("parallel-read layer", () => {
  it("reads a big object as ordered parallel ranges and a small one in one request", async () => {
    const { withParallelRead } = await import("../../../src/storage/layers/parallel-read.js");
    const inner = createMemoryDriver();
    const big = Buffer.from(Array.from({ length: 100_003 }, (_, i) => i % 251));
    await inner.write("big", big);
    await inner.write("small", "tiny");
    await inner.write("empty", "");
    const ranges: string[] = [];
    const counting: StorageDriver = Object.create(inner);
    counting.read = (key, options) => {
      ranges.push(`${key}:${options?.range?.offset}+${options?.range?.length}`);
      return inner.read(key, options);
    };
    const layered = withParallelRead(counting, { chunkSize: 10_000, concurrency: 3 });
    expect(Buffer.compare(await readAll(await layered.read("big")), big)).toBe(0);
    expect(ranges.filter((r) => r.startsWith("big:"))).toHaveLength(11);
    expect((await readAll(await layered.read("small"))).toString()).toBe("tiny");
    expect(ranges.filter((r) => r.startsWith("small:"))).toEqual(["small:0+10000"]);
    expect((await readAll(await layered.read("empty"))).length).toBe(0);
    const missing = await layered.read("nope").catch((e: unknown) => e);
    expect(isArtifactError(missing, "NOT_FOUND")).toBe(true);
  });
});
