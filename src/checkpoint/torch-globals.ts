/**
 * The allow-list of Python callables a torch checkpoint may "call", each implemented as a plain value
 * builder. Anything else in a REDUCE is rejected; classes instantiated by NEWOBJ become inert objects.
 */
import { constants } from "node:buffer";
import { ArtifactError } from "../errors.js";
import { DTYPES, type DType, dtypeOfStorage, isDType } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { reconstructNdArray } from "./numpy-arrays.js";
import { numpyDType, numpyScalar } from "./numpy-scalars.js";
import { PyDict } from "./pickle/py-dict.js";
import type { UnpicklerHooks } from "./pickle/reader.js";
import { PYTHON_OBJECT_BUILDERS } from "./python-objects.js";
import { contiguousStrides, Storage, Tensor, viewUnchecked } from "./tensor.js";
import { GlobalRef, PickledObject, Tuple } from "./values.js";

/** A storage the pickle refers to; its bytes are read after the pickle. */
export interface StorageRef {
  storage: Storage;
  key: string;
  /** Elements the persistent id declares. */
  numel: number;
}

type Builder = (args: unknown[]) => unknown;

function nonNegativeInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw invalidCheckpoint(`${what} must be a non-negative integer, got ${String(v)}`);
  }
  return v;
}

function intTuple(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw invalidCheckpoint(`${what} must be a tuple of integers`);
  return v.map((x, i) => nonNegativeInt(x, `${what}[${i}]`));
}

/**
 * torch 2.x's `('storage', torch.storage.UntypedStorage, key, location, nbytes)`: the dtype comes with
 * the `_rebuild_tensor_v3` that uses it, which registers the storage.
 */
class UntypedStorageRef {
  constructor(
    readonly key: string,
    readonly location: string,
    readonly nbytes: number,
  ) {}
}

/** Registers a storage of `dtype` (see {@link TorchHooksOptions.storage}). */
type RegisterStorage = (dtype: DType, key: string, location: string, numel: number) => StorageRef;

