/**
 * The allow-listed rebuild functions for tensors that are more than a storage view: tensors with Python
 * attributes or of a subclass (`_rebuild_from_type_v2`, `_rebuild_parameter_with_state`), quantized
 * (`_rebuild_qtensor`), sparse (`_rebuild_sparse_tensor`) and meta tensors. Each builds plain data.
 */
import { ArtifactError } from "../errors.js";
import { type DType, isDType } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { PyDict } from "./pickle/py-dict.js";
import { intTuple, nonNegativeInt } from "./rebuild-tensor.js";
import { Storage, Tensor } from "./tensor.js";
import {
  MetaTensor,
  type QScheme,
  type QuantizedDType,
  QuantizedTensor,
  type SparseLayout,
  SparseTensor,
} from "./tensor-kinds.js";
import { GlobalRef, PyFloat, Tuple } from "./values.js";

/** What the builders of this file need from the hooks. */
export interface KindContext {
  /** The quantized dtype of storages declared with a quantized storage class. */
  quantized: WeakMap<Storage, QuantizedDType>;
  /** Whether a subclass (a class outside torch) may be named, as pickled objects may. */
  allowObjects: boolean;
  /** Calls the allow-listed `module.name` with `args`. */
  call(name: string, args: unknown[]): unknown;
  /** `_rebuild_tensor_v2` with its bounds checks. */
  tensor(args: unknown[]): Tensor;
}

const unsupported = (message: string) => new ArtifactError("UNSUPPORTED", message);

/** torch's rebuild functions that make tensors this reader does not model, by kind. */
export const UNSUPPORTED_REBUILDS: ReadonlyMap<string, string> = new Map([
  ["torch._utils._rebuild_wrapper_subclass", "a wrapper tensor subclass (DTensor, FakeTensor …)"],
  ["torch._utils._rebuild_nested_tensor", "a nested tensor"],
  ["torch._utils._rebuild_device_tensor_from_numpy", "a tensor of a device without storage (XLA, MTIA …)"],
  ["torch._utils._rebuild_device_tensor_from_cpu_tensor", "a tensor of a device without storage"],
  ["torch._utils._rebuild_xla_tensor", "an XLA tensor"],
  ["torch._utils._rebuild_mtia_tensor", "an MTIA tensor"],
  ["torch._utils._rebuild_sparse_csr_tensor", "a sparse CSR tensor in torch 1.10's format"],
]);

/** The functions `_rebuild_from_type_v2` may apply. */
const TENSOR_REBUILDS = new Set([
  "torch._utils._rebuild_tensor",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_tensor_v3",
  "torch._utils._rebuild_parameter",
  "torch._utils._rebuild_parameter_with_state",
  "torch._utils._rebuild_qtensor",
  "torch._utils._rebuild_sparse_tensor",
  "torch._utils._rebuild_meta_tensor_no_storage",
]);

/** Python's `_set_obj_state` state (a dict, `(dict, slots)` or None) as one attribute dict, or undefined. */
function attributesOf(state: unknown): PyDict | undefined {
  const parts = state instanceof Tuple && state.length === 2 ? [...state] : [state];
  const out = new PyDict();
  for (const part of parts) {
    if (part === null || part === undefined) continue;
    if (!(part instanceof PyDict)) throw invalidCheckpoint("a tensor's Python state is not a dict");
    for (const [key, value] of part.entries) {
      if (typeof key !== "string") throw invalidCheckpoint("a tensor attribute name is not a string");
      out.set(key, value);
    }
  }
  return out.entries.size === 0 ? undefined : out;
}

/** `_rebuild_parameter(data, requires_grad, hooks)` / `_with_state(…, state)`: the tensor, marked. */
export function rebuildParameter(args: unknown[]): Tensor {
  const [data, requiresGrad, , state] = args;
  if (!(data instanceof Tensor)) throw invalidCheckpoint("_rebuild_parameter without a tensor");
  data.requiresGrad = requiresGrad === true;
  data.isParameter = true;
  const attributes = attributesOf(state);
  if (attributes !== undefined) data.attributes = attributes as never; // turned into a dict by finishValue
  return data;
}

/**
 * `_rebuild_from_type_v2(func, new_type, args, state)`: a tensor with Python attributes, or of a
 * subclass. The class is never run: the tensor keeps its class name and attributes as data.
 */
