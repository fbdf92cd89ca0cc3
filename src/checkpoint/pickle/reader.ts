/**
 * A pickle interpreter that never executes anything: globals become inert references, and only the
 * callables the caller's hooks accept (an allow-list) are "called" by building plain values.
 */
import { invalidCheckpoint } from "../invalid.js";
import { NdArray } from "../numpy-arrays.js";
import { NumpyDType } from "../numpy-scalars.js";
import { Tensor } from "../tensor.js";
import { FrozenSet, GlobalRef, PickledObject, PyFloat, Tuple } from "../values.js";
import { ByteReader } from "./byte-reader.js";
import { OP } from "./opcodes.js";
import { finishValue, PyDict } from "./py-dict.js";

/** What the interpreter asks its caller to do for the operations that need meaning. */
export interface UnpicklerHooks {
  /** BINPERSID: the object a persistent id stands for (torch: a storage). */
  persistentLoad(pid: unknown): unknown;
  /** REDUCE: `fn(*args)` for an allow-listed `fn`; throws CHECKPOINT_INVALID for anything else. */
  reduce(fn: unknown, args: unknown[]): unknown;
  /** NEWOBJ: `cls.__new__(cls, *args)`; throws when objects are not allowed. */
  newObject(cls: unknown, args: unknown[]): unknown;
  /** The work budget per pickle byte (see {@link DEFAULT_WORK_RATIO}). */
  workRatio?: number;
}

/**
 * Work allowed per byte of pickle, counted as the elements and bytes each call's arguments hold (what a
 * builder may copy): a short pickle calling `torch.Size` on a big memoised list over and over would
 * otherwise copy it without end. Plus {@link WORK_ALLOWANCE}.
 */
export const DEFAULT_WORK_RATIO = 64;
const WORK_ALLOWANCE = 1 << 20;

/** Result of {@link unpickle}: the value and the offset just past its STOP opcode. */
export interface UnpickleResult {
  value: unknown;
  end: number;
}

const MAX_MARK_DEPTH = 10_000;
const MAX_STRING = 1 << 30;
const NUMBER_LIMIT = BigInt(Number.MAX_SAFE_INTEGER);

type Handler = (m: Machine) => void;

class Machine {
  stack: unknown[] = [];
  marks: unknown[][] = [];
  memo = new Map<number, unknown>();
  done = false;
  work = 0;
  readonly workLimit: number;
  constructor(
    readonly r: ByteReader,
    readonly hooks: UnpicklerHooks,
  ) {
    this.workLimit =
      Math.floor((hooks.workRatio ?? DEFAULT_WORK_RATIO) * (r.bytes.byteLength - r.pos)) + WORK_ALLOWANCE;
  }

  /** Counts what a call's arguments hold (two levels: `torch.Size((list,))` copies the list). */
  charge(args: unknown[]): void {
    let work = 1 + args.length;
    for (const arg of args) {
      work += sizeOf(arg);
      if (Array.isArray(arg)) for (const item of arg) work += sizeOf(item);
    }
    this.work += work;
    if (this.work > this.workLimit) {
      throw invalidCheckpoint(
        `the pickle's calls copy more than ${this.workLimit} elements and bytes (${this.hooks.workRatio ?? DEFAULT_WORK_RATIO} per pickle byte + ${WORK_ALLOWANCE}); raise the \`maxPickleWorkRatio\` option if the file is trusted`,
      );
    }
  }

  push(v: unknown): void {
    this.stack.push(v);
  }
  pop(): unknown {
    if (this.stack.length === 0) throw invalidCheckpoint(`pickle stack underflow at offset ${this.r.pos}`);
    return this.stack.pop();
  }
  top(): unknown {
    if (this.stack.length === 0) throw invalidCheckpoint(`pickle stack is empty at offset ${this.r.pos}`);
    return this.stack[this.stack.length - 1];
  }
  mark(): void {
    if (this.marks.length >= MAX_MARK_DEPTH) throw invalidCheckpoint("pickle nests too deeply");
    this.marks.push(this.stack);
    this.stack = [];
  }
  popMark(): unknown[] {
    const items = this.stack;
    const outer = this.marks.pop();
    if (outer === undefined) throw invalidCheckpoint(`pickle has no MARK for the opcode at ${this.r.pos}`);
    this.stack = outer;
    return items;
  }
  get(i: number): void {
    if (!this.memo.has(i)) throw invalidCheckpoint(`pickle memo ${i} is not set`);
    this.push(this.memo.get(i));
  }
  int(v: bigint): void {
    this.push(v >= -NUMBER_LIMIT && v <= NUMBER_LIMIT ? Number(v) : v);
  }
  str(n: number): void {
    if (n > MAX_STRING) throw invalidCheckpoint(`pickle string of ${n} bytes is too large`);
    this.push(this.r.utf8(n));
  }
  bytes(n: number): void {
    this.push(this.r.take(n).slice());
  }
}

