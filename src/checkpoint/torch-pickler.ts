/**
 * Pickles a state tree the way `torch.save` does: tensors as `_rebuild_tensor_v2` on persistent-id
 * storages, Parameters through `_rebuild_parameter`, storages numbered in first-use order.
 */
import { ArtifactError } from "../errors.js";
import { DTYPES } from "./dtype.js";
import { OP } from "./pickle/opcodes.js";
import { Pickler } from "./pickle/writer.js";
import { type Storage, Tensor, viewFits } from "./tensor.js";
import { MetaTensor, QuantizedTensor, SparseTensor } from "./tensor-kinds.js";
import { QUANTIZED_STORAGES } from "./torch-globals.js";
import { type StateTree, TorchSize } from "./values.js";

/** The pickle of a checkpoint and its storages in key order (`data/0`, `data/1`, …). */
export interface PickledCheckpoint {
  pickle: Uint8Array;
  storages: Storage[];
}

/** The torch pickler (exported for tests that craft malformed checkpoints). */
export class TorchPickler extends Pickler {
  readonly storages = new Map<Storage, string>();

  override saveOther(v: object, path: string): boolean {
    if (v instanceof QuantizedTensor) this.quantized(v, path);
    else if (v instanceof SparseTensor) this.sparse(v, path);
    else if (v instanceof MetaTensor) this.meta(v, path);
    else if (!(v instanceof Tensor)) return false;
    else if (v.isParameter) this.parameter(v, path);
    else if (v.subclass !== undefined || v.attributes !== undefined) this.fromType(v, path);
    else {
      checkView(v, path);
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

  /** `_rebuild_parameter(tensor, requires_grad, OrderedDict())`, `_with_state(…, attributes)` with attributes. */
  parameter(v: Tensor, path: string): void {
    checkView(v, path);
    if (v.subclass !== undefined) {
      throw new ArtifactError("INVALID_ARGUMENT", `cannot save the Parameter at ${path} as a subclass`);
    }
    const state = v.attributes;
    this.global("torch._utils", state === undefined ? "_rebuild_parameter" : "_rebuild_parameter_with_state");
    if (state !== undefined) this.out.u8(OP.MARK);
    this.rebuildV2(v, path);
    this.out.u8(v.requiresGrad ? OP.NEWTRUE : OP.NEWFALSE);
    this.emptyOrderedDict();
    if (state !== undefined) {
      this.save(state, `${path} (attributes)`);
      this.out.u8(OP.TUPLE);
    } else this.out.u8(OP.TUPLE3);
    this.put({});
    this.out.u8(OP.REDUCE);
  }

  /** `_rebuild_from_type_v2(_rebuild_tensor_v2, cls, args, attributes)`: a subclass or attributes. */
  fromType(v: Tensor, path: string): void {
    checkView(v, path);
    this.global("torch._tensor", "_rebuild_from_type_v2");
    this.out.u8(OP.MARK);
    this.global("torch._utils", this.tensorFunction(v));
    const cls = v.subclass ?? "torch.Tensor";
    const dot = cls.lastIndexOf(".");
    if (dot <= 0)
      throw new ArtifactError("INVALID_ARGUMENT", `tensor subclass '${cls}' at ${path} is not module.Class`);
    this.global(cls.slice(0, dot), cls.slice(dot + 1));
    this.tensorArgs(v, path);
    this.save(v.attributes ?? {}, `${path} (attributes)`);
    this.out.u8(OP.TUPLE);
    this.put({});
    this.out.u8(OP.REDUCE);
  }

  tensorFunction(t: Tensor): string {
    return DTYPES[t.dtype].storage === undefined ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2";
  }

  /**
   * `_rebuild_tensor_v2(storage, …)`, or for the dtypes without a legacy storage class torch 2.x's
   * `_rebuild_tensor_v3(untyped storage, …, dtype)`.
   */
  rebuildV2(t: Tensor, path: string): void {
    this.global("torch._utils", this.tensorFunction(t));
    this.tensorArgs(t, path);
    this.out.u8(OP.REDUCE);
    if (t.isParameter) this.put({});
  }

  /** The argument tuple of `_rebuild_tensor_v2` / `_v3`. */
  tensorArgs(t: Tensor, path: string): void {
    const v3 = DTYPES[t.dtype].storage === undefined;
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
  }

  /** `_rebuild_qtensor(storage, offset, size, stride, (qscheme, scale, zero_point[, axis]), …)`. */
  quantized(q: QuantizedTensor, path: string): void {
    const t = q.values;
    const cls = [...QUANTIZED_STORAGES].find(([, [qd, d]]) => qd === q.dtype && d === t.dtype)?.[0];
    if (!(t instanceof Tensor) || cls === undefined) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `the values of the ${q.dtype} tensor at ${path} have the wrong dtype`,
      );
    }
    checkView(t, path);
    this.global("torch._utils", "_rebuild_qtensor");
    this.out.u8(OP.MARK);
    this.persistentId(t.storage, cls);
    this.int(t.storageOffset);
    this.tuple(t.shape, `${path}.shape`);
    this.tuple(t.stride, `${path}.stride`);
    this.out.u8(OP.MARK);
    // torch writes float qparams as per_channel_affine too (the zero points' dtype tells them apart)
    this.global("torch", q.scheme === "per_tensor_affine" ? q.scheme : "per_channel_affine");
    if (q.scheme === "per_tensor_affine") {
      this.float(Number(q.scale));
      this.int(Number(q.zeroPoint));
    } else {
      this.save(q.scale as Tensor, `${path}.scale`);
      this.save(q.zeroPoint as Tensor, `${path}.zeroPoint`);
      this.int(q.axis ?? 0);
    }
    this.out.u8(OP.TUPLE);
    this.out.u8(q.requiresGrad ? OP.NEWTRUE : OP.NEWFALSE);
    this.emptyOrderedDict();
    this.out.u8(OP.TUPLE);
    this.put({});
    this.out.u8(OP.REDUCE);
  }

