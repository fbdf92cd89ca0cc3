/**
 * Pickles a state tree the way `torch.save` does: tensors as `_rebuild_tensor_v2` on persistent-id
 * storages, Parameters through `_rebuild_parameter`, storages numbered in first-use order.
 */
import { ArtifactError } from "../errors.js";
import { DTYPES } from "./dtype.js";
import { OP } from "./pickle/opcodes.js";
import { Pickler } from "./pickle/writer.js";
import { type Storage, Tensor, viewFits } from "./tensor.js";
import type { StateTree } from "./values.js";

/** The pickle of a checkpoint and its storages in key order (`data/0`, `data/1`, …). */
export interface PickledCheckpoint {
  pickle: Uint8Array;
  storages: Storage[];
}

/** The torch pickler (exported for tests that craft malformed checkpoints). */
export class TorchPickler extends Pickler {
  readonly storages = new Map<Storage, string>();

  override saveOther(v: object, path: string): boolean {
    if (!(v instanceof Tensor)) return false;
    checkView(v, path);
    if (v.isParameter) {
      this.global("torch._utils", "_rebuild_parameter");
      this.rebuildV2(v, path);
      this.out.u8(v.requiresGrad ? OP.NEWTRUE : OP.NEWFALSE);
      this.emptyOrderedDict();
      this.out.u8(OP.TUPLE3);
      this.put({});
      this.out.u8(OP.REDUCE);
    } else {
      this.rebuildV2(v, path);
    }
    this.put(v);
    return true;
  }

  emptyOrderedDict(): void {
    this.global("collections", "OrderedDict");
    this.out.u8(OP.EMPTY_TUPLE);
    this.out.u8(OP.REDUCE);
    this.put({});
  }

  /**
   * `_rebuild_tensor_v2(storage, …)`, or for the dtypes without a legacy storage class torch 2.x's
   * `_rebuild_tensor_v3(untyped storage, …, dtype)`.
   */
  rebuildV2(t: Tensor, path: string): void {
    const v3 = DTYPES[t.dtype].storage === undefined;
    this.global("torch._utils", v3 ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2");
    this.out.u8(OP.MARK);
    this.persistentId(t.storage);
    this.int(t.storageOffset);
    this.tuple(t.shape, `${path}.shape`);
    this.tuple(t.stride, `${path}.stride`);
    this.out.u8(!t.isParameter && t.requiresGrad ? OP.NEWTRUE : OP.NEWFALSE);
    this.emptyOrderedDict();
    if (v3) this.global("torch", t.dtype);
    this.out.u8(OP.TUPLE);
    this.put({});
    this.out.u8(OP.REDUCE);
    if (t.isParameter) this.put({});
  }

  persistentId(storage: Storage): void {
    let key = this.storages.get(storage);
    if (key === undefined) {
      key = String(this.storages.size);
      this.storages.set(storage, key);
    }
    this.out.u8(OP.MARK);
    this.string("storage");
    const typed = DTYPES[storage.dtype].storage;
    if (typed === undefined) this.global("torch.storage", "UntypedStorage");
    else this.global("torch", typed);
    this.string(key);
    this.string("cpu");
    this.int(typed === undefined ? storage.bytes.byteLength : storage.numel); // untyped: in bytes
    this.out.u8(OP.TUPLE);
    this.put({});
    this.out.u8(OP.BINPERSID);
  }
}

function checkView(t: Tensor, path: string): void {
  if (!viewFits(t))
    throw new ArtifactError("INVALID_ARGUMENT", `tensor at ${path} does not fit in its storage`);
}

/** Pickles `tree` (protocol 2, `weights_only`-loadable unless it holds sets, bytes or objects). */
export function pickleCheckpoint(tree: StateTree): PickledCheckpoint {
  const p = new TorchPickler();
  p.save(tree, "checkpoint");
  return { pickle: p.finish(), storages: [...p.storages.keys()] };
}
