/**
 * A protocol-2 pickler laid out as Python's own (memo with BINPUT, batches of 1000, TUPLE1..3), using
 * only opcodes `torch.load(weights_only=True)` accepts. Subclasses add value types (tensors).
 */
import { ArtifactError } from "../../errors.js";
import { DTYPES } from "../dtype.js";
import { NdArray, numpyCode } from "../numpy-arrays.js";
import {
  FrozenSet,
  GlobalRef,
  isOrderedDict,
  orderedDictAttrs,
  PickledObject,
  PyFloat,
  type StateValue,
  TorchDevice,
  TorchSize,
  Tuple,
  tuple,
} from "../values.js";
import { ByteWriter, encodeLong } from "./byte-writer.js";
import { OP } from "./opcodes.js";

const BATCH = 1000;
const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

function badValue(path: string, what: string): ArtifactError {
  return new ArtifactError("INVALID_ARGUMENT", `cannot save ${what} at ${path}: not a state tree value`);
}

/** Writes a protocol-2 pickle of state tree values; `saveOther` lets subclasses add types. */
export class Pickler {
  readonly out = new ByteWriter();
  #memo = new Map<unknown, number>();

  constructor() {
    this.out.u8(OP.PROTO);
    this.out.u8(2);
  }

  /** Finishes the pickle and returns its bytes. */
  finish(): Uint8Array {
    this.out.u8(OP.STOP);
    return this.out.result();
  }

  /** Memoizes the value on top of the stack under `key`. */
  put(key: unknown): void {
    const i = this.#memo.size;
    this.#memo.set(key, i);
    if (i < 256) {
      this.out.u8(OP.BINPUT);
      this.out.u8(i);
    } else {
      this.out.u8(OP.LONG_BINPUT);
      this.out.u32(i);
    }
  }

  /** Pushes a memoized value again; false when `key` is not memoized. */
  get(key: unknown): boolean {
    const i = this.#memo.get(key);
    if (i === undefined) return false;
    if (i < 256) {
      this.out.u8(OP.BINGET);
      this.out.u8(i);
    } else {
      this.out.u8(OP.LONG_BINGET);
      this.out.u32(i);
    }
    return true;
  }

  global(module: string, name: string): void {
    const key = `\0global:${module}\n${name}`;
    if (this.get(key)) return;
    this.out.u8(OP.GLOBAL);
    this.out.ascii(`${module}\n${name}\n`);
    this.put(key);
  }

  int(v: number | bigint): void {
    if (typeof v === "number" && v >= 0 && v < 256) {
      this.out.u8(OP.BININT1);
      this.out.u8(v);
    } else if (typeof v === "number" && v >= 256 && v < 65536) {
      this.out.u8(OP.BININT2);
      this.out.u16(v);
    } else if (v >= I32_MIN && v <= I32_MAX) {
      this.out.u8(OP.BININT);
      this.out.i32(Number(v));
    } else {
      const bytes = encodeLong(BigInt(v));
      if (bytes.byteLength > 255)
        throw new ArtifactError("INVALID_ARGUMENT", `integer ${v} is too large to save`);
      this.out.u8(OP.LONG1);
      this.out.u8(bytes.byteLength);
      this.out.bytes(bytes);
    }
  }

  float(v: number): void {
    this.out.u8(OP.BINFLOAT);
    this.out.f64be(v);
  }

  string(s: string): void {
    if (this.get(`\0str:${s}`)) return;
    const bytes = new TextEncoder().encode(s);
    this.out.u8(OP.BINUNICODE);
    this.out.u32(bytes.byteLength);
    this.out.bytes(bytes);
    this.put(`\0str:${s}`);
  }

  tuple(items: readonly unknown[], path: string, key?: unknown): void {
    if (items.length === 0) {
      this.out.u8(OP.EMPTY_TUPLE);
      return;
    }
    if (key !== undefined && this.get(key)) return;
    if (items.length > 3) this.out.u8(OP.MARK);
    items.forEach((item, i) => {
      this.save(item as StateValue, `${path}[${i}]`);
    });
    this.out.u8(items.length > 3 ? OP.TUPLE : ([0, OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][items.length] as number));
    this.put(key ?? {});
  }

  batch<T>(items: T[], one: number, many: number, saveItem: (item: T) => void): void {
    for (let i = 0; i < items.length; i += BATCH) {
      const chunk = items.slice(i, i + BATCH);
      if (chunk.length === 1) {
        saveItem(chunk[0] as T);
        this.out.u8(one);
        continue;
      }
      this.out.u8(OP.MARK);
      for (const item of chunk) saveItem(item);
      this.out.u8(many);
    }
  }

  dict(d: Record<string, StateValue> | Map<StateValue, StateValue>, path: string): void {
    const entries: [StateValue, StateValue][] = d instanceof Map ? [...d.entries()] : Object.entries(d);
    if (isOrderedDict(d)) {
      this.global("collections", "OrderedDict");
      this.out.u8(OP.EMPTY_TUPLE);
      this.out.u8(OP.REDUCE);
    } else this.out.u8(OP.EMPTY_DICT);
    this.put(d);
    this.batch(entries, OP.SETITEM, OP.SETITEMS, ([k, v]) => {
      this.save(k, `${path} (key)`);
      this.save(v, `${path}.${String(k)}`);
    });
    const attrs = orderedDictAttrs(d);
    if (attrs !== undefined) {
      this.dict(attrs, `${path} (attributes)`);
      this.out.u8(OP.BUILD);
    }
  }

