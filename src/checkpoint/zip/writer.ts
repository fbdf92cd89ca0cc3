/**
 * Writes a zip exactly as torch.save (miniz) does: stored records whose data start on a 64-byte
 * boundary (an `FB` padding extra), data descriptors, zip64 fields per record when a size or offset
 * reaches 4 GiB, and zip64 end records always. Records are streamed to a sink; nothing is buffered.
 */
import { crc32 } from "node:zlib";

/** Where the zip's bytes go, in order. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

/** Options of {@link ZipWriter}. */
export interface ZipWriterOptions {
  /** @internal Sizes and offsets at or above this use zip64 fields; lowered only by tests. @default 0xffffffff */
  zip64Threshold?: number;
  /** @internal Bytes of a record written per write call (progress and cancellation in between); lowered only by tests. @default 256 MiB */
  writeSliceBytes?: number;
}

/** A record's data goes out in writes of this size: few system calls, yet progress on a big tensor. */
const WRITE_SLICE = 256 << 20;

interface Written {
  name: Uint8Array;
  size: number;
  offset: number;
  crc: number;
  flags: number;
}

const U32 = 0xffffffff;
const ALIGN = 64;
/** zlib.crc32 is given at most this many bytes at a time. */
const CRC_CHUNK = 1 << 30;
const UTF8 = new TextEncoder();

function bytesOf(fill: (v: DataView) => void, length: number): Uint8Array {
  const out = new Uint8Array(length);
  fill(new DataView(out.buffer));
  return out;
}

/** torch's local header: zip64 block when needed, then `FB` padding so the data is 64-byte aligned. */
function localHeader(name: Uint8Array, size: number, offset: number, bigSize: boolean, bigOffset: boolean) {
  const zip64Len = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
  const pad = (ALIGN - ((offset + 30 + name.byteLength + zip64Len + 4) % ALIGN)) % ALIGN;
  const extraLen = zip64Len + 4 + pad;
  const header = bytesOf(
    (v) => {
      v.setUint32(0, 0x04034b50, true);
      v.setUint16(6, size > 0 ? 0x0808 : 0x0800, true);
      v.setUint16(26, name.byteLength, true);
      v.setUint16(28, extraLen, true);
      const at = 30 + name.byteLength;
      if (zip64Len > 0) {
        v.setUint16(at, 1, true);
        v.setUint16(at + 2, zip64Len - 4, true);
        if (bigSize) v.setBigUint64(at + 4, BigInt(size), true); // then 8 zero bytes (compressed size)
        if (bigOffset) v.setBigUint64(at + 4 + (bigSize ? 16 : 0), BigInt(offset), true);
      }
      v.setUint16(at + zip64Len, 0x4246, true); // "FB"
      v.setUint16(at + zip64Len + 2, pad, true);
    },
    30 + name.byteLength + extraLen,
  );
  header.set(name, 30);
  header.fill(0x5a, header.byteLength - pad); // "Z" padding
  return header;
}

/** Streams records into a torch-style zip; `finish()` writes the directory and end records. */
export class ZipWriter {
  #pos = 0;
  readonly #entries: Written[] = [];
  readonly #big: number;
  readonly #slice: number;

  constructor(
    readonly sink: ByteSink,
    options: ZipWriterOptions = {},
  ) {
    this.#big = options.zip64Threshold ?? U32;
    this.#slice = options.writeSliceBytes ?? WRITE_SLICE;
  }

