/** Builds deliberately malformed checkpoints for the hardening tests. */
import { encodeCheckpoint, Storage } from "../../src/checkpoint/index.js";
import { OP } from "../../src/checkpoint/pickle/opcodes.js";
import { viewUnchecked } from "../../src/checkpoint/tensor.js";
import { TorchPickler } from "../../src/checkpoint/torch-pickler.js";
import { ZipWriter } from "../../src/checkpoint/zip/writer.js";

/** A zip with the given records under `archive/`, as torch lays it out. */
export async function zipOf(records: [string, Uint8Array][]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const zip = new ZipWriter({ write: async (c) => void chunks.push(c.slice()) });
  for (const [name, data] of records) await zip.addRecord(`archive/${name}`, data);
  await zip.finish();
  return Buffer.concat(chunks);
}

const VERSION: [string, Uint8Array] = ["version", new TextEncoder().encode("3\n")];

/** A checkpoint whose pickle is `pickle` and whose storages are `storages` (by key). */
export function checkpointWith(pickle: Uint8Array, storages: Uint8Array[] = []): Promise<Uint8Array> {
  return zipOf([
    ["data.pkl", pickle],
    ...storages.map((s, i): [string, Uint8Array] => [`data/${i}`, s]),
    VERSION,
  ]);
}

/** A pickle that calls `os.system('echo pwned')` through REDUCE. */
export function evilPickle(): Uint8Array {
  const p = new TorchPickler();
  p.global("os", "system");
  p.string("echo pwned");
  p.out.u8(OP.TUPLE1);
  p.out.u8(OP.REDUCE);
  return p.finish();
}

/** A checkpoint with one float32 tensor view of `shape`/`stride`/`offset` over a storage of `numel`. */
export function tensorCheckpoint(
  shape: number[],
  stride: number[],
  offset: number,
  numel = 12,
): Promise<Uint8Array> {
  const storage = new Storage("float32", new Uint8Array(numel * 4));
  const p = new TorchPickler();
  p.rebuildV2(viewUnchecked(storage, offset, shape, stride), "t");
  return checkpointWith(p.finish(), [storage.bytes]);
}

/** A valid checkpoint whose storage record is cut to `keep` bytes. */
export function shortStorageCheckpoint(keep: number): Promise<Uint8Array> {
  const storage = new Storage("float32", new Uint8Array(48));
  const p = new TorchPickler();
  p.rebuildV2(viewUnchecked(storage, 0, [12], [1]), "t");
  return checkpointWith(p.finish(), [storage.bytes.subarray(0, keep)]);
}

export { encodeCheckpoint };

/** A checkpoint as torch.save writes a tensor that lived on `cuda:0` (only the location differs). */
export function cudaCheckpoint(): Promise<Uint8Array> {
  class CudaPickler extends TorchPickler {
    override string(s: string): void {
      super.string(s === "cpu" ? "cuda:0" : s);
    }
  }
  const storage = new Storage("float32", new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer));
  const p = new CudaPickler();
  p.dict({ w: viewUnchecked(storage, 1, [2], [2]) }, "tree");
  return checkpointWith(p.finish(), [storage.bytes]);
}
