/**
 * NumPy scalars as pickled inside checkpoints (`np.float64(0.5)` for a best accuracy, an epoch as
 * `np.int64`): `numpy.core.multiarray.scalar(numpy.dtype(code), bytes)`, decoded to plain numbers.
 */
import { ArtifactError } from "../errors.js";
import { halfToNumber } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { PyFloat, Tuple } from "./values.js";

/** A `numpy.dtype(code)` seen in a pickle; BUILD sets its byte order. */
export class NumpyDType {
  littleEndian = true;
  /** Whether the dtype has fields or a sub-array (a structured dtype): not read. */
  structured = false;
  constructor(readonly code: string) {}

  /** BUILD state `(3, '<', subarray, names, fields, elsize, alignment, flags)`. */
  setState(state: unknown): void {
    const order = Array.isArray(state) ? state[1] : undefined;
    if (order === ">") this.littleEndian = false;
    if (Array.isArray(state) && ((state[2] ?? null) !== null || (state[3] ?? null) !== null)) {
      this.structured = true;
    }
  }
}

export function numpyDType(args: unknown[]): NumpyDType {
  if (typeof args[0] !== "string") throw invalidCheckpoint("numpy.dtype() without a type code");
  return new NumpyDType(args[0]);
}

function asFloat(v: number): number | PyFloat {
  return Number.isInteger(v) ? new PyFloat(v) : v;
}

function asInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** What a numpy scalar decodes to. */
type ScalarValue = number | bigint | boolean | PyFloat | string | Uint8Array | Tuple<number | PyFloat>;
type Reader = (view: DataView, le: boolean) => ScalarValue;

const complexOf = (re: number, im: number) => {
  const t = new Tuple<number | PyFloat>();
  t.push(asFloat(re), asFloat(im));
  return t;
};

const READERS: Record<string, [number, Reader]> = {
  f8: [8, (v, le) => asFloat(v.getFloat64(0, le))],
  f4: [4, (v, le) => asFloat(v.getFloat32(0, le))],
  f2: [2, (v, le) => asFloat(halfToNumber(v.getUint16(0, le)))],
  c8: [8, (v, le) => complexOf(v.getFloat32(0, le), v.getFloat32(4, le))],
  c16: [16, (v, le) => complexOf(v.getFloat64(0, le), v.getFloat64(8, le))],
  i8: [8, (v, le) => asInt(v.getBigInt64(0, le))],
  u8: [8, (v, le) => asInt(v.getBigUint64(0, le))],
  i4: [4, (v, le) => v.getInt32(0, le)],
  u4: [4, (v, le) => v.getUint32(0, le)],
  i2: [2, (v, le) => v.getInt16(0, le)],
  u2: [2, (v, le) => v.getUint16(0, le)],
  i1: [1, (v) => v.getInt8(0)],
  u1: [1, (v) => v.getUint8(0)],
  b1: [1, (v) => v.getUint8(0) !== 0],
};

/** `np.str_` (UTF-32, `U<n>`): trailing NULs dropped, as numpy does. */
function unicodeOf(view: DataView, le: boolean): string {
  let end = view.byteLength / 4;
  while (end > 0 && view.getUint32((end - 1) * 4, le) === 0) end--;
  const codes: number[] = [];
  for (let i = 0; i < end; i++) codes.push(view.getUint32(i * 4, le));
  try {
    return String.fromCodePoint(...codes);
  } catch (error) {
    throw invalidCheckpoint("a numpy string holds an invalid code point", error);
  }
}

/** The reader and byte size of a numpy scalar type code, or undefined. */
function readerOf(code: string): [number, Reader] | undefined {
  const fixed = READERS[code];
  if (fixed !== undefined) return fixed;
  const sized = /^([US])(\d{1,9})$/.exec(code);
  if (sized === null) return undefined;
  const n = Number(sized[2]);
  if (sized[1] === "U") return [4 * n, unicodeOf];
  return [
    n,
    (v) => {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      let end = bytes.byteLength;
      while (end > 0 && bytes[end - 1] === 0) end--; // np.bytes_ drops trailing NULs
      return bytes.slice(0, end);
    },
  ];
}

/** numpy scalar kinds that are valid but not read: void, datetime, timedelta, object, long double. */
const UNREAD = /^(V\d+|[Mm]8(\[\w+\])?|O|f16|f12|g|c32|c24)$/;

/**
 * `numpy.core.multiarray.scalar(dtype, bytes)` → a number, bigint, boolean or {@link PyFloat}; float16
 * (`f2`) decoded; complex (`c8`, `c16`) → `Tuple(re, im)`; `np.str_` → string; `np.bytes_` → bytes.
 */
export function numpyScalar(args: unknown[]): ScalarValue {
  const [dtype, data] = args;
  const code = dtype instanceof NumpyDType ? dtype.code : "";
  const reader = readerOf(code);
  if (reader === undefined && UNREAD.test(code)) {
    throw new ArtifactError(
      "UNSUPPORTED",
      `the checkpoint has a numpy scalar of dtype '${code}', which this reader does not support; convert it to a Python value (x.item()) before saving`,
    );
  }
  if (reader === undefined || !(data instanceof Uint8Array) || data.byteLength !== reader[0]) {
    throw invalidCheckpoint(`unsupported numpy scalar ${code}`);
  }
  const bytes = data.slice();
  return reader[1](new DataView(bytes.buffer), (dtype as NumpyDType).littleEndian);
}