  async #write(chunk: Uint8Array): Promise<void> {
    await this.sink.write(chunk);
    this.#pos += chunk.byteLength;
  }

  /**
   * Writes one record whose data is `data`, straight from its buffer in writes of up to 256 MiB; the
   * CRC-32 of each slice is computed while it is written. `onBytes` gets the bytes written after each
   * slice (a throw there, e.g. on cancellation, stops the record).
   */
  async addRecord(name: string, data: Uint8Array, onBytes?: (bytes: number) => void): Promise<void> {
    const full = UTF8.encode(name);
    const size = data.byteLength;
    const offset = this.#pos;
    const bigSize = size >= this.#big;
    const bigOffset = offset >= this.#big;
    await this.#write(localHeader(full, size, offset, bigSize, bigOffset));
    let crc = 0;
    if (size > 0) {
      for (let start = 0; start < size; start += this.#slice) {
        const part = data.subarray(start, start + this.#slice);
        const written = this.#write(part); // the sink's write call is issued before the CRC starts
        for (let at = 0; at < part.byteLength; at += CRC_CHUNK)
          crc = crc32(part.subarray(at, at + CRC_CHUNK), crc);
        await written;
        onBytes?.(start + part.byteLength);
      }
      await this.#write(this.#descriptor(crc, size, bigSize || bigOffset));
    }
    this.#entries.push({ name: full, size, offset, crc, flags: size > 0 ? 0x0808 : 0x0800 });
  }

  #descriptor(crc: number, size: number, wide: boolean): Uint8Array {
    return bytesOf(
      (v) => {
        v.setUint32(0, 0x08074b50, true);
        v.setUint32(4, crc, true);
        if (wide) {
          v.setBigUint64(8, BigInt(size), true);
          v.setBigUint64(16, BigInt(size), true);
        } else {
          v.setUint32(8, size, true);
          v.setUint32(12, size, true);
        }
      },
      wide ? 24 : 16,
    );
  }

  #central(e: Written): Uint8Array {
    const bigSize = e.size >= this.#big;
    const bigOffset = e.offset >= this.#big;
    const extraLen = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
    const out = bytesOf(
      (v) => {
        v.setUint32(0, 0x02014b50, true);
        v.setUint16(8, e.flags, true);
        v.setUint32(16, e.crc, true);
        v.setUint32(20, bigSize ? U32 : e.size, true);
        v.setUint32(24, bigSize ? U32 : e.size, true);
        v.setUint16(28, e.name.byteLength, true);
        v.setUint16(30, extraLen, true);
        v.setUint32(42, bigOffset ? U32 : e.offset, true);
        let at = 46 + e.name.byteLength;
        if (extraLen === 0) return;
        v.setUint16(at, 1, true);
        v.setUint16(at + 2, extraLen - 4, true);
        at += 4;
        if (bigSize) {
          v.setBigUint64(at, BigInt(e.size), true);
          v.setBigUint64(at + 8, BigInt(e.size), true);
          at += 16;
        }
        if (bigOffset) v.setBigUint64(at, BigInt(e.offset), true);
      },
      46 + e.name.byteLength + extraLen,
    );
    out.set(e.name, 46);
    return out;
  }

  /** Writes the central directory and the (zip64 and classic) end records. */
  async finish(): Promise<void> {
    const cdStart = this.#pos;
    for (const e of this.#entries) await this.#write(this.#central(e));
    const cdSize = this.#pos - cdStart;
    const n = this.#entries.length;
    const eocd64 = this.#pos;
    const end = bytesOf((v) => {
      v.setUint32(0, 0x06064b50, true);
      v.setBigUint64(4, 44n, true);
      v.setUint16(12, 0x031e, true);
      v.setUint16(14, 45, true);
      v.setBigUint64(24, BigInt(n), true);
      v.setBigUint64(32, BigInt(n), true);
      v.setBigUint64(40, BigInt(cdSize), true);
      v.setBigUint64(48, BigInt(cdStart), true);
      v.setUint32(56, 0x07064b50, true);
      v.setBigUint64(64, BigInt(eocd64), true);
      v.setUint32(72, 1, true);
      v.setUint32(76, 0x06054b50, true);
      v.setUint16(84, Math.min(n, 0xffff), true);
      v.setUint16(86, Math.min(n, 0xffff), true);
      v.setUint32(88, Math.min(cdSize, U32), true);
      v.setUint32(92, Math.min(cdStart, U32), true);
    }, 98);
    await this.#write(end);
  }
}
