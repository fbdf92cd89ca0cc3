/**
 * Hostile checkpoints (issue 18): small files built to exhaust memory or time, and a runner that loads
 * one in a child process with a memory cap and a time limit, so a regression kills the child, not the suite.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";
import {
  encodeCheckpoint,
  PickledObject,
  type StateValue,
  Storage,
  Tensor,
} from "../../src/checkpoint/index.js";
import { OP } from "../../src/checkpoint/pickle/opcodes.js";
import { viewUnchecked } from "../../src/checkpoint/tensor.js";
import { TorchPickler } from "../../src/checkpoint/torch-pickler.js";

import { type CappedOutcome, runCappedChild } from "../fixtures/capped-child.js";
import { checkpointWith } from "./craft.js";

const WORKER = fileURLToPath(new URL("./hostile-worker.ts", import.meta.url));

/** How a hostile load ended in the child: "ok" or an ArtifactError code (and its message). */
export type HostileOutcome = CappedOutcome;

/**
 * Writes `bytes` to a temporary file and loads it (`kind`, see hostile-worker.ts) in a child Node with
 * `--max-old-space-size=256` and a `timeoutMs` limit. Rejects when the child dies (heap OOM, crash) or
 * is killed at the limit.
 */
export async function loadHostile(
  kind: "checkpoint" | "safetensors" | "module" | "materialise" | "tfjs-optimizer",
  bytes: Uint8Array,
  timeoutMs = 40_000,
): Promise<HostileOutcome> {
  const dir = await mkdtemp(join(tmpdir(), "hostile-"));
  try {
    const file = join(dir, "input");
    await writeFile(file, bytes);
    return await runCappedChild(WORKER, [kind, file], { heapMb: 256, timeoutMs });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A safetensors file whose header lists `entries` ([name, begin, end] of U8 bytes) over `dataSize` bytes. */
export function safetensorsWith(entries: [string, number, number][], dataSize: number): Uint8Array {
  const header: Record<string, unknown> = {};
  for (const [name, begin, end] of entries) {
    header[name] = { dtype: "U8", shape: [end - begin], data_offsets: [begin, end] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + dataSize);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  return out;
}

/** An inert `nn.Module` with the given parameters and submodules. */
export function moduleOf(
  parameters: Map<string, StateValue> | Record<string, StateValue>,
  modules: Record<string, StateValue> = {},
): PickledObject {
  const m = new PickledObject("torch.nn.modules.module.Module", []);
  m.state = { training: true, _parameters: parameters, _buffers: {}, _modules: modules };
  return m;
}

/** `{model}` where `model` holds a one-parameter module shared twice per level, `depth` levels deep. */
export function sharedModulesCheckpoint(depth: number): Promise<Uint8Array> {
  const weight = new Tensor({ dtype: "float32", shape: [1], data: new Float32Array(1) });
  let m = moduleOf({ weight });
  for (let i = 0; i < depth; i++) m = moduleOf({}, { a: m, b: m });
  return encodeCheckpoint({ model: m });
}

/** A record of {@link rawZip}: `data` as stored (deflated when `method` is 8), `size` once inflated. */
export interface RawRecord {
  name: string;
  data: Uint8Array;
  method: 0 | 8;
  size: number;
}

/**
 * A plain zip (no zip64, no CRCs: the reader does not check them) of `records`, whose central directory
 * lists `central` entries: each a record's name and the index of the record whose local header and
 * data it points at (several entries may point at the same bytes).
 */
export function rawZip(records: RawRecord[], central: [string, number][]): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const r of records) {
    const name = enc.encode(r.name);
    const h = new DataView(new ArrayBuffer(30));
    h.setUint32(0, 0x04034b50, true);
    h.setUint16(8, r.method, true);
    h.setUint32(18, r.data.byteLength, true);
    h.setUint32(22, r.size, true);
    h.setUint16(26, name.byteLength, true);
    offsets.push(at);
    chunks.push(new Uint8Array(h.buffer), name, r.data);
    at += 30 + name.byteLength + r.data.byteLength;
  }
  const dirStart = at;
  for (const [entryName, index] of central) {
    const r = records[index] as RawRecord;
    const name = enc.encode(entryName);
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(10, r.method, true);
    c.setUint32(20, r.data.byteLength, true);
    c.setUint32(24, r.size, true);
    c.setUint16(28, name.byteLength, true);
    c.setUint32(42, offsets[index] as number, true);
    chunks.push(new Uint8Array(c.buffer), name);
    at += 46 + name.byteLength;
  }
  const e = new DataView(new ArrayBuffer(22));
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, central.length, true);
  e.setUint16(10, central.length, true);
  e.setUint32(12, at - dirStart, true);
  e.setUint32(16, dirStart, true);
  chunks.push(new Uint8Array(e.buffer));
  return Buffer.concat(chunks);
}

