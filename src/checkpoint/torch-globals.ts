/**
 * The allow-list of Python callables a torch checkpoint may "call", each implemented as a plain value
 * builder. Anything else in a REDUCE is rejected; classes instantiated by NEWOBJ become inert objects.
 */
import { constants } from "node:buffer";
import { DTYPES, type DType, dtypeOfStorage } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { numpyDType, numpyScalar } from "./numpy-scalars.js";
import { PyDict } from "./pickle/py-dict.js";
import type { UnpicklerHooks } from "./pickle/reader.js";
import { Storage, Tensor, viewUnchecked } from "./tensor.js";
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

/** `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`, bounds-checked. */
function rebuildTensor(args: unknown[], refs: WeakMap<Storage, StorageRef>): Tensor {
  const [storage, offsetArg, sizeArg, strideArg, requiresGrad] = args;
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
  const tensor = viewUnchecked(storage, offset, shape, stride); // bytes are read later; bounds checked above
  tensor.requiresGrad = requiresGrad === true;
  return tensor;
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

function builders(refs: WeakMap<Storage, StorageRef>): Map<string, Builder> {
  const tensor: Builder = (a) => rebuildTensor(a, refs);
  return new Map<string, Builder>([
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
    ["numpy.dtype", numpyDType],
    ["numpy.core.multiarray.scalar", numpyScalar],
    ["numpy._core.multiarray.scalar", numpyScalar],
  ]);
}

function globalName(ref: GlobalRef): string {
  const module = ref.module === "__builtin__" ? "builtins" : ref.module;
  return `${module}.${ref.name}`;
}

/** Options of {@link createTorchHooks}. */
export interface TorchHooksOptions {
  /** Returns the storage of a persistent id `('storage', cls, key, location, numel)`. */
  storage(dtype: DType, key: string, location: string, numel: number): StorageRef;
  /** Whether NEWOBJ may create inert objects (pickled modules). */
  allowObjects: boolean;
}

/** The unpickler hooks for torch checkpoints: storages, the REDUCE allow-list, inert objects. */
export function createTorchHooks(options: TorchHooksOptions): UnpicklerHooks {
  const refs = new WeakMap<Storage, StorageRef>();
  const table = builders(refs);
  return {
    persistentLoad(pid) {
      // Legacy files save each nn.Module class as ('module', <class>, source file, source): keep the class.
      if (pid instanceof Tuple && pid[0] === "module" && pid[1] instanceof GlobalRef) return pid[1];
      if (!(pid instanceof Tuple) || pid[0] !== "storage" || pid.length < 5) {
        throw invalidCheckpoint("persistent id is not a ('storage', …) tuple");
      }
      const [, cls, key, location, numel] = pid;
      const dtype =
        cls instanceof GlobalRef && cls.module.startsWith("torch") ? dtypeOfStorage(cls.name) : undefined;
      if (dtype === undefined)
        throw invalidCheckpoint(`unknown storage type ${String((cls as GlobalRef)?.name)}`);
      if (typeof key !== "string" || typeof location !== "string") throw invalidCheckpoint("bad storage key");
      const ref = options.storage(dtype, key, location, nonNegativeInt(numel, "storage numel"));
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
