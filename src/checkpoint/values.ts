/**
 * The state tree: the JavaScript values a checkpoint holds, and the few wrapper types that keep Python's
 * distinctions (int vs float, tuple vs list, OrderedDict vs dict) through a load → save round trip.
 *
 * Mapping: None ↔ `null`; bool ↔ boolean; str ↔ string; int ↔ number (safe integers) or bigint;
 * float ↔ number when not integral, {@link PyFloat} when integral (`1.0`, `-0.0`, `3e20`); list ↔ array;
 * tuple ↔ {@link Tuple}; dict ↔ plain object (string keys) or `Map` (any other key, or string keys that
 * JavaScript would reorder, such as `"0"`); OrderedDict ↔ the same, marked (see {@link orderedDict});
 * set ↔ `Set`, frozenset ↔ {@link FrozenSet}; torch.Size ↔ {@link TorchSize}; torch.device ↔
 * {@link TorchDevice}; quantized, sparse and meta tensors ↔ `QuantizedTensor`, `SparseTensor`,
 * `MetaTensor`; bytes ↔ `Uint8Array`; tensor ↔ {@link Tensor}; numpy.ndarray ↔ `NdArray`; any other pickled object (an
 * `nn.Module`) ↔ an inert {@link PickledObject}.
 */
import type { NdArray } from "./numpy-arrays.js";
import type { Tensor } from "./tensor.js";
import type { MetaTensor, QuantizedTensor, SparseTensor } from "./tensor-kinds.js";

/** A Python float whose value is integral (`1.0`), kept apart from the int `1`. `+x` gives the number. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
}

/** Wraps a number so that it is saved as a Python float even when integral (`pyFloat(1)` → `1.0`). */
export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/** A Python tuple: an array that is saved as a tuple (Adam's `betas`, a Conv2d's `kernel_size`). */
export class Tuple<T = StateValue> extends Array<T> {
  static override get [Symbol.species]() {
    return Array;
  }
}

/** Makes a {@link Tuple} of the given items. */
export function tuple<T>(...items: T[]): Tuple<T> {
  const t = new Tuple<T>();
  t.push(...items);
  return t;
}

/** A `torch.Size` (a tuple of ints), saved back as `torch.Size`. */
export class TorchSize extends Tuple<number> {}

/** A Python `frozenset`, saved back as one (a plain `Set` is saved as a `set`). */
export class FrozenSet<T = StateValue> extends Set<T> {}

/** A `torch.device` (`cuda:0`, `cpu`), saved back as one; `String(device)` gives torch's `str(device)`. */
export class TorchDevice {
  constructor(
    /** `cpu`, `cuda`, `mps`, `meta` … */
    readonly type: string,
    /** The device index, or null when the device has none (`torch.device("cuda")`). */
    readonly index: number | null = null,
  ) {}
  toString(): string {
    return this.index === null ? this.type : `${this.type}:${this.index}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

const ORDERED = Symbol.for("artifact-manager.OrderedDict");
const ATTRS = Symbol.for("artifact-manager.OrderedDictAttrs");

/** A dict: a plain object with string keys, or a Map for other keys. */
export type StateDict = { [key: string]: StateValue } | Map<StateValue, StateValue>;

/** Marks `dict` as a `collections.OrderedDict` (with optional instance attributes such as `_metadata`). */
export function orderedDict<D extends StateDict>(dict: D, attrs?: Record<string, StateValue>): D {
  Object.defineProperty(dict, ORDERED, { value: true, enumerable: false, configurable: true });
  if (attrs !== undefined && Object.keys(attrs).length > 0) {
    Object.defineProperty(dict, ATTRS, {
      value: attrs,
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
  return dict;
}

/** Whether `value` was loaded from (or marked as) a `collections.OrderedDict`. */
export function isOrderedDict(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { [ORDERED]?: boolean })[ORDERED] === true;
}

/** The instance attributes of an OrderedDict (a `state_dict()` has `_metadata`), or undefined. */
export function orderedDictAttrs(value: unknown): Record<string, StateValue> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return (value as { [ATTRS]?: Record<string, StateValue> })[ATTRS];
}

/** A reference to a Python global (`torch.float32`) that was pickled as a value. Never called. */
export class GlobalRef {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  /** `module.name`. */
  get fullName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An instance of a Python class the loader does not model (an `nn.Module`, an optimizer object): its
 * class name and pickled state, inert. Nothing of the class is ever executed.
 */
export class PickledObject {
  /** The `__dict__` (or other state) set by the pickle's BUILD, `undefined` if there was none. */
  state: StateValue | undefined = undefined;
  constructor(
    /** `module.ClassName`, e.g. `torch.nn.modules.conv.Conv2d`. */
    readonly className: string,
    /** Arguments passed to `cls.__new__` (usually empty). */
    readonly args: StateValue[],
  ) {}
}

/** Any value of a state tree. */
export type StateValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | Tensor
  | NdArray
  | Uint8Array
  | StateValue[]
  | Tuple
  | Set<StateValue>
  | TorchDevice
  | QuantizedTensor
  | SparseTensor
  | MetaTensor
  | GlobalRef
  | PickledObject
  | StateDict;

/** A checkpoint's top-level value (usually a dict). */
export type StateTree = StateValue;

/** Whether `key` must go into a Map because a plain object would reorder or mishandle it. */
export function needsMapKey(key: string): boolean {
  return key === "__proto__" || /^(0|[1-9]\d*)$/.test(key);
}
