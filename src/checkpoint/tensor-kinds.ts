/**
 * The tensors torch saves that are not a dense array of elements: quantized tensors (integers plus
 * scale and zero point), sparse tensors (indices plus values) and meta tensors (no data at all). Each is
 * read as plain data and saved back as torch wrote it.
 */
import { numelOf, type Tensor } from "./tensor.js";

/** torch's quantized dtypes this library reads (the 4- and 2-bit packed ones are refused). */
export type QuantizedDType = "quint8" | "qint8" | "qint32";

/** torch's quantization schemes (`torch.per_tensor_affine` …). */
export type QScheme = "per_tensor_affine" | "per_channel_affine" | "per_channel_affine_float_qparams";

/** Options of the {@link QuantizedTensor} constructor (its fields). */
export interface QuantizedTensorOptions {
  dtype: QuantizedDType;
  /** The integers (torch's `x.int_repr()`): uint8 for quint8, int8 for qint8, int32 for qint32. */
  values: Tensor;
  scheme: QScheme;
  /** The scale (per tensor), or a float64 (float32 for float qparams) tensor of one per channel. */
  scale: number | Tensor;
  /** The zero point (per tensor), or an int64 (float32 for float qparams) tensor of one per channel. */
  zeroPoint: number | Tensor;
  /** The channel dimension (per-channel schemes). */
  axis?: number;
  /** @default false */
  requiresGrad?: boolean;
}

/**
 * A quantized tensor (`torch.quantize_per_tensor`, `quantize_per_channel`, a quantized model's
 * weights): its integer representation and quantizer parameters, as data. {@link dequantize} gives the
 * real values as torch's `x.dequantize()`.
 */
export class QuantizedTensor {
  readonly dtype: QuantizedDType;
  readonly values: Tensor;
  readonly scheme: QScheme;
  readonly scale: number | Tensor;
  readonly zeroPoint: number | Tensor;
  readonly axis: number | undefined;
  requiresGrad: boolean;

  constructor(options: QuantizedTensorOptions) {
    this.dtype = options.dtype;
    this.values = options.values;
    this.scheme = options.scheme;
    this.scale = options.scale;
    this.zeroPoint = options.zeroPoint;
    this.axis = options.axis;
    this.requiresGrad = options.requiresGrad ?? false;
  }

  /** The tensor's shape. */
  get shape(): readonly number[] {
    return this.values.shape;
  }

  /**
   * The real values in row-major order, as torch's `x.dequantize()` computes them (float32):
   * `(q - zero_point) * scale`.
   */
  dequantize(): Float32Array {
    const q = this.values.data as Int8Array | Uint8Array | Int32Array;
    const out = new Float32Array(q.length);
    const param = (p: number | Tensor) =>
      typeof p === "number"
        ? () => p
        : (
            (d) => (c: number) =>
              Number(d[c])
          )(p.data);
    const scale = param(this.scale);
    const zero = param(this.zeroPoint);
    const axis = this.axis ?? 0;
    const inner = numelOf(this.shape.slice(axis + 1));
    const channels = this.shape[axis] ?? 1;
    const perChannel = this.scheme !== "per_tensor_affine";
    for (let i = 0; i < q.length; i++) {
      const c = perChannel ? Math.floor(i / inner) % channels : 0;
      const v = q[i] as number;
      out[i] = Math.fround((v - zero(c)) * scale(c));
    }
    return out;
  }
}

/** torch's sparse layouts. */
export type SparseLayout = "sparse_coo" | "sparse_csr" | "sparse_csc" | "sparse_bsr" | "sparse_bsc";

/** Options of the {@link SparseTensor} constructor (its fields). */
export interface SparseTensorOptions {
  layout: SparseLayout;
  shape: readonly number[];
  /** The stored values (COO: one per index column; compressed layouts: one per plain index, or blocks). */
  values: Tensor;
  /** COO: the `[sparse dims, nnz]` int64 indices. */
  indices?: Tensor;
  /** COO: whether torch marked it coalesced; `null` when the file does not say. @default null */
  isCoalesced?: boolean | null;
  /** Compressed layouts: `crow_indices` (CSR, BSR) or `ccol_indices` (CSC, BSC). */
  compressedIndices?: Tensor;
  /** Compressed layouts: `col_indices` (CSR, BSR) or `row_indices` (CSC, BSC). */
  plainIndices?: Tensor;
}

/**
 * A sparse tensor (`x.to_sparse()`, `to_sparse_csr()` …) as its index and value tensors. The indices
 * are kept as saved (not checked or densified); torch checks them when it loads the file.
 */
export class SparseTensor {
  readonly layout: SparseLayout;
  readonly shape: readonly number[];
  readonly values: Tensor;
  readonly indices: Tensor | undefined;
  readonly isCoalesced: boolean | null;
  readonly compressedIndices: Tensor | undefined;
  readonly plainIndices: Tensor | undefined;

  constructor(options: SparseTensorOptions) {
    this.layout = options.layout;
    this.shape = [...options.shape];
    this.values = options.values;
    this.indices = options.indices;
    this.isCoalesced = options.isCoalesced ?? null;
    this.compressedIndices = options.compressedIndices;
    this.plainIndices = options.plainIndices;
  }
}

/**
 * A tensor on torch's `meta` device (shape and dtype, no data; `torch.empty(…, device="meta")`, models
 * built with `init_empty_weights`). `dtype` is torch's dtype name.
 */
export class MetaTensor {
  constructor(
    readonly dtype: string,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    public requiresGrad = false,
  ) {}
}
