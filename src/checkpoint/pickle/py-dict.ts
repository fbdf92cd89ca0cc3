/**
 * Dicts while a pickle is being read (keys of any type, in insertion order), and the final pass that
 * turns them into the state tree's plain objects, Maps and ordered dicts, keeping shared references.
 */
import { invalidCheckpoint } from "../invalid.js";
import { Tensor } from "../tensor.js";
import { needsMapKey, orderedDict, PickledObject, type StateValue, Tuple } from "../values.js";

/** A Python dict under construction. */
export class PyDict {
  readonly entries = new Map<unknown, unknown>();
  ordered = false;
  attrs: PyDict | undefined;

  static fromFlat(items: unknown[]): PyDict {
    const d = new PyDict();
    d.setFlat(items);
    return d;
  }

  set(key: unknown, value: unknown): void {
    this.entries.set(key, value);
  }

  setFlat(items: unknown[]): void {
    if (items.length % 2 !== 0) throw invalidCheckpoint("pickle SETITEMS has an odd number of items");
    for (let i = 0; i < items.length; i += 2) this.entries.set(items[i], items[i + 1]);
  }

  /** BUILD on an OrderedDict: its instance attributes (`state_dict()._metadata`). */
  setAttrs(state: unknown): void {
    if (state instanceof Tuple && state.length === 2) state = state[0] ?? null; // (dict, slots)
    if (state === null) return;
    if (!(state instanceof PyDict)) throw invalidCheckpoint("pickle BUILD state of a dict is not a dict");
    this.attrs = state;
  }
}

/** Replaces every {@link PyDict} reachable from `root` by its final form; shared values stay shared. */
export function finishValue(root: unknown): StateValue {
  const done = new Map<PyDict, StateValue>();
  const seen = new Set<object>();
  const visit = (v: unknown): unknown => {
    if (v instanceof PyDict) return convertDict(v);
    if (v === null || typeof v !== "object" || seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = visit(v[i]);
    } else if (v instanceof Set) {
      const items = [...v];
      v.clear();
      for (const item of items) v.add(visit(item));
    } else if (v instanceof PickledObject) {
      v.state = visit(v.state) as StateValue;
      for (let i = 0; i < v.args.length; i++) v.args[i] = visit(v.args[i]) as StateValue;
    } else if (v instanceof Tensor && v.attributes !== undefined) {
      v.attributes = visit(v.attributes) as Tensor["attributes"];
    }
    return v;
  };
  const convertDict = (d: PyDict): StateValue => {
    const existing = done.get(d);
    if (existing !== undefined) return existing;
    const plain = [...d.entries.keys()].every((k) => typeof k === "string" && !needsMapKey(k));
    const out: Record<string, StateValue> | Map<StateValue, StateValue> = plain
      ? (Object.create(Object.prototype) as Record<string, StateValue>)
      : new Map<StateValue, StateValue>();
    done.set(d, out);
    for (const [k, value] of d.entries) {
      if (out instanceof Map) out.set(visit(k) as StateValue, visit(value) as StateValue);
      else out[k as string] = visit(value) as StateValue;
    }
    if (d.ordered) {
      const attrs = d.attrs === undefined ? undefined : convertDict(d.attrs);
      orderedDict(
        out,
        attrs instanceof Map || attrs === undefined ? undefined : (attrs as Record<string, StateValue>),
      );
    }
    return out;
  };
  return visit(root) as StateValue;
}
