/**
 * A faster CRC32C (Castagnoli) for the GCS SDK's transfer validation, plugged in through its
 * `crc32cGenerator` option. The SDK's own computes one byte per iteration of a `for…of` loop over the
 * buffer; this one reads eight bytes per step with eight 256-entry tables ("slicing-by-8"), same result.
 */
import type { CRC32CValidator } from "@google-cloud/storage";

const POLYNOMIAL = 0x82f63b78;

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. */
const TABLES: Int32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  const first = tables[0] as Int32Array;
  for (let b = 0; b < 256; b++) {
    let crc = b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    first[b] = crc;
  }
  for (let k = 1; k < 8; k++) {
    const previous = tables[k - 1] as Int32Array;
    const table = tables[k] as Int32Array;
    for (let b = 0; b < 256; b++) {
      const p = previous[b] as number;
      table[b] = (first[p & 0xff] as number) ^ (p >>> 8);
    }
  }
  return tables;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
];

/** Continues the CRC32C `crc` (0 for a fresh one) over `data`. */
export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  while (i < end8) {
    const lo =
      c ^
      ((data[i] as number) |
        ((data[i + 1] as number) << 8) |
        ((data[i + 2] as number) << 16) |
        ((data[i + 3] as number) << 24));
    c =
      (T7[lo & 0xff] as number) ^
      (T6[(lo >>> 8) & 0xff] as number) ^
      (T5[(lo >>> 16) & 0xff] as number) ^
      (T4[lo >>> 24] as number) ^
      (T3[data[i + 4] as number] as number) ^
      (T2[data[i + 5] as number] as number) ^
      (T1[data[i + 6] as number] as number) ^
      (T0[data[i + 7] as number] as number);
    i += 8;
  }
  for (; i < data.length; i++) c = (T0[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** The SDK's validator interface over {@link crc32c}: base64 of the big-endian value, like GCS sends. */
export class FastCrc32c implements CRC32CValidator {
  #crc = 0;

  update(data: Buffer): void {
    this.#crc = crc32c(data, this.#crc);
  }

  toString(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.#crc, 0);
    return out.toString("base64");
  }

  validate(value: string): boolean {
    return value === this.toString();
  }
}

/** The `crc32cGenerator` storage option that makes the SDK use {@link FastCrc32c}. */
export const fastCrc32cGenerator = (): CRC32CValidator => new FastCrc32c();
