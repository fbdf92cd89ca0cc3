/**
 * Encodes a state tree in the fixtures' JSON form (shared/torch/fixtures/README.md, the same rules as
 * verify_load.Encoder), so a loaded checkpoint can be compared with a fixture's expected `value`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  DTYPES,
  isOrderedDict,
  orderedDictAttrs,
  PickledObject,
  PyFloat,
  type StateValue,
  type Storage,
  Tensor,
  Tuple,
} from "../../src/checkpoint/index.js";

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/torch/", import.meta.url));
export const VERIFY_LOAD = `${FIXTURES_DIR}verify_load.py`;

/** The fixtures shipped with the repo, by name. */
export const FIXTURE_NAMES = [
  "a_flat_state_dict",
  "b_dtypes",
  "c_views",
  "d_nested",
  "e_model_logger_module",
  "f_model_logger_state_dict",
  "h_legacy",
  "i_params_and_grads",
];

export function fixtureJson(name: string): { value: unknown; verify_args?: string[] } {
  return JSON.parse(readFileSync(`${FIXTURES_DIR}${name}.json`, "utf8"));
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function floatJson(v: number): number | string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  return v;
}

function intJson(v: bigint | number): number | string {
  const b = BigInt(v);
  return b >= -MAX_SAFE && b <= MAX_SAFE ? Number(b) : b.toString();
}

/** Marks integral floats for {@link toFixtureJsonText}, which writes them as `1.0` (JSON.stringify cannot). */
const FLOAT_MARK = "@@float@@";
let markFloats = false;

function floatValue(v: number): number | string {
  if (markFloats && Number.isInteger(v)) return `${FLOAT_MARK}${Object.is(v, -0) ? "-0" : String(v)}.0`;
  return floatJson(v);
}

function tensorValues(t: Tensor): unknown[] {
  return t.toArray().map((v) => {
    if (typeof v === "boolean") return v;
    if (typeof v === "bigint") return intJson(v);
    if (Array.isArray(v)) return [floatValue(v[0]), floatValue(v[1])];
    return t.dtype.startsWith("int") || t.dtype === "uint8" ? v : floatValue(v);
  });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export class FixtureEncoder {
  readonly keys = new Map<Storage, string>();

  tensor(t: Tensor): unknown {
    let key = this.keys.get(t.storage);
    if (key === undefined) {
      key = String(this.keys.size);
      this.keys.set(t.storage, key);
    }
    const bytes = t.bytes();
    const out: Record<string, unknown> = {
      $type: "tensor",
      dtype: t.dtype,
      shape: [...t.shape],
      requires_grad: t.requiresGrad,
      is_parameter: t.isParameter,
      values: tensorValues(t),
    };
    if (bytes.byteLength <= 512) out.bytes_hex = hex(bytes);
    out.storage = {
      key,
      storage_type: DTYPES[t.dtype].storage,
      storage_numel: t.storage.numel,
      offset: t.storageOffset,
      stride: [...t.stride],
    };
    return out;
  }

  dict(v: StateValue): unknown {
    const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, StateValue>);
    const items = entries.map(([k, x]) => [this.encode(k), this.encode(x)]);
    if (!isOrderedDict(v)) return { $type: "dict", items };
    const out: Record<string, unknown> = { $type: "ordered_dict", items };
    const attrs = orderedDictAttrs(v);
    if (attrs !== undefined) {
      out.attrs = Object.fromEntries(Object.entries(attrs).map(([k, x]) => [k, this.encode(x)]));
    }
    return out;
  }

  encode(v: StateValue): unknown {
    if (v === null || typeof v === "boolean" || typeof v === "string") return v;
    if (typeof v === "bigint") {
      const j = intJson(v);
      return typeof j === "number" ? j : { $type: "int", value: j };
    }
    if (typeof v === "number") {
      if (Number.isInteger(v) && !Object.is(v, -0)) return v;
      return Number.isFinite(v) ? v : { $type: "float", value: floatJson(v) };
    }
    if (v instanceof PyFloat) return { $type: "float", value: floatJson(v.value) };
    if (v instanceof Tensor) return this.tensor(v);
    if (v instanceof Tuple) return { $type: "tuple", items: v.map((x) => this.encode(x)) };
    if (Array.isArray(v)) return v.map((x) => this.encode(x));
    if (v instanceof Set) return { $type: "set", items: [...v].map((x) => this.encode(x)) };
    if (v instanceof Uint8Array) return { $type: "bytes", hex: hex(v) };
    if (v instanceof PickledObject)
      return { $type: "object", class: v.className, state: this.encode(v.state ?? null) };
    if (typeof v === "object" && v.constructor.name === "GlobalRef")
      return { $type: "global", value: String(v) };
    return this.dict(v);
  }
}

/** The fixture-JSON form of a state tree. */
export function toFixtureJson(value: StateValue): unknown {
  return new FixtureEncoder().encode(value);
}

/**
 * The fixture JSON text of `{ value: tree }` as Python writes it (integral floats in float tensors as
 * `1.0`), for `verify_load.py`, which compares int and float values strictly.
 */
export function toFixtureJsonText(value: StateValue): string {
  markFloats = true;
  try {
    const text = JSON.stringify({ value: toFixtureJson(value) });
    return text.replace(new RegExp(`"${FLOAT_MARK}([^"]*)"`, "g"), "$1");
  } finally {
    markFloats = false;
  }
}
