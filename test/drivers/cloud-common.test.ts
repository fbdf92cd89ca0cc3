import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { smallBody } from "../../src/drivers/cloud-common.js";
import { isArtifactError } from "../../src/errors.js";

describe("smallBody", () => {
  it("reads a small stream of known size into one buffer", async () => {
    const body = Readable.from([Buffer.from("abc"), Buffer.from("def")]);
    expect((await smallBody(body, 6, 1024))?.toString()).toBe("abcdef");
    expect(await smallBody(Readable.from([Buffer.from("x")]), 2048, 1024)).toBeNull();
  });

  it("a stream longer than its declared size stops past the limit: INVALID_ARGUMENT, stream closed", async () => {
    let pulled = 0;
    let closed = false;
    const body = Readable.from(
      (async function* () {
        try {
          for (let i = 0; i < 100; i++) {
            pulled++;
            yield Buffer.alloc(512, i);
          }
        } finally {
          closed = true;
        }
      })(),
    );
    const error = await smallBody(body, 10, 1024).catch((e: unknown) => e);
    expect(isArtifactError(error, "INVALID_ARGUMENT"), String(error)).toBe(true);
    expect(pulled).toBeLessThan(10); // ~limit + 1 bytes read, not the whole stream
    expect(closed).toBe(true);
  });
});
