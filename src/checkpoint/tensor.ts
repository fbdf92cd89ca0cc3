/**
 * `Tensor`: a dtype, a shape and elements, stored the way torch stores them (a storage, an element
 * offset and strides) so views and shared storages survive a load → save round trip.
 */
import { ArtifactError } from "../errors.js";
import {
  bfloat16ToNumber,
  DTYPES,
  type DType,
  float8ToNumber,
  halfToNumber,
  isFloat8,
  type TensorData,
  typedArrayOf,
} from "./dtype.js";
import type { StateDict } from "./values.js";

/** A flat buffer of elements of one dtype; several tensors (views) may share one storage. */
export class Storage {
  /** Where torch kept the storage when it was saved (`"cpu"`, `"cuda:0"`). Written back as `"cpu"`. */
  location: string;

  constructor(
    readonly dtype: DType,
    /** The storage's bytes, little-endian; `bytes.byteLength` is `numel × element size`. */
    public bytes: Uint8Array,
    location = "cpu",
  ) {
    this.location = location;
  }

  /** Number of elements in the storage. */
  get numel(): number {
    return this.bytes.byteLength / DTYPES[this.dtype].size;
  }
}

/** Options of the {@link Tensor} constructor. */
export interface TensorOptions {
  dtype: DType;
  /** Sizes of the dimensions; `[]` for a 0-d (scalar) tensor. */
  shape: readonly number[];
  /** Elements in row-major order, as the typed array of the dtype (see {@link TensorData}). */
  data?: TensorData;
  /** torch's `requires_grad`. @default false */
  requiresGrad?: boolean;
  /** Whether torch saw it as an `nn.Parameter`. @default false */
  isParameter?: boolean;
}

/** Strides of a row-major (C-contiguous) tensor of `shape`, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i] as number;
  }
  return strides;
}

/** Number of elements of a tensor of `shape`. */
export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A tensor: `dtype`, `shape` and `data`, plus torch's storage layout (`storage`, `storageOffset`, `stride`). */
export class Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly storage: Storage;
  /** Offset of element `[0, 0, …]` in the storage, in elements. */
  readonly storageOffset: number;
  requiresGrad: boolean;
  isParameter: boolean;
  /**
   * Python attributes set on the tensor object (`t.note = …`, saved by torch through
   * `_rebuild_from_type_v2` or `_rebuild_parameter_with_state`), as inert data; saved back with it.
   * @default undefined (none)
   */
  attributes: StateDict | undefined;
  /**
   * `module.Class` of the `torch.Tensor` subclass the tensor was saved as (`_rebuild_from_type_v2`); the
   * class is never run, the tensor reads as a plain one. Saved back under the same class name.
   * @default undefined (a plain tensor)
   */
  subclass: string | undefined;

  /** A contiguous tensor of `shape` holding `data` (zeros when `data` is omitted). */
  constructor(options: TensorOptions) {
    const info = DTYPES[options.dtype];
    if (!info) throw new ArtifactError("INVALID_ARGUMENT", `unknown tensor dtype '${String(options.dtype)}'`);
    const numel = numelOf(options.shape);
    if (!options.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Number.isSafeInteger(numel)) {
      throw new ArtifactError("INVALID_ARGUMENT", `invalid tensor shape [${options.shape.join(", ")}]`);
    }
    const nbytes = numel * info.size;
    let bytes: Uint8Array;
    if (options.data === undefined) bytes = new Uint8Array(nbytes);
    else {
      bytes = new Uint8Array(options.data.buffer, options.data.byteOffset, options.data.byteLength);
      const expected = info.array;
      if (options.data.constructor !== expected || bytes.byteLength !== nbytes) {
        throw new ArtifactError(
          "INVALID_ARGUMENT",
          `tensor data must be a ${expected.name} of ${nbytes / (info.size / info.lanes)} items for dtype ${options.dtype} and shape [${options.shape.join(", ")}]`,
        );
      }
    }
    this.dtype = options.dtype;
    this.shape = [...options.shape];
    this.stride = contiguousStrides(this.shape);
    this.storage = new Storage(options.dtype, bytes);
    this.storageOffset = 0;
    this.requiresGrad = options.requiresGrad ?? false;
    this.isParameter = options.isParameter ?? false;
    this.attributes = undefined;
    this.subclass = undefined;
  }

  /**
   * A view of `storage` (as a torch view: element `i` is at `storageOffset + Σ i_k × stride_k`).
   * INVALID_ARGUMENT when the view does not fit in the storage.
   */
  static view(
    storage: Storage,
    storageOffset: number,
    shape: readonly number[],
    stride: readonly number[],
  ): Tensor {
    const t = viewUnchecked(storage, storageOffset, shape, stride);
    if (!viewFits(t)) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `a view of size [${shape}], stride [${stride}] at offset ${storageOffset} does not fit in a storage of ${storage.numel}`,
      );
    }
    return t;
  }

  /** Number of elements. */
  get numel(): number {
    return numelOf(this.shape);
  }

  /** Whether the elements lie row-major and gap-free in the storage (then `data` is a zero-copy view). */
  get isContiguous(): boolean {
    const expected = contiguousStrides(this.shape);
    return this.shape.every((d, i) => d === 1 || this.stride[i] === expected[i]);
  }

  /** The elements in row-major order (a view of the storage when contiguous, otherwise a copy). */
  get data(): TensorData {
    return typedArrayOf(this.dtype, this.bytes());
  }

  /** The elements in row-major order as little-endian bytes (a view when contiguous, otherwise a copy). */
  bytes(): Uint8Array {
    const size = DTYPES[this.dtype].size;
    const n = this.numel;
    const src = this.storage.bytes;
    if (this.isContiguous) return src.subarray(this.storageOffset * size, (this.storageOffset + n) * size);
    const out = new Uint8Array(n * size);
    if (n > 0) gather(src, out, this, size);
    return out;
  }

  /**
   * The elements as plain values in row-major order: numbers (float16/bfloat16/float8 decoded), bigints
   * for int64 and uint64, booleans for bool, `[re, im]` pairs for complex (complex32 decoded); for
   * float4_e2m1fn_x2 the raw bytes (two 4-bit values each).
   */
  toArray(): (number | bigint | boolean | [number, number])[] {
    return plainValues(this.dtype, this.data);
  }
}