export function rebuildFromType(args: unknown[], ctx: KindContext): unknown {
  const [func, newType, funcArgs, state] = args;
  if (!(func instanceof GlobalRef) || !(newType instanceof GlobalRef) || !(funcArgs instanceof Tuple)) {
    throw invalidCheckpoint("_rebuild_from_type_v2 without a function, a type and arguments");
  }
  const name = func.fullName;
  const kind = UNSUPPORTED_REBUILDS.get(name);
  if (kind !== undefined) throw unsupportedRebuild(name, kind);
  if (!TENSOR_REBUILDS.has(name)) {
    throw invalidCheckpoint(`_rebuild_from_type_v2 applies '${name}', which is not a tensor rebuild`);
  }
  const value = ctx.call(name, funcArgs);
  const cls = newType.fullName;
  const attributes = attributesOf(state);
  if (!(value instanceof Tensor)) {
    if (cls === "torch.Tensor" && attributes === undefined) return value;
    throw unsupported(
      `the checkpoint has a ${value?.constructor?.name ?? "value"} of class '${cls}' with Python attributes, which this reader does not support`,
    );
  }
  if (cls === "torch.nn.parameter.Parameter") value.isParameter = true;
  else if (cls !== "torch.Tensor") {
    if (!ctx.allowObjects) {
      throw invalidCheckpoint(`the pickle makes a tensor of subclass '${cls}' and allowObjects is false`);
    }
    value.subclass = cls;
  }
  if (attributes !== undefined) value.attributes = attributes as never;
  return value;
}

/** UNSUPPORTED for a known torch rebuild function this reader does not model. */
export function unsupportedRebuild(name: string, kind: string): ArtifactError {
  return unsupported(
    `the checkpoint has ${kind} (saved through ${name}), which this reader does not support; convert it to a plain tensor in Python before saving`,
  );
}

const QSCHEMES = new Set<string>([
  "per_tensor_affine",
  "per_channel_affine",
  "per_channel_affine_float_qparams",
]);

function realNumber(v: unknown, what: string): number {
  const n = v instanceof PyFloat ? v.value : v;
  if (typeof n !== "number" || !Number.isFinite(n)) throw invalidCheckpoint(`${what} is not a number`);
  return n;
}

/** Per-channel scales or zero points: a 1-D tensor of `channels` elements (a list in old files). */
function channelParams(v: unknown, channels: number, dtype: DType, what: string): Tensor {
  if (Array.isArray(v) && !(v instanceof Tuple)) {
    const nums = v.map((x) => realNumber(x, what));
    if (dtype === "int64") {
      if (!nums.every(Number.isSafeInteger)) throw invalidCheckpoint(`${what} are not integers`);
      return new Tensor({ dtype, shape: [nums.length], data: BigInt64Array.from(nums, BigInt) });
    }
    const data = dtype === "float64" ? Float64Array.from(nums) : Float32Array.from(nums);
    v = new Tensor({ dtype, shape: [nums.length], data });
  }
  if (!(v instanceof Tensor) || v.shape.length !== 1 || v.numel !== channels) {
    throw invalidCheckpoint(`${what} of a per-channel quantized tensor do not hold one per channel`);
  }
  if (!["float64", "float32", "int64", "int32"].includes(v.dtype))
    throw invalidCheckpoint(`${what} of dtype ${v.dtype}`);
  return v;
}

/** `_rebuild_qtensor(storage, offset, size, stride, quantizer_params, requires_grad, hooks)`. */
export function rebuildQTensor(args: unknown[], ctx: KindContext): QuantizedTensor {
  const [storage, offset, size, stride, params, requiresGrad, hooks] = args;
  const dtype = storage instanceof Storage ? ctx.quantized.get(storage) : undefined;
  if (dtype === undefined) throw invalidCheckpoint("_rebuild_qtensor without a quantized storage");
  const values = ctx.tensor([storage, offset, size, stride, false, hooks]);
  const [qscheme, scaleArg, zeroArg, axisArg] = params instanceof Tuple ? params : [];
  const scheme = qscheme instanceof GlobalRef && qscheme.module === "torch" ? qscheme.name : "";
  if (!QSCHEMES.has(scheme)) {
    throw unsupported(
      `the checkpoint has a quantized tensor with qscheme ${String(qscheme instanceof GlobalRef ? qscheme.fullName : qscheme)}, which this reader does not support`,
    );
  }
  const base = { dtype, values, scheme: scheme as QScheme, requiresGrad: requiresGrad === true };
  if (scheme === "per_tensor_affine") {
    const zeroPoint = realNumber(zeroArg, "a quantized tensor's zero point");
    if (!Number.isSafeInteger(zeroPoint)) throw invalidCheckpoint("a quantized zero point is not an integer");
    return new QuantizedTensor({ ...base, scale: realNumber(scaleArg, "a quantized scale"), zeroPoint });
  }
  const axis = nonNegativeInt(axisArg, "a quantized tensor's axis");
  if (axis >= values.shape.length) throw invalidCheckpoint(`quantized axis ${axis} is out of range`);
  const channels = values.shape[axis] as number;
  // torch saves float qparams as per_channel_affine too, and tells them apart by the zero points' dtype
  const floatZero =
    zeroArg instanceof Tensor
      ? zeroArg.dtype.startsWith("float")
      : !Array.isArray(zeroArg) || zeroArg.some((z) => z instanceof PyFloat || !Number.isInteger(z));
  const floatParams = scheme === "per_channel_affine_float_qparams" || floatZero;
  const scale = channelParams(scaleArg, channels, floatParams ? "float32" : "float64", "scales");
  const zeroPoint = channelParams(zeroArg, channels, floatParams ? "float32" : "int64", "zero points");
  const kind = floatParams ? "per_channel_affine_float_qparams" : "per_channel_affine";
  return new QuantizedTensor({ ...base, scheme: kind, scale, zeroPoint, axis });
}

