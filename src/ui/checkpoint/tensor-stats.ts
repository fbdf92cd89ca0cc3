/** Statistics of one tensor and the difference of two, computed chunk by chunk (never a whole tensor at once). */
import {
  bfloat16ToNumber,
  type DType,
  float8ToNumber,
  halfToNumber,
  isFloat8,
} from "../../checkpoint/dtype.js";
import { throwIfAborted } from "../../errors.js";
import { DEFAULT_CHUNK_BYTES, type TensorSlot } from "./open-checkpoint.js";

/** min / max / mean over the finite elements, and how many are NaN or infinite. */
export interface TensorStats {
  count: number;
  /** undefined when no element is finite. */
  min: number | undefined;
  max: number | undefined;
  mean: number | undefined;
  nan: number;
  inf: number;
}

/** How two tensors of one key, dtype and shape differ. */
export interface TensorDifference {
  /** Largest |a − b| over element pairs that are both finite; 0 when equal. */
  maxAbs: number;
  /** Element pairs that are not equal (NaN = NaN counts as equal). */
  differing: number;
  /** Pairs where exactly one side is NaN. */
  nanMismatch: number;
}

/** Whether statistics are computed for a dtype (not for complex or packed 4-bit types). */
export function hasStats(dtype: DType): boolean {
  return !dtype.startsWith("complex") && dtype !== "float4_e2m1fn_x2";
}

/** The elements of a little-endian chunk as numbers. */
export function decodeChunk(dtype: DType, chunk: Uint8Array): ArrayLike<number> {
  const aligned = (n: number) => (chunk.byteOffset % n === 0 ? chunk : chunk.slice());
  const view = <T>(Ctor: new (b: ArrayBuffer, o: number, l: number) => T, n: number): T => {
    const b = aligned(n);
    return new Ctor(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / n);
  };
  if (isFloat8(dtype)) return Float64Array.from(chunk, (b) => float8ToNumber(dtype, b));
  switch (dtype) {
    case "float32":
      return view(Float32Array, 4);
    case "float64":
      return view(Float64Array, 8);
    case "float16":
      return Float64Array.from(view(Uint16Array, 2), halfToNumber);
    case "bfloat16":
      return Float64Array.from(view(Uint16Array, 2), bfloat16ToNumber);
    case "int8":
      return view(Int8Array, 1);
    case "uint8":
    case "bool":
      return chunk;
    case "int16":
      return view(Int16Array, 2);
    case "uint16":
      return view(Uint16Array, 2);
    case "int32":
      return view(Int32Array, 4);
    case "uint32":
      return view(Uint32Array, 4);
    case "int64":
      return Float64Array.from(view(BigInt64Array, 8), Number);
    case "uint64":
      return Float64Array.from(view(BigUint64Array, 8), Number);
    default:
      throw new Error(`no statistics for dtype ${dtype}`);
  }
}

/** Statistics of a tensor, reading it chunk by chunk. */
export async function tensorStats(slot: TensorSlot, signal?: AbortSignal): Promise<TensorStats> {
  const stats = { count: 0, min: Infinity, max: -Infinity, sum: 0, finite: 0, nan: 0, inf: 0 };
  for await (const chunk of slot.chunks(DEFAULT_CHUNK_BYTES)) {
    throwIfAborted(signal);
    const values = decodeChunk(slot.dtype, chunk);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (Number.isNaN(v)) stats.nan += 1;
      else if (!Number.isFinite(v)) stats.inf += 1;
      else {
        if (v < stats.min) stats.min = v;
        if (v > stats.max) stats.max = v;
        stats.sum += v;
        stats.finite += 1;
      }
    }
    stats.count += values.length;
  }
  const any = stats.finite > 0;
  return {
    count: stats.count,
    min: any ? stats.min : undefined,
    max: any ? stats.max : undefined,
    mean: any ? stats.sum / stats.finite : undefined,
    nan: stats.nan,
    inf: stats.inf,
  };
}

/**
 * The difference of two tensors of one dtype and shape, reading a chunk of each at a time (at most
 * two chunks in memory, whatever the tensors' sizes).
 */
export async function tensorDifference(
  a: TensorSlot,
  b: TensorSlot,
  signal?: AbortSignal,
): Promise<TensorDifference> {
  const result: TensorDifference = { maxAbs: 0, differing: 0, nanMismatch: 0 };
  const left = a.chunks(DEFAULT_CHUNK_BYTES)[Symbol.asyncIterator]();
  const right = b.chunks(DEFAULT_CHUNK_BYTES)[Symbol.asyncIterator]();
  for (;;) {
    throwIfAborted(signal);
    const [x, y] = await Promise.all([left.next(), right.next()]);
    if (x.done || y.done) break;
    const va = decodeChunk(a.dtype, x.value);
    const vb = decodeChunk(b.dtype, y.value);
    const n = Math.min(va.length, vb.length);
    for (let i = 0; i < n; i++) {
      const p = va[i] as number;
      const q = vb[i] as number;
      if (p === q || (Number.isNaN(p) && Number.isNaN(q))) continue;
      result.differing += 1;
      if (Number.isNaN(p) || Number.isNaN(q)) result.nanMismatch += 1;
      else if (Number.isFinite(p) && Number.isFinite(q))
        result.maxAbs = Math.max(result.maxAbs, Math.abs(p - q));
    }
  }
  return result;
}

/** Elements whose bytes differ, for dtypes without numeric statistics (complex, packed 4-bit). */
export async function differingElements(a: TensorSlot, b: TensorSlot, signal?: AbortSignal): Promise<number> {
  const size = a.numel === 0 ? 1 : a.nbytes / a.numel;
  const left = a.chunks(DEFAULT_CHUNK_BYTES)[Symbol.asyncIterator]();
  const right = b.chunks(DEFAULT_CHUNK_BYTES)[Symbol.asyncIterator]();
  let differing = 0;
  for (;;) {
    throwIfAborted(signal);
    const [x, y] = await Promise.all([left.next(), right.next()]);
    if (x.done || y.done) return differing;
    for (let at = 0; at < x.value.byteLength; at += size) {
      for (let k = 0; k < size; k++) {
        if (x.value[at + k] !== y.value[at + k]) {
          differing += 1;
          break;
        }
      }
    }
  }
}
