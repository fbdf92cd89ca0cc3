import { randomBytes } from "node:crypto";
import { CRC32C } from "@google-cloud/storage";
import { describe, expect, it } from "vitest";
import { crc32c, FastCrc32c, loadNativeCrc32c } from "../../src/drivers/gcs-crc32c.js";

describe("FastCrc32c", () => {
  it("gives the standard check value and the SDK's documented example", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    const v = new FastCrc32c();
    v.update(Buffer.from("data"));
    expect(v.toString()).toBe("rth90Q==");
    expect(v.validate("rth90Q==")).toBe(true);
    expect(v.validate("DkjKuA==")).toBe(false);
  });

  it("equals the SDK's CRC32C for any length, fed in pieces", () => {
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 255, 4096, 65_537]) {
      const data = randomBytes(n);
      const sdk = new CRC32C();
      sdk.update(data);
      const fast = new FastCrc32c();
      const cut = Math.floor(n / 3);
      fast.update(data.subarray(0, cut));
      fast.update(data.subarray(cut));
      expect(fast.toString(), `length ${n}`).toBe(sdk.toString());
    }
  });

  it("the native @node-rs/crc32 loads here (linux x64) and equals the SDK's, fed in pieces of larger buffers", async () => {
    const native = await loadNativeCrc32c();
    expect(native).not.toBeNull();
    for (const n of [0, 1, 7, 9, 4096, 65_537, 1_000_003]) {
      const data = randomBytes(n + 10).subarray(5, n + 5);
      const sdk = new CRC32C();
      sdk.update(data);
      const fast = new FastCrc32c(native ?? undefined);
      const cut = Math.floor(n / 3);
      fast.update(data.subarray(0, cut));
      fast.update(data.subarray(cut));
      expect(fast.toString(), `length ${n}`).toBe(sdk.toString());
    }
  });
});