const SPARSE_LAYOUTS = new Set<string>([
  "sparse_coo",
  "sparse_csr",
  "sparse_csc",
  "sparse_bsr",
  "sparse_bsc",
]);

/** `torch.serialization._get_layout('torch.sparse_coo')` → the layout global. */
export function getLayout(args: unknown[]): GlobalRef {
  const [name] = args;
  if (typeof name !== "string" || !name.startsWith("torch.") || args.length !== 1)
    throw invalidCheckpoint("_get_layout of something else than a torch layout name");
  return new GlobalRef("torch", name.slice("torch.".length));
}

function tensorArg(v: unknown, what: string): Tensor {
  if (!(v instanceof Tensor)) throw invalidCheckpoint(`a sparse tensor's ${what} is not a tensor`);
  return v;
}

/** `_rebuild_sparse_tensor(layout, data)`: COO `(indices, values, size[, is_coalesced])`, or compressed. */
export function rebuildSparse(args: unknown[]): SparseTensor {
  const [layoutArg, data] = args;
  const layout = layoutArg instanceof GlobalRef && layoutArg.module === "torch" ? layoutArg.name : "";
  if (!SPARSE_LAYOUTS.has(layout)) {
    throw unsupported(
      `the checkpoint has a sparse tensor of layout ${layoutArg instanceof GlobalRef ? layoutArg.fullName : String(layoutArg)}, which this reader does not support`,
    );
  }
  if (!(data instanceof Tuple)) throw invalidCheckpoint("_rebuild_sparse_tensor without a data tuple");
  if (layout === "sparse_coo") {
    const [indices, values, size, coalesced = null] = data;
    if (data.length < 3 || data.length > 4 || (coalesced !== null && typeof coalesced !== "boolean"))
      throw invalidCheckpoint("a sparse COO tensor is not (indices, values, size[, is_coalesced])");
    return new SparseTensor({
      layout,
      shape: intTuple(size, "sparse tensor size"),
      indices: tensorArg(indices, "indices"),
      values: tensorArg(values, "values"),
      isCoalesced: coalesced,
    });
  }
  const [compressed, plain, values, size] = data;
  if (data.length !== 4)
    throw invalidCheckpoint(`a ${layout} tensor is not (indices, indices, values, size)`);
  return new SparseTensor({
    layout: layout as SparseLayout,
    shape: intTuple(size, "sparse tensor size"),
    compressedIndices: tensorArg(compressed, "compressed indices"),
    plainIndices: tensorArg(plain, "plain indices"),
    values: tensorArg(values, "values"),
  });
}

/** `_rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad)`. */
export function rebuildMeta(args: unknown[]): MetaTensor {
  const [dtype, size, stride, requiresGrad] = args;
  if (!(dtype instanceof GlobalRef) || dtype.module !== "torch" || !/^[a-z][a-z0-9_]*$/.test(dtype.name)) {
    throw invalidCheckpoint("a meta tensor without a torch dtype");
  }
  const shape = intTuple(size, "meta tensor size");
  const strides = intTuple(stride, "meta tensor stride");
  if (shape.length !== strides.length) throw invalidCheckpoint("meta tensor size and stride do not match");
  if (!isDType(dtype.name) && !/^(q|quint|qint|bits|float|int|uint|complex|bool)/.test(dtype.name)) {
    throw invalidCheckpoint(`a meta tensor of unknown dtype torch.${dtype.name}`);
  }
  return new MetaTensor(dtype.name, shape, strides, requiresGrad === true);
}
