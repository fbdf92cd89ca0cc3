/** `onRetry`: every retry of the store layer and of the W&B client is announced before its wait. */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { ArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { withRetry as withWandbRetry } from "../../../src/managers/wandb/retry.js";
import { settingsFrom } from "../../../src/managers/wandb/settings.js";
import { readAll } from "../../../src/storage/body.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { withRetry } from "../../../src/storage/layers/retry.js";
import type { RetryEvent } from "../../../src/storage/layers/retry-event.js";

const unavailable = () =>
  new ArtifactError("UNAVAILABLE", "S3 answered HTTP 503 for 'k'\n(SlowDown)", {
    retryable: true,
    context: { backend: "s3", operation: "stat" },
  });

describe("onRetry", () => {
  it("the store layer announces each retry: attempt, max, delay, reason, code", async () => {
    const inner = createMemoryDriver();
    let calls = 0;
    const driver: StorageDriver = Object.create(inner);
    driver.stat = async (key) => {
      if (++calls <= 2) throw unavailable();
      return inner.stat(key);
    };
    const events: RetryEvent[] = [];
    const layered = withRetry(driver, {
      retries: 4,
      minDelayMs: 1,
      maxDelayMs: 4,
      onRetry: (e) => events.push(e),
    });
    expect(await layered.stat("k")).toBeNull();
    expect(events.map((e) => [e.attempt, e.max])).toEqual([
      [1, 4],
      [2, 4],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        type: "retry",
        reason: "S3 answered HTTP 503 for 'k' (SlowDown)",
        code: "UNAVAILABLE",
        backend: "s3",
        operation: "stat",
      });
      expect(event.delayMs).toBeGreaterThanOrEqual(0);
      expect(event.delayMs).toBeLessThanOrEqual(4);
    }
  });

  it("a failure that is not retried is not announced, and a throwing listener does not stop the retries", async () => {
    const inner = createMemoryDriver();
    let calls = 0;
    const driver: StorageDriver = Object.create(inner);
    driver.delete = async () => {
      calls++;
      throw new ArtifactError("PERMISSION_DENIED", "no");
    };
    const events: RetryEvent[] = [];
    await expect(
      withRetry(driver, { minDelayMs: 1, onRetry: (e) => events.push(e) }).delete("k"),
    ).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    expect([calls, events.length]).toEqual([1, 0]);

    let statCalls = 0;
    driver.stat = async (key) => {
      if (++statCalls <= 1) throw unavailable();
      return inner.stat(key);
    };
    const throwing = () => {
      throw new Error("listener bug");
    };
    expect(await withRetry(driver, { minDelayMs: 1, onRetry: throwing }).stat("k")).toBeNull();
    expect(statCalls).toBe(2);
  });

  it("a read reopened mid-stream and a listing restarted are announced", async () => {
    const inner = createMemoryDriver();
    const data = Buffer.from("x".repeat(5000));
    await inner.write("k", data);
    let opens = 0;
    let lists = 0;
    const driver: StorageDriver = Object.create(inner);
    driver.read = async (key, options) => {
      const full = await readAll(await inner.read(key, options));
      if (++opens > 1) return Readable.from([full]);
      return Readable.from(
        (async function* () {
          yield full.subarray(0, 1000);
          throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
        })(),
      );
    };
    driver.list = (prefix, options) => {
      if (++lists === 1) {
        return (async function* () {
          yield* [];
          throw unavailable();
        })();
      }
      return inner.list(prefix, options);
    };
    const events: RetryEvent[] = [];
    const layered = withRetry(driver, { retries: 3, minDelayMs: 1, onRetry: (e) => events.push(e) });
    expect((await readAll(await layered.read("k"))).length).toBe(5000);
    expect(events).toMatchObject([
      { attempt: 1, max: 3, delayMs: 0, operation: "read", reason: "read ECONNRESET" },
    ]);
    const keys: string[] = [];
    for await (const entry of layered.list("")) keys.push(entry.key);
    expect(keys).toEqual(["k"]);
    expect(events[1]).toMatchObject({ attempt: 1, max: 3, operation: "list", code: "UNAVAILABLE" });
  });

  it("the W&B client announces its retries, with the server's Retry-After as the delay", async () => {
    let calls = 0;
    const events: RetryEvent[] = [];
    const result = await withWandbRetry(
      async () => {
        if (++calls <= 2) {
          throw new ArtifactError("UNAVAILABLE", "W&B answered HTTP 503", {
            retryable: true,
            context: { backend: "wandb", retryAfterMs: 3 },
          });
        }
        return "ok";
      },
      { retries: 5, onRetry: (e) => events.push(e) },
    );
    expect(result).toBe("ok");
    expect(events).toEqual([
      {
        type: "retry",
        attempt: 1,
        max: 5,
        delayMs: 3,
        reason: "W&B answered HTTP 503",
        code: "UNAVAILABLE",
        backend: "wandb",
      },
      {
        type: "retry",
        attempt: 2,
        max: 5,
        delayMs: 3,
        reason: "W&B answered HTTP 503",
        code: "UNAVAILABLE",
        backend: "wandb",
      },
    ]);
  });

  it("the managers take onRetry (W&B: every request's retry policy carries it) and refuse a non-function", () => {
    const onRetry = () => {};
    expect(settingsFrom({ onRetry, retry: { retries: 2 } }).retry).toEqual({ retries: 2, onRetry });
    expect(() => settingsFrom({ onRetry: 5 as never })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining("onRetry") }),
    );
    expect(() => new FileSystemArtifactManager({ url: "memory://x", onRetry: "yes" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
