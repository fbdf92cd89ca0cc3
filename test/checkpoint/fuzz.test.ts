/**
 * Fuzz targets (issue 18): the zip central directory (entries pointing anywhere, sharing bytes, with
 * any sizes and methods; and byte edits confined to the directory of real torch files) and
 * `moduleStateDict` (random module graphs with shared submodules, cycles and hostile names). The
 * reader ends with a typed error or the right value, never a crash, a hang or a wrong value.
 */
import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeCheckpoint,
  loadCheckpoint,
  moduleStateDict,
  PickledObject,
  type StateValue,
  Storage,
  Tensor,
} from "../../src/checkpoint/index.js";
import { viewUnchecked } from "../../src/checkpoint/tensor.js";
import { TorchPickler } from "../../src/checkpoint/torch-pickler.js";
import { needsMapKey } from "../../src/checkpoint/values.js";
import { isArtifactError } from "../../src/errors.js";
import { FIXTURES_DIR, toFixtureJsonText } from "./fixture-json.js";
import { type RawRecord, rawZip } from "./hostile.js";

/** How `run` ended: its value, or the ArtifactError code (anything else fails the property). */
async function settle<T>(run: () => Promise<T> | T): Promise<{ code: string; value?: T }> {
  try {
    return { code: "ok", value: await run() };
  } catch (error) {
    if (isArtifactError(error)) return { code: error.code };
    throw error;
  }
}

const text = (s: string) => new TextEncoder().encode(s);

/** The records of `{a: float32 tensor [0.5, 1.5, 2.5, 3.5]}`, each with its own bytes. */
function records(): RawRecord[] {
  const storage = new Storage("float32", new Uint8Array(Float32Array.of(0.5, 1.5, 2.5, 3.5).buffer));
  const p = new TorchPickler();
  p.save({ a: viewUnchecked(storage, 0, [4], [1]) }, "tree");
  const pickle = p.finish();
  return [
    { name: "archive/data.pkl", data: pickle, method: 0, size: pickle.byteLength },
    { name: "archive/version", data: text("3\n"), method: 0, size: 2 },
    { name: "archive/data/0", data: storage.bytes, method: 0, size: 16 },
    { name: "archive/data/1", data: new Uint8Array(8), method: 0, size: 8 },
  ];
}

const NAMES = [
  "archive/data.pkl",
  "archive/version",
  "archive/data/0",
  "archive/data/1",
  "archive/x",
  "data.pkl",
];

describe("zip central directory (fuzz)", () => {
  it("entries pointing at any record, shared, renamed or resized: a typed error or the right tensor", async () => {
    const base = records();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(NAMES.length - 1), fc.nat(base.length - 1)), { minLength: 1, maxLength: 7 }),
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.constantFrom(0, 8), fc.nat(64)), { maxLength: 3 }),
        async (central, tweaks) => {
          const recs = base.map((r) => ({ ...r }));
          for (const [i, method, size] of tweaks) Object.assign(recs[i] as RawRecord, { method, size });
          const zip = rawZip(
            recs,
            central.map(([n, r]) => [NAMES[n] as string, r]),
          );
          const result = await settle(() => loadCheckpoint(zip));
          expect(["ok", "CHECKPOINT_INVALID", "UNSUPPORTED"]).toContain(result.code);
          const shared = new Set(central.map(([, r]) => r)).size < central.length;
          if (shared) expect(result.code).toBe("CHECKPOINT_INVALID"); // entries sharing bytes
          if (result.code === "ok") {
            expect((result.value as { a: Tensor }).a.toArray()).toEqual([0.5, 1.5, 2.5, 3.5]);
          }
        },
      ),
      { numRuns: 400, seed: 18 },
    );
  });

  it("byte edits inside the central directory of torch files: a typed error or the same values", async () => {
    const files = await Promise.all(
      ["a_flat_state_dict", "e_model_logger_module"].map((n) => readFile(`${FIXTURES_DIR}${n}.pt`)),
    );
    const originals = await Promise.all(files.map(async (f) => toFixtureJsonText(await loadCheckpoint(f))));
    const directoryOf = (bytes: Uint8Array) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let at = bytes.byteLength - 22;
      while (view.getUint32(at, true) !== 0x06054b50) at--;
      const locator = at - 20 >= 0 && view.getUint32(at - 20, true) === 0x07064b50;
      const start = locator
        ? Number(view.getBigUint64(Number(view.getBigUint64(at - 12, true)) + 48, true))
        : view.getUint32(at + 16, true);
      return start;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.nat(files.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }),
        async (which, edits) => {
          const bytes = Uint8Array.from(files[which] as Uint8Array);
          const start = directoryOf(bytes);
          for (const [at, value] of edits) bytes[start + (at % (bytes.byteLength - start))] = value;
          const result = await settle(() => loadCheckpoint(bytes));
          expect(["ok", "CHECKPOINT_INVALID", "UNSUPPORTED"]).toContain(result.code);
          if (result.code === "ok")
            expect(toFixtureJsonText(result.value as StateValue)).toBe(originals[which]);
        },
      ),
      { numRuns: 400, seed: 23 },
    );
  });
});

