/** Tensor element types: names, sizes, torch storage classes and the typed arrays that hold them. */

/** The element types a checkpoint tensor can have (torch's names). */
export type DType =
  | "float16"
  | "bfloat16"
  | "float32"
  | "float64"
  | "int8"
  | "uint8"
  | "int16"
  | "int32"
  | "int64"
  | "bool"
  | "complex64"
  | "complex128"
  | "uint16"
  | "uint32"
  | "uint64"
  | "complex32"
  | "float8_e4m3fn"
  | "float8_e5m2"
  | "float8_e4m3fnuz"
  | "float8_e5m2fnuz"
  | "float8_e8m0fnu"
  | "float4_e2m1fn_x2";

/**
 * The typed array that holds a tensor's elements, by dtype:
 * float16 and bfloat16 → `Uint16Array` of raw bits (decode with `toNumbers()`), float32 → `Float32Array`,
 * float64 → `Float64Array`, int8/uint8/int16/int32 → the matching typed array, int64 → `BigInt64Array`,
 * bool → `Uint8Array` of 0/1, complex64 → `Float32Array` and complex128 → `Float64Array` of interleaved
 * (real, imaginary) pairs; the dtypes only torch 2.x saves: uint16/uint32 → `Uint16Array`/`Uint32Array`,
 * uint64 → `BigUint64Array`, complex32 → `Uint16Array` of interleaved float16 bits, the float8 types and
 * float4_e2m1fn_x2 (two 4-bit values per byte) → `Uint8Array` of raw bits.
 */
export type TensorData =
  | Uint16Array
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint32Array
  | BigUint64Array;

interface DTypeInfo {
  /** Bytes per element. */
  size: number;
  /**
   * torch's legacy storage class (`torch.FloatStorage`), which names the dtype in a pickle; undefined for
   * the dtypes torch 2.x saves as `_rebuild_tensor_v3` on an `UntypedStorage` with a dtype global.
   */
  storage?: string;
  /** safetensors' dtype name (undefined: safetensors has none). */
  safetensors?: string;
  /** Typed array constructor and how many array slots one element takes (2 for complex). */
  array: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData };
  lanes: number;
}

/** Per dtype: element size, torch storage class, safetensors name and typed array. */
export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float16: { size: 2, storage: "HalfStorage", safetensors: "F16", array: Uint16Array, lanes: 1 },
  bfloat16: { size: 2, storage: "BFloat16Storage", safetensors: "BF16", array: Uint16Array, lanes: 1 },
  float32: { size: 4, storage: "FloatStorage", safetensors: "F32", array: Float32Array, lanes: 1 },
  float64: { size: 8, storage: "DoubleStorage", safetensors: "F64", array: Float64Array, lanes: 1 },
  int8: { size: 1, storage: "CharStorage", safetensors: "I8", array: Int8Array, lanes: 1 },
  uint8: { size: 1, storage: "ByteStorage", safetensors: "U8", array: Uint8Array, lanes: 1 },
  int16: { size: 2, storage: "ShortStorage", safetensors: "I16", array: Int16Array, lanes: 1 },
  int32: { size: 4, storage: "IntStorage", safetensors: "I32", array: Int32Array, lanes: 1 },
  int64: { size: 8, storage: "LongStorage", safetensors: "I64", array: BigInt64Array, lanes: 1 },
  bool: { size: 1, storage: "BoolStorage", safetensors: "BOOL", array: Uint8Array, lanes: 1 },
  complex64: { size: 8, storage: "ComplexFloatStorage", safetensors: "C64", array: Float32Array, lanes: 2 },
  complex128: {
    size: 16,
    storage: "ComplexDoubleStorage",
    safetensors: "C128",
    array: Float64Array,
    lanes: 2,
  },
  uint16: { size: 2, safetensors: "U16", array: Uint16Array, lanes: 1 },
  uint32: { size: 4, safetensors: "U32", array: Uint32Array, lanes: 1 },
  uint64: { size: 8, safetensors: "U64", array: BigUint64Array, lanes: 1 },
  complex32: { size: 4, array: Uint16Array, lanes: 2 },
  float8_e4m3fn: { size: 1, safetensors: "F8_E4M3", array: Uint8Array, lanes: 1 },
  float8_e5m2: { size: 1, safetensors: "F8_E5M2", array: Uint8Array, lanes: 1 },
  float8_e4m3fnuz: { size: 1, safetensors: "F8_E4M3FNUZ", array: Uint8Array, lanes: 1 },
  float8_e5m2fnuz: { size: 1, safetensors: "F8_E5M2FNUZ", array: Uint8Array, lanes: 1 },
  float8_e8m0fnu: { size: 1, safetensors: "F8_E8M0", array: Uint8Array, lanes: 1 },
  // safetensors calls it F4 and counts 4-bit elements (its last dimension is twice torch's)
  float4_e2m1fn_x2: { size: 1, safetensors: "F4", array: Uint8Array, lanes: 1 },
};

