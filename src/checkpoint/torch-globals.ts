/**
 * The allow-list of Python callables a torch checkpoint may "call", each implemented as a plain value
 * builder. Anything else in a REDUCE is rejected; classes instantiated by NEWOBJ become inert objects.
 */
import { ArtifactError } from "../errors.js";
import { type DType, dtypeOfStorage } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { reconstructNdArray } from "./numpy-arrays.js";
import { numpyDType, numpyScalar } from "./numpy-scalars.js";
import { PyDict } from "./pickle/py-dict.js";
import type { UnpicklerHooks } from "./pickle/reader.js";
import { PYTHON_OBJECT_BUILDERS } from "./python-objects.js";
import {
  getLayout,
  type KindContext,
  rebuildFromType,
  rebuildMeta,
  rebuildParameter,
  rebuildQTensor,
  rebuildSparse,
  UNSUPPORTED_REBUILDS,
  unsupportedRebuild,
} from "./rebuild-kinds.js";
import {
  type ChargeCopy,
  nonNegativeInt,
  type PendingView,
  type RegisterStorage,
  rebuildTensor,
  rebuildTensorV3,
  resolveView,
  type StorageRef,
  UntypedStorageRef,
} from "./rebuild-tensor.js";
import { Storage, type Tensor } from "./tensor.js";
import type { QuantizedDType } from "./tensor-kinds.js";
import { FrozenSet, GlobalRef, PickledObject, TorchDevice, TorchSize, Tuple } from "./values.js";

export type { StorageRef } from "./rebuild-tensor.js";

type Builder = (args: unknown[]) => unknown;

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

function setOf(frozen: boolean): Builder {
  return (args) => {
    const [items] = args;
    if (items !== undefined && !Array.isArray(items)) throw invalidCheckpoint("set() of a non-list");
    return frozen ? new FrozenSet(items ?? []) : new Set(items ?? []);
  };
}

/** `torch.Size((2, 3))`. */
function torchSize(args: unknown[]): TorchSize {
  const [items = []] = args;
  if (!Array.isArray(items) || args.length > 1) throw invalidCheckpoint("torch.Size() of a non-tuple");
  const size = new TorchSize();
  for (const item of items) size.push(nonNegativeInt(item, "a torch.Size item"));
  return size;
}

/** `torch.device('cuda', 0)`, `torch.device('cuda:0')`, `torch.device('cpu')`. */
function torchDevice(args: unknown[]): TorchDevice {
  const [spec, indexArg = null] = args;
  if (typeof spec !== "string" || args.length > 2 || spec.length > 64)
    throw invalidCheckpoint("torch.device() without a device name");
  const [type = "", inline] = spec.split(":");
  const index = indexArg ?? (inline === undefined ? null : Number(inline));
  if (!/^[a-z_][a-z0-9_]*$/.test(type) || (index !== null && !Number.isSafeInteger(index))) {
    throw invalidCheckpoint(`torch.device(${JSON.stringify(spec)}) is not a device`);
  }
  return new TorchDevice(type, index as number | null);
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
  kinds: Omit<KindContext, "call" | "tensor">,
  charge: ChargeCopy,
): Map<string, Builder> {
  const tensor = (a: unknown[]): Tensor => {
    if (a[0] instanceof Storage && kinds.quantized.has(a[0]))
      throw invalidCheckpoint("a quantized storage is used by a plain tensor");
    return rebuildTensor(a, refs, pending, charge);
  };
  const ctx: KindContext = {
    ...kinds,
    tensor: (a) => rebuildTensor(a, refs, pending, charge),
    call: (name, a) => (table.get(name) as Builder)(a),
  };
  const table = new Map<string, Builder>([
    ["torch._utils._rebuild_tensor_v3", (a) => rebuildTensorV3(a, refs, pending, register, charge)],
    ["collections.OrderedDict", orderedDictOf],
    ["torch._utils._rebuild_tensor_v2", tensor],
    ["torch._utils._rebuild_tensor", tensor],
    ["torch._utils._rebuild_parameter", rebuildParameter],
    ["torch._utils._rebuild_parameter_with_state", rebuildParameter],
    ["torch._tensor._rebuild_from_type_v2", (a) => rebuildFromType(a, ctx)],
    ["torch._utils._rebuild_qtensor", (a) => rebuildQTensor(a, ctx)],
    ["torch._utils._rebuild_sparse_tensor", rebuildSparse],
    ["torch.serialization._get_layout", getLayout],
    ["torch._utils._rebuild_meta_tensor_no_storage", rebuildMeta],
    ["builtins.set", setOf(false)],
    ["builtins.frozenset", setOf(true)],
    ["torch.Size", torchSize],
    ["torch.device", torchDevice],
    ["_codecs.encode", latin1Bytes],
    ["builtins.bytes", bytesOf],
    ["numpy.dtype", numpyDType],
    ["numpy.core.multiarray.scalar", numpyScalar],
    ["numpy._core.multiarray.scalar", numpyScalar],
    ["numpy.core.multiarray._reconstruct", reconstructNdArray],
    ["numpy._core.multiarray._reconstruct", reconstructNdArray],
    ...PYTHON_OBJECT_BUILDERS,
  ]);
  return table;
}

