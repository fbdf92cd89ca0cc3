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
  | "complex128";

/**
 * The typed array that holds a tensor's elements, by dtype:
 * float16 and bfloat16 → `Uint16Array` of raw bits (decode with `toNumbers()`), float32 → `Float32Array`,
 * float64 → `Float64Array`, int8/uint8/int16/int32 → the matching typed array, int64 → `BigInt64Array`,
 * bool → `Uint8Array` of 0/1, complex64 → `Float32Array` and complex128 → `Float64Array` of interleaved
 * (real, imaginary) pairs.
 */
export type TensorData =
  | Uint16Array
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | BigInt64Array;

interface DTypeInfo {
  /** Bytes per element. */
  size: number;
  /** torch's legacy storage class (`torch.FloatStorage`), which names the dtype in a pickle. */
  storage: string;
  /** safetensors' dtype name. */
  safetensors: string;
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
};

const BY_STORAGE = new Map(Object.entries(DTYPES).map(([d, info]) => [info.storage, d as DType]));
const BY_SAFETENSORS = new Map(Object.entries(DTYPES).map(([d, info]) => [info.safetensors, d as DType]));

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
