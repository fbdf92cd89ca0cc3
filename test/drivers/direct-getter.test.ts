import { Readable } from "node:stream";
import type { Storage } from "@google-cloud/storage";
import { afterEach, describe, expect, it } from "vitest";
import { type DirectGetter, directGetter, useDirectGetters } from "../../src/drivers/direct-getter.js";
import { GcsMediaReader } from "../../src/drivers/gcs-media.js";
import { ZeroCopyGetter } from "../../src/drivers/zero-copy-get.js";
import { readAll } from "../../src/storage/body.js";

afterEach(() => useDirectGetters(undefined));

describe("directGetter", () => {
  it("makes our zero-copy getter unless a factory was put in force, and again once it is removed", () => {
    const made: string[] = [];
    const stub: DirectGetter = { get: () => Promise.reject(new Error("not used")), close: () => undefined };
    expect(directGetter("http://127.0.0.1:9")).toBeInstanceOf(ZeroCopyGetter);
    useDirectGetters((origin, options) => {
      made.push(`${String(origin)} ${options?.headTimeoutMs}`);
      return stub;
    });
    expect(directGetter("http://127.0.0.1:9", { headTimeoutMs: 5 })).toBe(stub);
    expect(made).toEqual(["http://127.0.0.1:9 5"]);
    useDirectGetters(undefined);
    expect(directGetter("http://127.0.0.1:9")).toBeInstanceOf(ZeroCopyGetter);
  });
});

describe("the direct readers", () => {
  it("take their getter from the factory in force when they are built (the benchmark's switch)", async () => {
    const asked: string[] = [];
    useDirectGetters(() => ({
      get: async (url) => {
        asked.push(url);
        return { kind: "body", status: 200, headers: {}, body: Readable.from([Buffer.from("hi")]) };
      },
      close: () => undefined,
    }));
    const storage = {
      baseUrl: "http://127.0.0.1:9/storage/v1",
      customEndpoint: true,
      authClient: { getRequestHeaders: async () => ({}) },
    } as unknown as Storage;
    const reader = new GcsMediaReader(storage);
    useDirectGetters(undefined);
    const body = await reader.open("b", "a/x.bin", {});
    expect((await readAll(body)).toString()).toBe("hi");
    expect(asked).toEqual(["http://127.0.0.1:9/storage/v1/b/b/o/a%2Fx.bin?alt=media"]);
    reader.close();
  });
});