function globalName(ref: GlobalRef): string {
  const module = ref.module === "__builtin__" ? "builtins" : ref.module;
  return `${module}.${ref.name}`;
}

/** torch's quantized storage classes read: their quantized dtype and the integers they hold. */
export const QUANTIZED_STORAGES: ReadonlyMap<string, [QuantizedDType, DType]> = new Map([
  ["QUInt8Storage", ["quint8", "uint8"]],
  ["QInt8Storage", ["qint8", "int8"]],
  ["QInt32Storage", ["qint32", "int32"]],
]);

/** The packed sub-byte quantized storages: valid, not read. */
const PACKED_QUANTIZED = new Map([
  ["QUInt4x2Storage", "quint4x2"],
  ["QUInt2x4Storage", "quint2x4"],
]);

/** The dtype of a legacy storage class (`torch.FloatStorage`); UNSUPPORTED for torch's others. */
function storageDType(cls: unknown): DType {
  const name = cls instanceof GlobalRef ? cls.name : undefined;
  const torch = name !== undefined && (cls as GlobalRef).module === "torch";
  const dtype = torch ? (dtypeOfStorage(name) ?? QUANTIZED_STORAGES.get(name)?.[1]) : undefined;
  if (dtype !== undefined) return dtype;
  const packed = torch ? PACKED_QUANTIZED.get(name) : undefined;
  if (packed !== undefined) {
    throw new ArtifactError(
      "UNSUPPORTED",
      `the checkpoint has a quantized tensor of dtype torch.${packed} (packed ${packed === "quint4x2" ? "4" : "2"}-bit integers), which this reader does not support; dequantize it in Python (x.dequantize()) before saving`,
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
  /**
   * The most bytes the file's strided and expanded views may allocate once materialised, in all (see
   * `maxMaterializeRatio`); unlimited when undefined.
   */
  maxCopyBytes?: number;
}

/** The unpickler hooks, and what to do once every storage's bytes are read. */
export interface TorchHooks extends UnpicklerHooks {
  /** Applies the conj and neg bits of views (each such tensor gets a resolved copy of its own). */
  resolveViews(): void;
  /** The views whose conj/neg bits are not applied yet (for readers that read tensor bytes later). */
  pendingViews(): readonly PendingView[];
}

/** The unpickler hooks for torch checkpoints: storages, the REDUCE allow-list, inert objects. */
export function createTorchHooks(options: TorchHooksOptions): TorchHooks {
  const refs = new WeakMap<Storage, StorageRef>();
  const pending: PendingView[] = [];
  const quantized = new WeakMap<Storage, QuantizedDType>();
  const limit = options.maxCopyBytes ?? Number.POSITIVE_INFINITY;
  let copied = 0;
  const charge: ChargeCopy = (bytes, shape) => {
    copied += bytes;
    if (copied > limit) {
      throw invalidCheckpoint(
        `the checkpoint's strided and expanded views (the last one of size [${shape}]) would take more than ${limit} bytes once materialised; raise the \`maxMaterializeRatio\` option if the file is trusted`,
      );
    }
  };
  const kinds = { quantized, allowObjects: options.allowObjects };
  const table = builders(refs, pending, options.storage, kinds, charge);
  return {
    ...(options.workRatio === undefined ? {} : { workRatio: options.workRatio }),
    resolveViews() {
      for (const view of pending.splice(0)) resolveView(view);
    },
    pendingViews: () => [...pending],
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
      const q = cls instanceof GlobalRef ? QUANTIZED_STORAGES.get(cls.name)?.[0] : undefined;
      if (q !== undefined) quantized.set(ref.storage, q);
      return ref.storage;
    },
    reduce(fn, args) {
      const name = fn instanceof GlobalRef ? globalName(fn) : typeof fn;
      const build = table.get(name);
      const kind = UNSUPPORTED_REBUILDS.get(name);
      if (kind !== undefined) throw unsupportedRebuild(name, kind);
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