/** A conj or neg view: its bytes are the base tensor's, the bit is applied once the bytes are read. */
interface PendingView {
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
function resolveView({ tensor, conj, neg }: PendingView): void {
  const size = DTYPES[tensor.dtype].size;
  const lanes = DTYPES[tensor.dtype].lanes;
  const part = size / lanes;
  const bytes = tensor.bytes().slice(); // a copy: the storage may be shared with the base tensor
  for (let at = 0; at < bytes.length; at += size) {
    // Little-endian IEEE floats: the sign is the top bit of each part's last byte.
    if (neg) for (let lane = 0; lane < lanes; lane++) flipSign(bytes, at + (lane + 1) * part - 1);
    if (conj) flipSign(bytes, at + size - 1);
  }
  const resolved = tensor as { -readonly [K in keyof Tensor]: Tensor[K] };
  resolved.storage = new Storage(tensor.dtype, bytes, tensor.storage.location);
  resolved.storageOffset = 0;
  resolved.stride = contiguousStrides(tensor.shape);
}

function flipSign(bytes: Uint8Array, index: number): void {
  bytes[index] = (bytes[index] as number) ^ 0x80;
}

/** `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`, bounds-checked. */
function rebuildTensor(args: unknown[], refs: WeakMap<Storage, StorageRef>, pending: PendingView[]): Tensor {
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
  if (bits.conj || bits.neg) pending.push({ tensor, ...bits });
  return tensor;
}

/** The DType of a dtype global (`torch.float8_e4m3fn`); UNSUPPORTED for torch dtypes we do not read. */
function dtypeOfGlobal(ref: unknown): DType {
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
function rebuildTensorV3(
  args: unknown[],
  refs: WeakMap<Storage, StorageRef>,
  pending: PendingView[],
  register: RegisterStorage,
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
  return rebuildTensor([typed, offset, size, stride, requiresGrad, hooks, metadata], refs, pending);
}

function rebuildParameter(args: unknown[]): Tensor {
  const [data, requiresGrad] = args;
  if (!(data instanceof Tensor)) throw invalidCheckpoint("_rebuild_parameter without a tensor");
  data.requiresGrad = requiresGrad === true;
  data.isParameter = true;
  return data;
}

function orderedDictOf(args: unknown[]): PyDict {
  const d = new PyDict();
  d.ordered = true;
  const [items] = args;
  if (Array.isArray(items)) {
    for (const pair of items) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw invalidCheckpoint("OrderedDict item is not a pair");
      d.set(pair[0], pair[1]);
    }
  }
  return d;
}

function setOf(args: unknown[]): Set<unknown> {
  const [items] = args;
  if (items !== undefined && !Array.isArray(items)) throw invalidCheckpoint("set() of a non-list");
  return new Set(items ?? []);
}

function latin1Bytes(args: unknown[]): Uint8Array {
  const [text, encoding] = args;
  if (typeof text !== "string" || (encoding !== "latin1" && encoding !== "latin-1")) {
    throw invalidCheckpoint("_codecs.encode is only allowed for latin1 bytes");
  }
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** `bytes()` (protocol 2 pickles b'' so) and `bytearray(bytes)`: a Uint8Array (a bytearray is copied). */
function bytesOf(args: unknown[]): Uint8Array {
  const [data] = args;
  if (args.length === 0) return new Uint8Array(0);
  if (!(data instanceof Uint8Array) || args.length > 1)
    throw invalidCheckpoint("bytes() of something else than bytes");
  return data;
}

function builders(
  refs: WeakMap<Storage, StorageRef>,
  pending: PendingView[],
  register: RegisterStorage,
): Map<string, Builder> {
  const tensor: Builder = (a) => rebuildTensor(a, refs, pending);
  return new Map<string, Builder>([
    ["torch._utils._rebuild_tensor_v3", (a) => rebuildTensorV3(a, refs, pending, register)],
    ["collections.OrderedDict", orderedDictOf],
    ["torch._utils._rebuild_tensor_v2", tensor],
    ["torch._utils._rebuild_tensor", tensor],
    ["torch._utils._rebuild_parameter", rebuildParameter],
    ["torch._utils._rebuild_parameter_with_state", rebuildParameter],
    ["builtins.set", setOf],
    ["builtins.frozenset", setOf],
    ["torch.Size", (a) => Tuple.from((a[0] as unknown[]) ?? [])],
    ["torch.device", (a) => a.map(String).join(":")],
    ["_codecs.encode", latin1Bytes],
    ["builtins.bytes", bytesOf],
    ["numpy.dtype", numpyDType],
    ["numpy.core.multiarray.scalar", numpyScalar],
    ["numpy._core.multiarray.scalar", numpyScalar],
    ["numpy.core.multiarray._reconstruct", reconstructNdArray],
    ["numpy._core.multiarray._reconstruct", reconstructNdArray],
    ...PYTHON_OBJECT_BUILDERS,
  ]);
}

function globalName(ref: GlobalRef): string {
  const module = ref.module === "__builtin__" ? "builtins" : ref.module;
  return `${module}.${ref.name}`;
}

/** torch's quantized storage classes: valid, not read. */
const QUANTIZED_STORAGES = new Set([
  "QInt8Storage",
  "QUInt8Storage",
  "QInt32Storage",
  "QUInt4x2Storage",
  "QUInt2x4Storage",
]);

/** The dtype of a legacy storage class (`torch.FloatStorage`); UNSUPPORTED for torch's others. */
function storageDType(cls: unknown): DType {
  const name = cls instanceof GlobalRef ? cls.name : undefined;
  const dtype =
    name !== undefined && (cls as GlobalRef).module === "torch" ? dtypeOfStorage(name) : undefined;
  if (dtype !== undefined) return dtype;
  if (name !== undefined && (cls as GlobalRef).module === "torch" && QUANTIZED_STORAGES.has(name)) {
    throw new ArtifactError(
      "UNSUPPORTED",
      `the checkpoint has a storage of type torch.${name} (quantized tensors are not supported); dequantize it in Python (x.dequantize()) before saving`,
    );
  }
  throw invalidCheckpoint(`unknown storage type ${cls instanceof GlobalRef ? cls.fullName : String(cls)}`);
}

/** Options of {@link createTorchHooks}. */
export interface TorchHooksOptions {
  /** Returns the storage of a persistent id `('storage', cls, key, location, numel)`. */
  storage(dtype: DType, key: string, location: string, numel: number): StorageRef;
  /** Whether NEWOBJ may create inert objects (pickled modules). */
  allowObjects: boolean;
  /** Work allowed per pickle byte (see `DEFAULT_WORK_RATIO` in pickle/reader.ts). */
  workRatio?: number;
}

/** The unpickler hooks, and what to do once every storage's bytes are read. */
export interface TorchHooks extends UnpicklerHooks {
  /** Applies the conj and neg bits of views (each such tensor gets a resolved copy of its own). */
  resolveViews(): void;
}

/** The unpickler hooks for torch checkpoints: storages, the REDUCE allow-list, inert objects. */
export function createTorchHooks(options: TorchHooksOptions): TorchHooks {
  const refs = new WeakMap<Storage, StorageRef>();
  const pending: PendingView[] = [];
  const table = builders(refs, pending, options.storage);
  return {
    ...(options.workRatio === undefined ? {} : { workRatio: options.workRatio }),
    resolveViews() {
      for (const view of pending.splice(0)) resolveView(view);
    },
    persistentLoad(pid) {
      // Legacy files save each nn.Module class as ('module', <class>, source file, source): keep the class.
      if (pid instanceof Tuple && pid[0] === "module" && pid[1] instanceof GlobalRef) return pid[1];
      if (!(pid instanceof Tuple) || pid[0] !== "storage" || pid.length < 5) {
        throw invalidCheckpoint("persistent id is not a ('storage', …) tuple");
      }
      const [, cls, key, location, numel] = pid;
      if (typeof key !== "string" || typeof location !== "string") throw invalidCheckpoint("bad storage key");
      const count = nonNegativeInt(numel, "storage numel");
      if (cls instanceof GlobalRef && cls.fullName === "torch.storage.UntypedStorage") {
        return new UntypedStorageRef(key, location, count);
      }
      const dtype = storageDType(cls);
      const ref = options.storage(dtype, key, location, count);
      refs.set(ref.storage, ref);
      return ref.storage;
    },
    reduce(fn, args) {
      const name = fn instanceof GlobalRef ? globalName(fn) : typeof fn;
      const build = table.get(name);
      if (build === undefined)
        throw invalidCheckpoint(`the pickle calls '${name}', which is not on the allow-list`);
      return build(args);
    },
    newObject(cls, args) {
      if (!(cls instanceof GlobalRef)) throw invalidCheckpoint("NEWOBJ of something that is not a class");
      if (!options.allowObjects) {
        throw invalidCheckpoint(`the pickle creates a '${cls.fullName}' object and allowObjects is false`);
      }
      return new PickledObject(globalName(cls), args as PickledObject["args"]);
    },
  };
}
