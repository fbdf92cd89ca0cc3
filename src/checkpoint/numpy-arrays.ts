/**
 * NumPy arrays as pickled inside checkpoints (a Hugging Face Trainer's `rng_state.pth` holds
 * `np.random.get_state()`; metric histories, normalisation statistics): `_reconstruct(ndarray, (0,), b'b')`
 * then BUILD `(1, shape, dtype, is_fortran, raw bytes)`. Decoded as plain data, never executed.
 */
import { ArtifactError } from "../errors.js";
import { DTYPES, type DType, type TensorData, typedArrayOf } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { NumpyDType } from "./numpy-scalars.js";
import { plainValues, Storage, viewUnchecked } from "./tensor.js";
import { GlobalRef, Tuple } from "./values.js";

/** NumPy type codes (as `numpy.dtype` pickles them) of the dtypes an {@link NdArray} can have. */
const CODES: Partial<Record<DType, string>> = {
  bool: "b1",
  int8: "i1",
  uint8: "u1",
  int16: "i2",
  uint16: "u2",
  int32: "i4",
  uint32: "u4",
  int64: "i8",
  uint64: "u8",
  float16: "f2",
  float32: "f4",
  float64: "f8",
  complex64: "c8",
  complex128: "c16",
};
const BY_CODE = new Map(Object.entries(CODES).map(([dtype, code]) => [code, dtype as DType]));

/** numpy's limit on dimensions (NPY_MAXDIMS in numpy 2). */
const MAX_DIMS = 64;

/** The NumPy type code of `dtype` (`float32` → `f4`), or undefined when NumPy has no such type. */
export function numpyCode(dtype: DType): string | undefined {
  return CODES[dtype];
}

/** Options of the {@link NdArray} constructor. */
export interface NdArrayOptions {
  /** bool, int8…int64, uint8…uint64, float16/32/64, complex64/128 (NumPy's b1, i1…, f2…, c8, c16). */
  dtype: DType;
  /** Sizes of the dimensions; `[]` for a 0-d array. */
  shape: readonly number[];
  /** Elements in row-major (C) order, as the typed array of the dtype (as for a {@link Tensor}). */
  data: TensorData;
}

/**
 * A NumPy array (`numpy.ndarray`) read from or saved to a checkpoint, as plain data: `dtype` (torch's
 * names: `uint32` for NumPy's `u4`), `shape` and the elements. Saved back as a NumPy array.
 */
export class NdArray {
  dtype: DType = "int8";
  shape: readonly number[] = [0];
  /** Whether the stored elements are in Fortran (column-major) order; `data` is row-major either way. */
  fortranOrder = false;
  #raw: Uint8Array = new Uint8Array(0);
  #littleEndian = true;

  constructor(options?: NdArrayOptions) {
    if (options === undefined) return; // an empty array, as `_reconstruct` makes before BUILD
    const { dtype, shape, data } = options;
    const info = DTYPES[dtype];
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numpyCode(dtype) === undefined || !info) {
      throw new ArtifactError("INVALID_ARGUMENT", `NumPy has no dtype ${String(dtype)}`);
    }
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || shape.length > MAX_DIMS) {
      throw new ArtifactError("INVALID_ARGUMENT", `invalid array shape [${shape.join(", ")}]`);
    }
    if (data.constructor !== info.array || data.byteLength !== numel * info.size) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `array data must be a ${info.array.name} of ${(numel * info.lanes).toString()} items for dtype ${dtype} and shape [${shape.join(", ")}]`,
      );
    }
    this.dtype = dtype;
    this.shape = [...shape];
    this.#raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  /** Number of elements. */
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The elements in row-major order as little-endian bytes (copied only for Fortran order or big-endian). */
  bytes(): Uint8Array {
    let bytes = this.#raw;
    const info = DTYPES[this.dtype];
    const lane = info.size / info.lanes;
    if (!this.#littleEndian && lane > 1) {
      bytes = bytes.slice();
      for (let at = 0; at < bytes.length; at += lane) bytes.subarray(at, at + lane).reverse();
    }
    if (this.fortranOrder && this.shape.length > 1) {
      const strides: number[] = [];
      let acc = 1;
      for (const d of this.shape) {
        strides.push(acc);
        acc *= d;
      }
      bytes = viewUnchecked(new Storage(this.dtype, bytes), 0, this.shape, strides).bytes();
    }
    return bytes;
  }

  /** The elements in row-major order, as the dtype's typed array (see {@link TensorData}). */
  get data(): TensorData {
    return typedArrayOf(this.dtype, this.bytes());
  }

  /** The elements as plain values in row-major order (as {@link Tensor.toArray}). */
  toArray(): (number | bigint | boolean | [number, number])[] {
    return plainValues(this.dtype, this.data);
  }

  /** BUILD state `(1, shape, dtype, is_fortran, raw bytes)`: O(1) work, the bytes are not copied. @internal */
  setState(state: unknown): void {
    if (!(state instanceof Tuple) || state.length !== 5 || state[0] !== 1) {
      throw invalidCheckpoint("numpy array BUILD state is not (1, shape, dtype, is_fortran, data)");
    }
    const [, shape, dtype, fortran, raw] = state;
    if (!(dtype instanceof NumpyDType)) throw invalidCheckpoint("numpy array without a numpy.dtype");
    const code = dtype.code;
    if (code.startsWith("O") || Array.isArray(raw)) {
      throw new ArtifactError(
        "UNSUPPORTED",
        "the checkpoint has a NumPy object array (dtype 'O'), which this reader does not support (its items are arbitrary Python objects); save a list or a numeric array instead",
      );
    }
    const type = dtype.structured ? undefined : BY_CODE.get(code);
    if (type === undefined) {
      throw new ArtifactError(
        "UNSUPPORTED",
        `the checkpoint has a NumPy array of dtype '${code}'${dtype.structured ? " (structured)" : ""}, which this reader does not support (only bool, ints, uints, floats and complex)`,
      );
    }
    if (!(shape instanceof Tuple) || shape.length > MAX_DIMS) {
      throw invalidCheckpoint("numpy array shape is not a tuple of at most 64 sizes");
    }
    const dims = shape.map((d) => {
      if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
        throw invalidCheckpoint("numpy array shape is not a tuple of sizes");
      return d;
    });
    const numel = dims.reduce((a, b) => a * b, 1);
    if (!(raw instanceof Uint8Array) || raw.byteLength !== numel * DTYPES[type].size) {
      throw invalidCheckpoint(
        `numpy array of shape [${dims}] and dtype '${code}' has the wrong number of bytes`,
      );
    }
    this.dtype = type;
    this.shape = dims;
    this.fortranOrder = fortran === true;
    this.#raw = raw;
    this.#littleEndian = dtype.littleEndian;
  }
}

/** `numpy._core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')` (numpy 1.x: `numpy.core…`). */
export function reconstructNdArray(args: unknown[]): NdArray {
  const [cls] = args;
  if (!(cls instanceof GlobalRef) || cls.module !== "numpy" || cls.name !== "ndarray") {
    const name = cls instanceof GlobalRef ? cls.fullName : typeof cls;
    throw new ArtifactError(
      "UNSUPPORTED",
      `the checkpoint has a NumPy array of class '${name}', which this reader does not support (only numpy.ndarray)`,
    );
  }
  return new NdArray();
}
