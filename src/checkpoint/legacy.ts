/**
 * The legacy `torch.save(..., _use_new_zipfile_serialization=False)` format: five pickles (magic number,
 * protocol version, sys info, the object, the storage keys) followed by each storage as a u64 element
 * count and its bytes. Only the pickles are read up front; storages are read by range afterwards.
 */
import { isArtifactError } from "../errors.js";
import { DTYPES } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { type UnpicklerHooks, unpickle } from "./pickle/reader.js";
import type { StorageRef } from "./torch-globals.js";
import type { StateTree } from "./values.js";
import type { ByteSource } from "./zip/source.js";

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
const FIRST_WINDOW = 1 << 20;

const PLAIN_HOOKS: UnpicklerHooks = {
  persistentLoad: () => {
    throw invalidCheckpoint("legacy header pickle has a persistent id");
  },
  reduce: () => {
    throw invalidCheckpoint("legacy header pickle calls a function");
  },
  newObject: () => {
    throw invalidCheckpoint("legacy header pickle creates an object");
  },
};

interface LegacyResult {
  value: StateTree;
  locate: (ref: StorageRef) => Promise<{ offset: number; size: number }>;
}

function parseHeader(bytes: Uint8Array, hooks: UnpicklerHooks) {
  const magic = unpickle(bytes, PLAIN_HOOKS);
  if (magic.value !== MAGIC) throw invalidCheckpoint("bad legacy magic number");
  const protocol = unpickle(bytes, PLAIN_HOOKS, magic.end);
  if (protocol.value !== PROTOCOL_VERSION)
    throw invalidCheckpoint(`unknown legacy protocol ${String(protocol.value)}`);
  const sysInfo = unpickle(bytes, PLAIN_HOOKS, protocol.end);
  const info = sysInfo.value as { little_endian?: unknown } | null;
  if (info !== null && typeof info === "object" && info.little_endian === false) {
    throw invalidCheckpoint("big-endian legacy checkpoints are not supported");
  }
  const object = unpickle(bytes, hooks, sysInfo.end);
  const keys = unpickle(bytes, PLAIN_HOOKS, object.end);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === "string")) {
    throw invalidCheckpoint("legacy storage key list is malformed");
  }
  return { value: object.value as StateTree, keys: keys.value as string[], dataStart: keys.end };
}

/** Reads the pickles of a legacy file, growing the window read from the start until they fit. */
export async function readLegacy(
  src: ByteSource,
  hooks: UnpicklerHooks,
  refs: Map<string, StorageRef>,
): Promise<LegacyResult> {
  let window = Math.min(src.size, FIRST_WINDOW);
  for (;;) {
    refs.clear();
    try {
      const header = parseHeader(await src.read(0, window), hooks);
      return { value: header.value, locate: await storageLocator(src, header.keys, header.dataStart, refs) };
    } catch (error) {
      const truncated = isArtifactError(error, "CHECKPOINT_INVALID") && error.context.truncated === true;
      if (!truncated || window >= src.size) throw error;
      window = Math.min(src.size, window * 4);
    }
  }
}

async function storageLocator(src: ByteSource, keys: string[], start: number, refs: Map<string, StorageRef>) {
  const places = new Map<string, { offset: number; size: number }>();
  let pos = start;
  for (const key of keys) {
    const ref = refs.get(key);
    if (ref === undefined) throw invalidCheckpoint(`legacy storage '${key}' is not used by the object`);
    const head = await src.read(pos, 8);
    const count = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    const size = Number(count) * DTYPES[ref.storage.dtype].size;
    if (count !== BigInt(ref.numel) || pos + 8 + size > src.size) {
      throw invalidCheckpoint(`legacy storage '${key}' has a bad element count ${count}`);
    }
    places.set(key, { offset: pos + 8, size });
    pos += 8 + size;
  }
  return async (ref: StorageRef) => {
    const place = places.get(ref.key);
    if (place === undefined) throw invalidCheckpoint(`legacy storage '${ref.key}' has no data`);
    return place;
  };
}