/** Elements or bytes in a value (what copying it costs). */
function sizeOf(v: unknown): number {
  if (typeof v === "string" || Array.isArray(v)) return v.length;
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof Set) return v.size;
  if (v instanceof PyDict) return v.entries.size;
  return 0;
}

function tupleOf(items: unknown[]): Tuple<unknown> {
  const t = new Tuple<unknown>();
  for (const item of items) t.push(item);
  return t;
}

function asList(target: unknown, op: string): unknown[] {
  if (!Array.isArray(target) || target instanceof Tuple)
    throw invalidCheckpoint(`pickle ${op} on a non-list`);
  return target;
}

function asDict(target: unknown, op: string): PyDict {
  if (!(target instanceof PyDict)) throw invalidCheckpoint(`pickle ${op} on a non-dict`);
  return target;
}

/** BUILD: sets an object's state; a tensor's BUILD state holds only hooks and is ignored. */
function build(m: Machine): void {
  const state = m.pop();
  const target = m.top();
  if (target instanceof PickledObject) target.state = state as PickledObject["state"];
  else if (target instanceof PyDict) target.setAttrs(state);
  else if (target instanceof NumpyDType) target.setState(state);
  else if (target instanceof NdArray) target.setState(state);
  else if (!(target instanceof Tensor))
    throw invalidCheckpoint("pickle BUILD on a value that takes no state");
}