/** Plain values of the elements in `data` (see {@link Tensor.toArray}). @internal */
export function plainValues(
  dtype: DType,
  data: TensorData,
): (number | bigint | boolean | [number, number])[] {
  if (isFloat8(dtype)) return Array.from(data as Uint8Array, (b) => float8ToNumber(dtype, b));
  switch (dtype) {
    case "float16":
      return Array.from(data as Uint16Array, halfToNumber);
    case "bfloat16":
      return Array.from(data as Uint16Array, bfloat16ToNumber);
    case "bool":
      return Array.from(data as Uint8Array, (b) => b !== 0);
    case "complex32":
    case "complex64":
    case "complex128": {
      const part = dtype === "complex32" ? halfToNumber : (x: number) => x;
      const out: [number, number][] = [];
      for (let i = 0; i < data.length; i += 2)
        out.push([part(data[i] as number), part(data[i + 1] as number)]);
      return out;
    }
    default:
      return Array.from(data as ArrayLike<number | bigint>);
  }
}

/** A view without bounds checks, for readers that check the declared sizes themselves. @internal */
export function viewUnchecked(
  storage: Storage,
  storageOffset: number,
  shape: readonly number[],
  stride: readonly number[],
): Tensor {
  const t = Object.create(Tensor.prototype) as { -readonly [K in keyof Tensor]: Tensor[K] };
  t.dtype = storage.dtype;
  t.shape = [...shape];
  t.stride = [...stride];
  t.storage = storage;
  t.storageOffset = storageOffset;
  t.requiresGrad = false;
  t.isParameter = false;
  t.attributes = undefined;
  t.subclass = undefined;
  return t as Tensor;
}

/** Whether every element of the view lies inside its storage (sizes, strides, offset non-negative integers). */
export function viewFits(t: Tensor): boolean {
  const ints = (a: readonly number[]) => a.every((x) => Number.isSafeInteger(x) && x >= 0);
  if (!ints(t.shape) || !ints(t.stride) || !ints([t.storageOffset]) || t.shape.length !== t.stride.length)
    return false;
  if (t.storage.bytes.byteLength % DTYPES[t.dtype].size !== 0) return false;
  let last = t.storageOffset;
  for (let k = 0; k < t.shape.length; k++) {
    if (t.shape[k] === 0) return true;
    last += ((t.shape[k] as number) - 1) * (t.stride[k] as number);
  }
  return last < t.storage.numel;
}

type Lanes = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** `bytes` as lanes of `laneBytes` (copied when unaligned). */
function lanesOf(bytes: Uint8Array, laneBytes: number): Lanes {
  const b = bytes.byteOffset % laneBytes === 0 ? bytes : bytes.slice();
  const Ctor = { 1: Uint8Array, 2: Uint16Array, 4: Uint32Array, 8: BigUint64Array }[laneBytes] ?? Uint8Array;
  return new Ctor(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / laneBytes);
}

/** Copies a strided view into `out` in row-major order, element by element along the last dimension. */
function gather(src: Uint8Array, out: Uint8Array, t: Tensor, size: number): void {
  const laneBytes = Math.min(size, 8);
  const lanes = size / laneBytes;
  const from = lanesOf(src, laneBytes);
  const to = lanesOf(out, laneBytes);
  const dims = t.shape.length;
  const inner = t.shape[dims - 1] ?? 1;
  const innerStride = (t.stride[dims - 1] ?? 1) * lanes;
  const index = new Array<number>(Math.max(0, dims - 1)).fill(0);
  for (let o = 0; o < to.length; o += inner * lanes) {
    let pos = t.storageOffset;
    for (let k = 0; k < index.length; k++) pos += (index[k] as number) * (t.stride[k] as number);
    pos *= lanes;
    for (let i = 0; i < inner; i++, pos += innerStride) {
      for (let l = 0; l < lanes; l++) to[o + i * lanes + l] = from[pos + l] as never;
    }
    for (let k = index.length - 1; k >= 0; k--) {
      index[k] = (index[k] as number) + 1;
      if ((index[k] as number) < (t.shape[k] as number)) break;
      index[k] = 0;
    }
  }
}

/** Whether `value` is a {@link Tensor}. */
export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}
