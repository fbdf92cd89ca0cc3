/** A growable byte buffer for building a pickle (small: tensors' bytes never go through it). */
const UTF8 = new TextEncoder();

/** Appends little-endian values to a buffer that doubles as it fills. */
export class ByteWriter {
  #buf = new Uint8Array(4096);
  #view = new DataView(this.#buf.buffer);
  length = 0;

  #reserve(n: number): void {
    if (this.length + n <= this.#buf.byteLength) return;
    let size = this.#buf.byteLength * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.#reserve(1);
    this.#buf[this.length++] = v;
  }

  u16(v: number): void {
    this.#reserve(2);
    this.#view.setUint16(this.length, v, true);
    this.length += 2;
  }

  i32(v: number): void {
    this.#reserve(4);
    this.#view.setInt32(this.length, v, true);
    this.length += 4;
  }

  u32(v: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.length, v, true);
    this.length += 4;
  }

  f64be(v: number): void {
    this.#reserve(8);
    this.#view.setFloat64(this.length, v, false);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.#reserve(b.byteLength);
    this.#buf.set(b, this.length);
    this.length += b.byteLength;
  }

  ascii(s: string): void {
    this.bytes(UTF8.encode(s));
  }

  /** The bytes written so far. */
  result(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

/** Python's minimal little-endian two's-complement encoding of an int (as LONG1 writes it). */
export function encodeLong(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  const out: number[] = [];
  let x = v;
  for (;;) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
    const last = out[out.length - 1] as number;
    if ((x === 0n && (last & 0x80) === 0) || (x === -1n && (last & 0x80) !== 0)) break;
  }
  return Uint8Array.from(out);
}