const HANDLERS: Partial<Record<number, Handler>> = {
  [OP.PROTO]: (m) => void m.r.u8(),
  [OP.FRAME]: (m) => void m.r.u64(),
  [OP.STOP]: (m) => {
    m.done = true;
  },
  [OP.MARK]: (m) => m.mark(),
  [OP.POP]: (m) => void m.pop(),
  [OP.POP_MARK]: (m) => void m.popMark(),
  [OP.DUP]: (m) => m.push(m.top()),
  [OP.EMPTY_DICT]: (m) => m.push(new PyDict()),
  [OP.EMPTY_LIST]: (m) => m.push([]),
  [OP.EMPTY_TUPLE]: (m) => m.push(new Tuple()),
  [OP.EMPTY_SET]: (m) => m.push(new Set()),
  [OP.FROZENSET]: (m) => m.push(new FrozenSet(m.popMark())),
  [OP.TUPLE]: (m) => m.push(tupleOf(m.popMark())),
  [OP.TUPLE1]: (m) => m.push(tupleOf([m.pop()])),
  [OP.TUPLE2]: (m) => {
    const b = m.pop();
    m.push(tupleOf([m.pop(), b]));
  },
  [OP.TUPLE3]: (m) => {
    const c = m.pop();
    const b = m.pop();
    m.push(tupleOf([m.pop(), b, c]));
  },
  [OP.LIST]: (m) => m.push(m.popMark()),
  [OP.DICT]: (m) => m.push(PyDict.fromFlat(m.popMark())),
  [OP.NONE]: (m) => m.push(null),
  [OP.NEWTRUE]: (m) => m.push(true),
  [OP.NEWFALSE]: (m) => m.push(false),
  [OP.BININT1]: (m) => m.push(m.r.u8()),
  [OP.BININT2]: (m) => m.push(m.r.u16()),
  [OP.BININT]: (m) => m.push(m.r.i32()),
  [OP.LONG1]: (m) => m.int(m.r.long(m.r.u8())),
  [OP.LONG4]: (m) => {
    const n = m.r.i32();
    if (n < 0 || n > 4096) throw invalidCheckpoint(`pickle LONG4 of ${n} bytes is not supported`);
    m.int(m.r.long(n));
  },
  [OP.BINFLOAT]: (m) => {
    const v = m.r.f64be();
    m.push(Number.isInteger(v) ? new PyFloat(v) : v);
  },
  [OP.BINUNICODE]: (m) => m.str(m.r.u32()),
  [OP.SHORT_BINUNICODE]: (m) => m.str(m.r.u8()),
  [OP.BINUNICODE8]: (m) => m.str(m.r.u64()),
  [OP.SHORT_BINSTRING]: (m) => m.str(m.r.u8()),
  [OP.BINSTRING]: (m) => m.str(m.r.i32()),
  [OP.SHORT_BINBYTES]: (m) => m.bytes(m.r.u8()),
  [OP.BINBYTES]: (m) => m.bytes(m.r.u32()),
  [OP.BINBYTES8]: (m) => m.bytes(m.r.u64()),
  [OP.BYTEARRAY8]: (m) => m.bytes(m.r.u64()),
  [OP.GLOBAL]: (m) => {
    const module = m.r.line();
    m.push(new GlobalRef(module, m.r.line()));
  },
  [OP.STACK_GLOBAL]: (m) => {
    const name = m.pop();
    const module = m.pop();
    if (typeof module !== "string" || typeof name !== "string") throw invalidCheckpoint("bad STACK_GLOBAL");
    m.push(new GlobalRef(module, name));
  },
  [OP.BINPERSID]: (m) => m.push(m.hooks.persistentLoad(m.pop())),
  [OP.REDUCE]: (m) => {
    const args = m.pop();
    const fn = m.pop();
    if (!(args instanceof Tuple)) throw invalidCheckpoint("pickle REDUCE arguments are not a tuple");
    m.charge(args);
    m.push(m.hooks.reduce(fn, args));
  },
  [OP.NEWOBJ]: (m) => {
    const args = m.pop();
    const cls = m.pop();
    if (!(args instanceof Tuple)) throw invalidCheckpoint("pickle NEWOBJ arguments are not a tuple");
    m.charge(args);
    m.push(m.hooks.newObject(cls, args));
  },
  [OP.BUILD]: build,
  [OP.APPEND]: (m) => {
    const v = m.pop();
    asList(m.top(), "APPEND").push(v);
  },
  [OP.APPENDS]: (m) => {
    const items = m.popMark();
    const list = asList(m.top(), "APPENDS");
    for (const item of items) list.push(item);
  },
  [OP.SETITEM]: (m) => {
    const v = m.pop();
    const k = m.pop();
    asDict(m.top(), "SETITEM").set(k, v);
  },
  [OP.SETITEMS]: (m) => {
    const items = m.popMark();
    asDict(m.top(), "SETITEMS").setFlat(items);
  },
  [OP.ADDITEMS]: (m) => {
    const items = m.popMark();
    const set = m.top();
    if (!(set instanceof Set)) throw invalidCheckpoint("pickle ADDITEMS on a non-set");
    for (const item of items) set.add(item);
  },
  [OP.BINPUT]: (m) => m.memo.set(m.r.u8(), m.top()),
  [OP.LONG_BINPUT]: (m) => m.memo.set(m.r.u32(), m.top()),
  [OP.MEMOIZE]: (m) => m.memo.set(m.memo.size, m.top()),
  [OP.BINGET]: (m) => m.get(m.r.u8()),
  [OP.LONG_BINGET]: (m) => m.get(m.r.u32()),
};

/**
 * Runs the pickle that starts at `start` in `bytes` and returns its value (dicts already turned into
 * plain objects, Maps and ordered dicts) and where it ended. Malformed input → CHECKPOINT_INVALID.
 */
export function unpickle(bytes: Uint8Array, hooks: UnpicklerHooks, start = 0): UnpickleResult {
  const m = new Machine(new ByteReader(bytes, start), hooks);
  while (!m.done) {
    const at = m.r.pos;
    const op = m.r.u8();
    const handler = HANDLERS[op];
    if (handler === undefined) {
      throw invalidCheckpoint(
        `unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")} at offset ${at}`,
      );
    }
    handler(m);
  }
  const value = m.pop();
  return { value: finishValue(value), end: m.r.pos };
}
