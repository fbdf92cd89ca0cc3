/**
 * Tensors as torch pickles them: `_rebuild_tensor_v2` / `_rebuild_tensor_v3` on a persistent-id storage,
 * bounds-checked against the storage's declared size, with torch 2.x's conj/neg view bits.
 */
import { constants } from "node:buffer";
import { ArtifactError } from "../errors.js";
import { DTYPES, type DType, isDType } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { PyDict } from "./pickle/py-dict.js";
import { contiguousStrides, Storage, type Tensor, viewUnchecked } from "./tensor.js";
import { GlobalRef } from "./values.js";

/** A storage the pickle refers to; its bytes are read after the pickle. */
export interface StorageRef {
  storage: Storage;
  key: string;
  /** Elements the persistent id declares. */
  numel: number;
}

export function nonNegativeInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw invalidCheckpoint(`${what} must be a non-negative integer, got ${String(v)}`);
  }
  return v;
}

export function intTuple(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw invalidCheckpoint(`${what} must be a tuple of integers`);
  return v.map((x, i) => nonNegativeInt(x, `${what}[${i}]`));
}

/**
 * torch 2.x's `('storage', torch.storage.UntypedStorage, key, location, nbytes)`: the dtype comes with
 * the `_rebuild_tensor_v3` that uses it, which registers the storage.
 */
export class UntypedStorageRef {
  constructor(
    readonly key: string,
    readonly location: string,
    readonly nbytes: number,
  ) {}
}

/** Registers a storage of `dtype` (see {@link TorchHooksOptions.storage}). */
export type RegisterStorage = (dtype: DType, key: string, location: string, numel: number) => StorageRef;

/** A conj or neg view: its bytes are the base tensor's, the bit is applied once the bytes are read. */
export interface PendingView {
  tensor: Tensor;
  conj: boolean;
  neg: boolean;
}

/**
 * The 7th `_rebuild_tensor_v2` argument (torch ≥ 2.0, `torch._utils.get_tensor_metadata`): `{'conj':
 * True}` for `x.conj()`, `{'neg': True}` for a negative view, on CPU tensors too. Anything else is
 * refused: an ignored bit would return silently wrong values.
 */
function viewBits(metadata: unknown, dtype: DType): { conj: boolean; neg: boolean } {
  const bits = { conj: false, neg: false };
  if (metadata === undefined || metadata === null) return bits;
  const entries = metadata instanceof PyDict ? [...metadata.entries] : undefined;
  if (entries === undefined) throw invalidCheckpoint("tensor metadata is not a dict");
  for (const [key, value] of entries) {
    if ((key !== "conj" && key !== "neg") || typeof value !== "boolean") {
      throw new ArtifactError(
        "UNSUPPORTED",
        `the checkpoint has a tensor with metadata ${JSON.stringify(String(key))}: ${String(value)}, which this reader does not support (only 'conj' and 'neg' views); re-save it in Python after x = x.resolve_conj().resolve_neg(), or report the key`,
      );
    }
    bits[key] = value;
  }
  const complex = dtype === "complex32" || dtype === "complex64" || dtype === "complex128";
  const float =
    complex || dtype === "float16" || dtype === "bfloat16" || dtype === "float32" || dtype === "float64";
  if ((bits.conj && !complex) || (bits.neg && !float)) {
    throw new ArtifactError(
      "UNSUPPORTED",
      `the checkpoint has a ${bits.conj ? "conj" : "neg"} view of a ${dtype} tensor, which this reader does not support`,
    );
  }
  return bits;
}

/** Replaces a view's bytes by a resolved copy: sign bits flipped (neg: every part; conj: imaginary parts). */
export function resolveView({ tensor, conj, neg }: PendingView): void {
  const bytes = tensor.bytes().slice(); // a copy: the storage may be shared with the base tensor
  applyViewBits(bytes, tensor.dtype, { conj, neg });
  const resolved = tensor as { -readonly [K in keyof Tensor]: Tensor[K] };
  resolved.storage = new Storage(tensor.dtype, bytes, tensor.storage.location);
  resolved.storageOffset = 0;
  resolved.stride = contiguousStrides(tensor.shape);
}

/**
 * Applies conj/neg view bits in place to row-major element bytes (whole elements: a chunk of a tensor
 * read piece by piece works too): sign bits flipped (neg: every part; conj: imaginary parts).
 */
export function applyViewBits(bytes: Uint8Array, dtype: DType, bits: { conj: boolean; neg: boolean }): void {
  const size = DTYPES[dtype].size;
  const lanes = DTYPES[dtype].lanes;
  const part = size / lanes;
  for (let at = 0; at < bytes.length; at += size) {
    // Little-endian IEEE floats: the sign is the top bit of each part's last byte.
    if (bits.neg) for (let lane = 0; lane < lanes; lane++) flipSign(bytes, at + (lane + 1) * part - 1);
    if (bits.conj) flipSign(bytes, at + size - 1);
  }
}