/**
 * A checkpoint of `count` float32 tensors of `mib` MiB each whose storage records are all one deflated
 * record of zeros (`shared`), or `count` records of their own (not shared).
 */
export function deflatedCheckpoint(count: number, mib: number, shared: boolean): Uint8Array {
  const zeros = new Uint8Array(mib << 20);
  const deflated = deflateRawSync(zeros, { level: 9 });
  const p = new TorchPickler();
  const tree: Record<string, Tensor> = {};
  for (let i = 0; i < count; i++) {
    const storage = new Storage("float32", zeros);
    tree[`t${i}`] = viewUnchecked(storage, 0, [storage.numel], [1]);
  }
  p.save(tree, "tree");
  const text = (s: string) => new TextEncoder().encode(s);
  const pickle = p.finish();
  const records: RawRecord[] = [
    { name: "archive/data.pkl", data: pickle, method: 0, size: pickle.byteLength },
    { name: "archive/version", data: text("3\n"), method: 0, size: 2 },
  ];
  const central: [string, number][] = [
    ["archive/data.pkl", 0],
    ["archive/version", 1],
  ];
  for (let i = 0; i < count; i++) {
    if (!shared || i === 0)
      records.push({ name: `archive/data/${i}`, data: deflated, method: 8, size: zeros.byteLength });
    central.push([`archive/data/${i}`, shared ? 2 : 2 + i]);
  }
  return rawZip(records, central);
}

/**
 * A checkpoint whose pickle builds a list of `n` ints once, then calls `torch.Size(list)` on it `calls`
 * times, keeping every result: about 2n + 6·calls bytes that copy n·calls elements.
 */
export function copyingCallsCheckpoint(n: number, calls: number): Promise<Uint8Array> {
  const p = new TorchPickler();
  p.out.u8(OP.EMPTY_LIST); // the results
  p.out.u8(OP.EMPTY_LIST);
  p.put("list");
  p.out.u8(OP.MARK);
  for (let i = 0; i < n; i++) p.int(i % 200);
  p.out.u8(OP.APPENDS);
  p.out.u8(OP.POP);
  p.global("torch", "Size");
  p.out.u8(OP.POP);
  for (let i = 0; i < calls; i++) {
    p.global("torch", "Size");
    p.get("list");
    p.out.u8(OP.TUPLE1);
    p.out.u8(OP.REDUCE);
    p.out.u8(OP.APPEND);
  }
  return checkpointWith(p.finish());
}

/** `{t}`: a float32 tensor of `numel` elements expanded (stride 0) from a one-element storage. */
export function expandedCheckpoint(numel: number): Promise<Uint8Array> {
  const storage = new Storage("float32", new Uint8Array(Float32Array.of(1.5).buffer));
  return encodeCheckpoint({ t: viewUnchecked(storage, 0, [numel], [0]) });
}

/**
 * A tfjs optimizer state (as tfjsOptimizerState saves it) for a one-weight model of shape [2]: `iter`,
 * then an Adam `m` and `v` slot, the `v` slot expanded (stride 0) to `numel` elements.
 */
export function tfjsOptimizerCheckpoint(numel: number): Promise<Uint8Array> {
  const one = (v: number) => new Tensor({ dtype: "float32", shape: [], data: Float32Array.of(v) });
  const storage = new Storage("float32", new Uint8Array(Float32Array.of(0.25).buffer));
  return encodeCheckpoint({
    class: "Adam",
    config: {},
    weights: {
      iter: one(3),
      "dense/kernel/m": new Tensor({ dtype: "float32", shape: [2], data: Float32Array.of(1, 2) }),
      "dense/kernel/v": viewUnchecked(storage, 0, [numel], [0]),
    },
  });
}
