import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bfloat16ToNumber,
  halfToNumber,
  numberToBfloat16,
  numberToHalf,
  Tensor,
} from "../../src/checkpoint/index.js";

describe("float16 and bfloat16 conversions", () => {
  it("round-trip every float16 bit pattern", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exp = (bits >> 10) & 0x1f;
      if (exp === 0x1f && (bits & 0x3ff) !== 0) continue; // NaNs
      expect(numberToHalf(halfToNumber(bits))).toBe(bits);
    }
  });

  it("round-trip every bfloat16 bit pattern", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exp = (bits >> 7) & 0xff;
      if (exp === 0xff && (bits & 0x7f) !== 0) continue;
      expect(numberToBfloat16(bfloat16ToNumber(bits))).toBe(bits);
    }
  });

  it("round to the nearest float16, ties to even, like numpy", () => {
    expect(numberToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even mantissa
    expect(numberToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(numberToHalf(65519)).toBe(0x7bff);
    expect(numberToHalf(65520)).toBe(0x7c00);
    expect(Number.isNaN(halfToNumber(numberToHalf(Number.NaN)))).toBe(true);
    fc.assert(
      fc.property(fc.double({ min: -65000, max: 65000, noNaN: true }), (x) => {
        const h = halfToNumber(numberToHalf(x));
        const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -14))) - 10);
        expect(Math.abs(h - x)).toBeLessThanOrEqual(ulp / 2);
      }),
      { numRuns: 2000, seed: 3 },
    );
  });
});

describe("Tensor", () => {
  it("gathers strided views of every element size", () => {
    const c = new Tensor({
      dtype: "complex128",
      shape: [2, 2],
      data: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
    });
    const ct = Tensor.view(c.storage, 0, [2, 2], [1, 2]);
    expect(ct.toArray()).toEqual([
      [1, 2],
      [5, 6],
      [3, 4],
      [7, 8],
    ]);
    const b = new Tensor({ dtype: "int8", shape: [6], data: Int8Array.from([0, 1, 2, 3, 4, 5]) });
    expect(Tensor.view(b.storage, 1, [2, 2], [3, 1]).toArray()).toEqual([1, 2, 4, 5]);
    expect(() => Tensor.view(b.storage, 1, [2, 2], [3, 2])).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    const h = new Tensor({ dtype: "float16", shape: [3], data: Uint16Array.from([0x3c00, 0x4000, 0x4200]) });
    expect(Tensor.view(h.storage, 0, [2, 3], [0, 1]).toArray()).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it("checks data against dtype and shape", () => {
    expect(() => new Tensor({ dtype: "float32", shape: [3], data: new Float64Array(3) })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => new Tensor({ dtype: "int64", shape: [2, 2], data: new BigInt64Array(3) })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => new Tensor({ dtype: "float32", shape: [-1] })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    const t = new Tensor({ dtype: "complex64", shape: [2], data: Float32Array.from([1, 2, 3, 4]) });
    expect(t.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