  /** `_rebuild_sparse_tensor(_get_layout('torch.sparse_coo'), (indices, values, size[, coalesced]))`. */
  sparse(v: SparseTensor, path: string): void {
    this.global("torch._utils", "_rebuild_sparse_tensor");
    this.reduceCall("torch.serialization", "_get_layout", [`torch.${v.layout}`], path, {});
    const size = new TorchSize();
    size.push(...v.shape);
    const parts: unknown[] =
      v.layout === "sparse_coo"
        ? [v.indices, v.values, size, ...(v.isCoalesced === null ? [] : [v.isCoalesced])]
        : [v.compressedIndices, v.plainIndices, v.values, size];
    if (parts.some((p) => p === undefined)) {
      throw new ArtifactError("INVALID_ARGUMENT", `the ${v.layout} tensor at ${path} lacks its indices`);
    }
    this.tuple(parts, path);
    this.out.u8(OP.TUPLE2);
    this.put({});
    this.out.u8(OP.REDUCE);
  }

  /** `_rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad)`. */
  meta(v: MetaTensor, path: string): void {
    this.global("torch._utils", "_rebuild_meta_tensor_no_storage");
    this.out.u8(OP.MARK);
    this.global("torch", v.dtype);
    this.tuple(v.shape, `${path}.shape`);
    this.tuple(v.stride, `${path}.stride`);
    this.out.u8(v.requiresGrad ? OP.NEWTRUE : OP.NEWFALSE);
    this.out.u8(OP.TUPLE);
    this.put({});
    this.out.u8(OP.REDUCE);
  }

  /** The persistent id of `storage`, under its dtype's storage class or `cls` (quantized storages). */
  persistentId(storage: Storage, cls?: string): void {
    let key = this.storages.get(storage);
    if (key === undefined) {
      key = String(this.storages.size);
      this.storages.set(storage, key);
    }
    this.out.u8(OP.MARK);
    this.string("storage");
    const typed = cls ?? DTYPES[storage.dtype].storage;
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

/** Pickles `tree` (protocol 2; torch 2.x's default loader reads it unless it holds frozensets, NumPy values or objects). */
export function pickleCheckpoint(tree: StateTree): PickledCheckpoint {
  const p = new TorchPickler();
  p.save(tree, "checkpoint");
  return { pickle: p.finish(), storages: [...p.storages.keys()] };
}
