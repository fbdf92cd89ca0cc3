/**
 * NumPy scalars as pickled inside checkpoints (`np.float64(0.5)` for a best accuracy, an epoch as
 * `np.int64`): `numpy.core.multiarray.scalar(numpy.dtype(code), bytes)`, decoded to plain numbers.
 */
import { invalidCheckpoint } from "./invalid.js";
import { PyFloat } from "./values.js";

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

type Reader = (view: DataView, le: boolean) => number | bigint | boolean | PyFloat;

const READERS: Record<string, [number, Reader]> = {
  f8: [8, (v, le) => asFloat(v.getFloat64(0, le))],
  f4: [4, (v, le) => asFloat(v.getFloat32(0, le))],
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

/** `numpy.core.multiarray.scalar(dtype, bytes)` → a number, bigint, boolean or {@link PyFloat}. */
export function numpyScalar(args: unknown[]): number | bigint | boolean | PyFloat {
  const [dtype, data] = args;
  const reader = dtype instanceof NumpyDType ? READERS[dtype.code] : undefined;
  if (reader === undefined || !(data instanceof Uint8Array) || data.byteLength !== reader[0]) {
    throw invalidCheckpoint(`unsupported numpy scalar ${dtype instanceof NumpyDType ? dtype.code : ""}`);
  }
  const bytes = data.slice();
  return reader[1](new DataView(bytes.buffer), (dtype as NumpyDType).littleEndian);
}