const BY_STORAGE = new Map(Object.entries(DTYPES).map(([d, info]) => [info.storage, d as DType]));
const BY_SAFETENSORS = new Map(Object.entries(DTYPES).map(([d, info]) => [info.safetensors, d as DType]));
BY_STORAGE.delete(undefined);
BY_SAFETENSORS.delete(undefined);

/** Whether `value` is a dtype name this library knows. */
export function isDType(value: unknown): value is DType {
  return typeof value === "string" && Object.hasOwn(DTYPES, value);
}

/** The dtype of a torch storage class name (`FloatStorage` → `float32`), or undefined. */
export function dtypeOfStorage(storageClass: string): DType | undefined {
  return BY_STORAGE.get(storageClass);
}

/** The dtype of a safetensors dtype name (`F32` → `float32`), or undefined. */
export function dtypeOfSafetensors(name: string): DType | undefined {
  return BY_SAFETENSORS.get(name);
}

/** A typed array of `dtype` viewing `bytes` (which must be aligned to the element's lane size). */
export function typedArrayOf(dtype: DType, bytes: Uint8Array): TensorData {
  const info = DTYPES[dtype];
  const laneBytes = info.size / info.lanes;
  // Typed arrays need an aligned start: copy the rare unaligned view.
  const aligned = bytes.byteOffset % laneBytes === 0 ? bytes : bytes.slice();
  return new info.array(aligned.buffer, aligned.byteOffset, aligned.byteLength / laneBytes);
}

/** Decodes IEEE binary16 bits to a number. */
export function halfToNumber(bits: number): number {
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Decodes bfloat16 bits (the upper half of a float32) to a number. */
export function bfloat16ToNumber(bits: number): number {
  U32[0] = bits << 16;
  return F32[0] as number;
}

/** Encodes a number as bfloat16 bits (round to nearest even; NaN → 0x7fc0). */
export function numberToBfloat16(value: number): number {
  if (Number.isNaN(value)) return 0x7fc0;
  F32[0] = value;
  const bits = U32[0] as number;
  return ((bits + 0x7fff + ((bits >> 16) & 1)) >>> 16) & 0xffff;
}

/** Encodes a number as IEEE binary16 bits (round to nearest, ties to even; overflow → ±infinity). */
export function numberToHalf(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const abs = Math.abs(value);
  if (abs >= 65520) return sign | 0x7c00; // rounds past the largest half (65504)
  if (abs < 2 ** -14) return sign | roundHalfEven(abs * 2 ** 24); // subnormal (may round up to 0x0400)
  let exp = Math.floor(Math.log2(abs));
  if (2 ** exp > abs) exp -= 1; // log2 can be off by one ulp near powers of two
  if (2 ** (exp + 1) <= abs) exp += 1;
  const mant = roundHalfEven((abs / 2 ** exp - 1) * 1024); // exact: scaling by a power of two
  return sign | (((exp + 15) << 10) + mant); // a mantissa carry moves into the exponent
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

type Float8Kind = "ieee" | "fn" | "fnuz";
/** exponent bits, mantissa bits, bias, and how NaN/infinity are coded, per 8-bit float type. */
const FLOAT8: Partial<Record<DType, [number, number, number, Float8Kind]>> = {
  float8_e4m3fn: [4, 3, 7, "fn"], // no infinity; NaN = S.1111.111
  float8_e5m2: [5, 2, 15, "ieee"],
  float8_e4m3fnuz: [4, 3, 8, "fnuz"], // no infinity, no -0; NaN = 0x80
  float8_e5m2fnuz: [5, 2, 16, "fnuz"],
};

/**
 * Decodes the bits of an 8-bit float (`float8_e4m3fn`, `float8_e5m2`, `float8_e4m3fnuz`,
 * `float8_e5m2fnuz`, `float8_e8m0fnu`) to a number, as torch's `.float()` does.
 */
export function float8ToNumber(dtype: DType, bits: number): number {
  if (dtype === "float8_e8m0fnu") return bits === 0xff ? Number.NaN : 2 ** (bits - 127);
  const format = FLOAT8[dtype];
  if (format === undefined) throw new RangeError(`${dtype} is not an 8-bit float type`);
  const [e, m, bias, kind] = format;
  if (kind === "fnuz" && bits === 0x80) return Number.NaN;
  const sign = bits & 0x80 ? -1 : 1;
  const exp = (bits >> m) & ((1 << e) - 1);
  const frac = bits & ((1 << m) - 1);
  const top = (1 << e) - 1;
  if (kind === "ieee" && exp === top) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  if (kind === "fn" && exp === top && frac === (1 << m) - 1) return Number.NaN;
  if (exp === 0) return sign * frac * 2 ** (1 - bias - m);
  return sign * (1 + frac / 2 ** m) * 2 ** (exp - bias);
}

/** Whether `dtype` is one of the 8-bit float types {@link float8ToNumber} decodes. */
export function isFloat8(dtype: DType): boolean {
  return dtype === "float8_e8m0fnu" || FLOAT8[dtype] !== undefined;
}