  list(items: StateValue[], path: string): void {
    this.out.u8(OP.EMPTY_LIST);
    this.put(items);
    let i = 0;
    this.batch(items, OP.APPEND, OP.APPENDS, (item) => this.save(item, `${path}[${i++}]`));
  }

  /** Hook for value types the base pickler does not know; returns false to reject the value. */
  saveOther(_v: object, _path: string): boolean {
    return false;
  }

  /** Writes a scalar (None, bool, int, float, str); false when `v` is not one. */
  saveScalar(v: StateValue): boolean {
    if (v === null) this.out.u8(OP.NONE);
    else if (typeof v === "boolean") this.out.u8(v ? OP.NEWTRUE : OP.NEWFALSE);
    else if (typeof v === "number") {
      if (Number.isInteger(v) && !Object.is(v, -0)) this.int(v);
      else this.float(v);
    } else if (typeof v === "bigint") this.int(v);
    else if (typeof v === "string") this.string(v);
    else if (v instanceof PyFloat) this.float(v.value);
    else return false;
    return true;
  }

  save(v: StateValue, path: string): void {
    if (this.saveScalar(v)) return;
    if (typeof v !== "object" || v === null) throw badValue(path, `a ${typeof v}`);
    if (this.get(v)) return;
    if (v instanceof TorchSize) this.reduceCall("torch", "Size", [tuple(...v)], path, v);
    else if (v instanceof Tuple) this.tuple(v, path, v);
    else if (Array.isArray(v)) this.list(v, path);
    else if (this.saveOther(v, path)) return;
    else if (v instanceof FrozenSet) this.reduceCall("__builtin__", "frozenset", [[...v]], path, v);
    else if (v instanceof Set) this.reduceCall("__builtin__", "set", [[...v]], path, v);
    else if (v instanceof TorchDevice) {
      const args = v.index === null ? [v.type] : [v.type, v.index];
      this.reduceCall("torch", "device", args, path, v);
    } else if (v instanceof Uint8Array) this.bytesValue(v, path);
    else if (v instanceof GlobalRef) this.global(v.module, v.name);
    else if (v instanceof PickledObject) this.object(v, path);
    else if (v instanceof NdArray) this.ndarray(v, path);
    else {
      const proto = Object.getPrototypeOf(v);
      if (!(v instanceof Map) && proto !== Object.prototype && proto !== null) {
        throw badValue(path, `a ${proto?.constructor?.name ?? "object"}`);
      }
      this.dict(v as Record<string, StateValue>, path);
    }
  }

  reduceCall(module: string, name: string, args: unknown[], path: string, memoKey: unknown): void {
    this.global(module, name);
    this.tuple(args, path);
    this.out.u8(OP.REDUCE);
    this.put(memoKey);
  }

  bytesValue(v: Uint8Array, path: string): void {
    this.reduceCall(
      "_codecs",
      "encode",
      [Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("latin1"), "latin1"],
      path,
      v,
    );
  }

  /**
   * A NumPy array as numpy pickles one (`_reconstruct` + BUILD), row-major and little-endian, under
   * numpy 1.x's module name, which numpy 2.x also loads.
   */
  ndarray(v: NdArray, path: string): void {
    const code = numpyCode(v.dtype);
    if (code === undefined) throw badValue(path, `a NumPy array of dtype ${v.dtype}`);
    this.global("numpy.core.multiarray", "_reconstruct");
    this.global("numpy", "ndarray");
    this.tuple([0], path);
    this.bytesValue(Uint8Array.of(0x62), path); // b'b'
    this.out.u8(OP.TUPLE3);
    this.out.u8(OP.REDUCE);
    this.put(v);
    this.out.u8(OP.MARK);
    this.int(1);
    this.tuple(v.shape, `${path}.shape`);
    this.global("numpy", "dtype");
    this.tuple([code, false, true], path);
    this.out.u8(OP.REDUCE);
    this.put({});
    const order = DTYPES[v.dtype].size / DTYPES[v.dtype].lanes > 1 ? "<" : "|";
    this.tuple([3, order, null, null, null, -1, -1, 0], path);
    this.out.u8(OP.BUILD);
    this.out.u8(OP.NEWFALSE);
    this.bytesValue(v.bytes(), path);
    this.out.u8(OP.TUPLE);
    this.out.u8(OP.BUILD);
  }

  object(v: PickledObject, path: string): void {
    const dot = v.className.lastIndexOf(".");
    this.global(v.className.slice(0, dot), v.className.slice(dot + 1));
    this.tuple(v.args, path);
    this.out.u8(OP.NEWOBJ);
    this.put(v);
    if (v.state !== undefined) {
      this.save(v.state, `${path}.__dict__`);
      this.out.u8(OP.BUILD);
    }
  }
}
