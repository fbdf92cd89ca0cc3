/**
 * Typed reads of a loaded checkpoint (`StateTree` is a wide union): `getTensor(state,
 * "model.fc.weight")` gives a `Tensor` or throws a typed error naming the path, so user code needs no
 * casts. Dotted paths walk dicts, Maps, lists and tuples; a dict key may itself hold dots (torch's
 * `state_dict` keys do: `{"model": {"fc.weight": …}}` and `{"model.fc.weight": …}` both resolve).
 */
import { ArtifactError } from "../errors.js";
import { isTensor, type Tensor } from "./tensor.js";
import { PyFloat, type StateDict, type StateValue } from "./values.js";

/**
 * What the accessors read: any state value, or a record of them such as ModelLogger's `ModelState`
 * (`retrieveStateFromArtifact`'s result).
 */
export type StateRoot = StateValue | { readonly [key: string]: StateValue | undefined };

/** Whether `value` is a dict of a state tree (a plain object or a Map, as torch's OrderedDict loads). */
export function isStateDict(value: unknown): value is StateDict {
  if (value instanceof Map) return true;
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The value at a dotted path (or a list of keys), or undefined when the path leads nowhere. */
export function getStateValue(state: StateRoot, path: string | readonly string[]): StateValue | undefined {
  const keys = typeof path === "string" ? (path === "" ? [] : path.split(".")) : path;
  return walk(state as StateValue, keys, 0);
}

/** The tensor at `path`; `NOT_FOUND` when the path leads nowhere, `INVALID_ARGUMENT` when it holds something else. */
export function getTensor(state: StateRoot, path: string): Tensor {
  const value = expectValue(state, path);
  if (!isTensor(value)) throw wrongType(path, value, "a tensor");
  return value;
}

/** The number at `path` (a Python int or float; a bigint that fits exactly). Errors as {@link getTensor}. */
export function getNumber(state: StateRoot, path: string): number {
  const value = expectValue(state, path);
  if (typeof value === "number") return value;
  if (value instanceof PyFloat) return value.value;
  if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) return Number(value);
  throw wrongType(path, value, "a number");
}

/** The string at `path`. Errors as {@link getTensor}. */
export function getString(state: StateRoot, path: string): string {
  const value = expectValue(state, path);
  if (typeof value !== "string") throw wrongType(path, value, "a string");
  return value;
}

/** The boolean at `path`. Errors as {@link getTensor}. */
export function getBoolean(state: StateRoot, path: string): boolean {
  const value = expectValue(state, path);
  if (typeof value !== "boolean") throw wrongType(path, value, "a boolean");
  return value;
}

/** The dict at `path` (`""`: the top level). Errors as {@link getTensor}. */
export function getStateDict(state: StateRoot, path: string): StateDict {
  const value = expectValue(state, path);
  if (!isStateDict(value)) throw wrongType(path, value, "a dict");
  return value;
}

/** Every tensor in the tree with its dotted path (`model.fc.weight`), depth first in key order. */
export function* tensorEntries(state: StateRoot, prefix = ""): Generator<[string, Tensor]> {
  if (isTensor(state)) {
    yield [prefix, state];
    return;
  }
  const join = (key: string) => (prefix === "" ? key : `${prefix}.${key}`);
  if (Array.isArray(state)) {
    for (const [i, item] of state.entries()) yield* tensorEntries(item as StateValue, join(String(i)));
  } else if (state instanceof Map) {
    for (const [key, item] of state) yield* tensorEntries(item, join(String(key)));
  } else if (isStateDict(state)) {
    for (const [key, item] of Object.entries(state)) yield* tensorEntries(item, join(key));
  }
}

function walk(value: StateValue | undefined, keys: readonly string[], from: number): StateValue | undefined {
  if (from === keys.length) return value;
  if (value === undefined) return undefined;
  // The longest run of keys first: "fc.weight" is one key of a state_dict, not fc → weight.
  for (let to = keys.length; to > from; to--) {
    const child = childOf(value, keys.slice(from, to).join("."));
    if (child === undefined) continue;
    const found = walk(child, keys, to);
    if (found !== undefined) return found;
  }
  return undefined;
}

function childOf(value: StateValue, key: string): StateValue | undefined {
  if (Array.isArray(value))
    return /^(0|[1-9]\d*)$/.test(key) ? (value[Number(key)] as StateValue) : undefined;
  if (value instanceof Map) {
    if (value.has(key)) return value.get(key);
    return /^-?\d+$/.test(key) ? (value.get(Number(key)) ?? value.get(BigInt(key))) : undefined;
  }
  if (isStateDict(value) && Object.hasOwn(value, key)) return (value as Record<string, StateValue>)[key];
  return undefined;
}

function expectValue(state: StateRoot, path: string): StateValue {
  const value = getStateValue(state, path);
  if (value !== undefined) return value;
  throw new ArtifactError(
    "NOT_FOUND",
    `the checkpoint has nothing at '${path}'${keysNear(state, path)}; list its tensors with tensorEntries(state)`,
    { context: { key: path } },
  );
}

/** `" (the top level holds: model, optimizer, epoch)"`: the keys of the deepest dict the path reaches. */
function keysNear(state: StateRoot, path: string): string {
  const keys = path.split(".");
  for (let n = keys.length - 1; n >= 0; n--) {
    const at = n === 0 ? state : getStateValue(state, keys.slice(0, n));
    if (at === undefined || !isStateDict(at)) continue;
    const names = (at instanceof Map ? [...at.keys()].map(String) : Object.keys(at)).slice(0, 8);
    const where = n === 0 ? "the top level" : `'${keys.slice(0, n).join(".")}'`;
    return ` (${where} holds: ${names.join(", ")}${names.length === 8 ? ", …" : ""})`;
  }
  return "";
}

function wrongType(path: string, value: StateValue, wanted: string): ArtifactError {
  return new ArtifactError(
    "INVALID_ARGUMENT",
    `'${path}' of the checkpoint is ${describe(value)}, not ${wanted}`,
    {
      context: { key: path },
    },
  );
}

function describe(value: StateValue): string {
  if (value === null) return "None";
  if (isTensor(value)) return `a tensor (${value.dtype} [${value.shape.join(", ")}])`;
  if (value instanceof PyFloat) return "a number";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (isStateDict(value)) return "a dict";
  if (typeof value === "object") return `a ${value.constructor?.name ?? "value"}`;
  return `a ${typeof value}`;
}