function flipSign(bytes: Uint8Array, index: number): void {
  bytes[index] = (bytes[index] as number) ^ 0x80;
}

/**
 * Counts the bytes a view will allocate once materialised (its elements copied in row-major order):
 * an expanded (stride-0) view of a small storage can stand for gigabytes.
 */
export type ChargeCopy = (bytes: number, shape: readonly number[]) => void;

/** `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`, bounds-checked. */
export function rebuildTensor(
  args: unknown[],
  refs: WeakMap<Storage, StorageRef>,
  pending: PendingView[],
  charge: ChargeCopy = () => {},
): Tensor {
  const [storage, offsetArg, sizeArg, strideArg, requiresGrad, , metadata] = args;
  const ref = storage instanceof Storage ? refs.get(storage) : undefined;
  if (!(storage instanceof Storage) || ref === undefined) throw invalidCheckpoint("tensor without a storage");
  const offset = nonNegativeInt(offsetArg, "tensor storage offset");
  const shape = intTuple(sizeArg, "tensor size");
  const stride = intTuple(strideArg, "tensor stride");
  if (shape.length !== stride.length || shape.length > 64) {
    throw invalidCheckpoint(`tensor size and stride do not match: [${shape}] vs [${stride}]`);
  }
  let numel = 1;
  let last = offset;
  for (let k = 0; k < shape.length; k++) {
    numel *= shape[k] as number;
    last += Math.max(0, (shape[k] as number) - 1) * (stride[k] as number);
  }
  if (numel * DTYPES[storage.dtype].size > constants.MAX_LENGTH || !Number.isSafeInteger(last)) {
    throw invalidCheckpoint(`tensor of size [${shape}] is too large`);
  }
  if (numel > 0 && last >= ref.numel) {
    throw invalidCheckpoint(
      `tensor of size [${shape}] at offset ${offset} runs past its storage of ${ref.numel}`,
    );
  }
  const bits = viewBits(metadata, storage.dtype);
  const tensor = viewUnchecked(storage, offset, shape, stride); // bytes are read later; bounds checked above
  tensor.requiresGrad = requiresGrad === true;
  // A strided or expanded view is copied when its data is read (a conj/neg view right after the load)
  if (bits.conj || bits.neg || !tensor.isContiguous) charge(numel * DTYPES[storage.dtype].size, shape);
  if (bits.conj || bits.neg) pending.push({ tensor, ...bits });
  return tensor;
}

/** The DType of a dtype global (`torch.float8_e4m3fn`); UNSUPPORTED for torch dtypes we do not read. */
export function dtypeOfGlobal(ref: unknown): DType {
  if (!(ref instanceof GlobalRef) || ref.module !== "torch") {
    throw invalidCheckpoint("_rebuild_tensor_v3 without a torch dtype");
  }
  if (!isDType(ref.name)) {
    throw new ArtifactError(
      "UNSUPPORTED",
      `the checkpoint has a tensor of dtype torch.${ref.name}, which this reader does not support; convert it in Python (x.to(torch.float32) or x.view(torch.uint8)) before saving`,
    );
  }
  return ref.name;
}

/**
 * `_rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype[, metadata])`: torch
 * 2.x's form for the dtypes without a legacy storage class; the storage is untyped (`nbytes` long).
 */
export function rebuildTensorV3(
  args: unknown[],
  refs: WeakMap<Storage, StorageRef>,
  pending: PendingView[],
  register: RegisterStorage,
  charge?: ChargeCopy,
): Tensor {
  const [storage, offset, size, stride, requiresGrad, hooks, dtypeRef, metadata] = args;
  const dtype = dtypeOfGlobal(dtypeRef);
  let typed = storage;
  if (storage instanceof UntypedStorageRef) {
    const itemSize = DTYPES[dtype].size;
    if (storage.nbytes % itemSize !== 0) {
      throw invalidCheckpoint(
        `storage '${storage.key}' of ${storage.nbytes} bytes does not hold whole ${dtype}s`,
      );
    }
    const ref = register(dtype, storage.key, storage.location, storage.nbytes / itemSize);
    refs.set(ref.storage, ref);
    typed = ref.storage;
  } else if (!(storage instanceof Storage) || storage.dtype !== dtype) {
    throw invalidCheckpoint(`_rebuild_tensor_v3 of a ${dtype} tensor without a matching storage`);
  }
  return rebuildTensor([typed, offset, size, stride, requiresGrad, hooks, metadata], refs, pending, charge);
}