/** A random module graph: per module, parameter and buffer names, non-persistent buffers, children. */
interface Graph {
  modules: { params: string[]; buffers: string[]; hidden: string[]; children: [string, number][] }[];
}

const KEY = fc.constantFrom("weight", "bias", "__proto__", "constructor", "0", "10", "a.b", "toString", "");

const graphArb: fc.Arbitrary<Graph> = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.record({
    modules: fc.array(
      fc.record({
        params: fc.uniqueArray(KEY, { maxLength: 3 }),
        buffers: fc.uniqueArray(KEY, { maxLength: 2 }),
        hidden: fc.uniqueArray(KEY, { maxLength: 1 }),
        children: fc.uniqueArray(fc.tuple(KEY, fc.nat(n - 1)), { maxLength: 3, selector: ([k]) => k }),
      }),
      { minLength: n, maxLength: n },
    ),
  }),
);

/** A dict as the loader builds one: a plain object, or a Map when a key would misbehave as a property. */
function dictOf(entries: [string, StateValue][]): StateValue {
  if (entries.some(([k]) => needsMapKey(k))) return new Map(entries);
  const out: Record<string, StateValue> = {};
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** Builds the graph's modules as inert `nn.Module`s, module 0 the root; each tensor holds its module's index. */
function build(graph: Graph): PickledObject {
  const modules = graph.modules.map(() => new PickledObject("torch.nn.modules.module.Module", []));
  graph.modules.forEach((g, i) => {
    const t = () => new Tensor({ dtype: "int32", shape: [1], data: Int32Array.of(i) });
    (modules[i] as PickledObject).state = {
      training: true,
      _parameters: dictOf(g.params.map((k) => [k, t()])),
      _buffers: dictOf(g.buffers.map((k) => [k, t()])),
      _non_persistent_buffers_set: new Set(g.hidden),
      _modules: dictOf(g.children.map(([k, c]) => [k, modules[c] as PickledObject])),
    };
  });
  return modules[0] as PickledObject;
}

/**
 * PyTorch's `state_dict()` walk as a specification: the keys, or where it stops (a cycle, or more than
 * `maxWork` steps, counted as moduleStateDict counts them: modules entered + keys produced).
 */
function expected(graph: Graph, maxWork: number): { keys: Map<string, number> } | { stop: "cycle" | "work" } {
  const keys = new Map<string, number>(); // as a Python dict: first position, last value (the module index)
  let work = 0;
  const open = new Set<number>();
  const step = () => ++work > maxWork;
  const walk = (i: number, prefix: string): "cycle" | "work" | undefined => {
    if (open.has(i)) return "cycle";
    if (step()) return "work";
    open.add(i);
    const g = graph.modules[i] as Graph["modules"][number];
    for (const k of [...g.params, ...g.buffers.filter((b) => !g.hidden.includes(b))]) {
      if (step()) return "work";
      keys.set(prefix + k, i);
    }
    for (const [k, c] of g.children) {
      const stop = walk(c, `${prefix}${k}.`);
      if (stop !== undefined) return stop;
    }
    open.delete(i);
    return undefined;
  };
  const stop = walk(0, "");
  return stop === undefined ? { keys } : { stop };
}

describe("moduleStateDict (fuzz)", () => {
  it("random module graphs: PyTorch's keys, or CHECKPOINT_INVALID for cycles and runaway sharing", async () => {
    await fc.assert(
      fc.asyncProperty(
        graphArb,
        fc.constantFrom(10, 50, 1_000_000),
        fc.boolean(),
        async (graph, maxWork, viaFile) => {
          let root: StateValue = build(graph);
          if (viaFile)
            root = ((await loadCheckpoint(await encodeCheckpoint({ model: root }))) as { model: StateValue })
              .model;
          const result = await settle(() => moduleStateDict(root, { maxWork }));
          const want = expected(graph, maxWork);
          if ("stop" in want) {
            expect(result.code).toBe("CHECKPOINT_INVALID");
            return;
          }
          expect(result.code).toBe("ok");
          const out = result.value as Record<string, Tensor> | Map<string, Tensor>;
          const entries = out instanceof Map ? [...out.entries()] : Object.entries(out);
          const got = entries.map(([k, t]) => [k, t instanceof Tensor ? t.data[0] : t]);
          expect(got).toEqual([...want.keys.entries()]);
          // a Map only when a plain object would reorder or mishandle a key
          expect(out instanceof Map).toBe([...want.keys.keys()].some((k) => needsMapKey(k)));
          if (!(out instanceof Map)) expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
        },
      ),
      { numRuns: 300, seed: 5 },
    );
  });
});
