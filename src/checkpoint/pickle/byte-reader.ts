/** A bounds-checked cursor over a pickle's bytes: every read that would pass the end throws. */
import { invalidCheckpoint } from "../invalid.js";

const UTF8 = new TextDecoder("utf-8", { fatal: false });

/** Reads pickle arguments; every read past the end is CHECKPOINT_INVALID, never a partial value. */
export class ByteReader {
  pos: number;
  readonly #view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Throws CHECKPOINT_INVALID unless `n` more bytes are available. */
  need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.byteLength) {
      const error = invalidCheckpoint(`pickle is truncated: needs ${n} bytes at offset ${this.pos}`);
      error.context.truncated = true;
      throw error;
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.#view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.#view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.#view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const v = this.#view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidCheckpoint(`pickle length ${v} is too large`);
    return Number(v);
  }

  f64be(): number {
    this.need(8);
    const v = this.#view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  utf8(n: number): string {
    return UTF8.decode(this.take(n));
  }

  /** Reads up to (not including) the next `\n`, for GLOBAL's text arguments. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0 || end - this.pos > 1024)
      throw invalidCheckpoint(`pickle GLOBAL at ${this.pos} is malformed`);
    const s = UTF8.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  /** A little-endian two's-complement integer of `n` bytes (LONG1/LONG4). */
  long(n: number): bigint {
    const b = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
    if (n > 0 && (b[n - 1] as number) & 0x80) v -= 1n << BigInt(8 * n);
    return v;
  }
}
