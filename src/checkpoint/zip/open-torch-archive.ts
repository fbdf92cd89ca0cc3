/**
 * The records of a torch.save zip, checked once for both readers (`loadCheckpoint` and the UI's lazy
 * view): the folder prefix, no TorchScript, `data.pkl` and `version` present, little-endian, and
 * where each storage's bytes are.
 */
import { ArtifactError } from "../../errors.js";
import { invalidCheckpoint } from "../invalid.js";
import { entryDataOffset, type InflateBudget, readEntry, readZipEntries, type ZipEntry } from "./reader.js";
import type { ByteSource } from "./source.js";

/** Where a storage's bytes are: a range of the file, or (deflated records) already inflated. */
export type StoragePlace = { offset: number; size: number } | { bytes: Uint8Array };

/** An opened torch.save zip. */
export interface TorchArchive {
  /** The records' folder, with its trailing slash (`archive/`). */
  prefix: string;
  /** The bytes of `data.pkl`. */
  pickle: Uint8Array;
  /** Where the record `data/<key>` is; CHECKPOINT_INVALID when it is missing. */
  locate(key: string): Promise<StoragePlace>;
}

/** Default of `loadCheckpoint`'s `maxInflateRatio`. */
export const DEFAULT_MAX_INFLATE_RATIO = 16;
/** Inflated bytes always allowed, beyond the ratio (small deflated pickles). */
export const INFLATE_ALLOWANCE = 1 << 20;
const MAX_PICKLE_BYTES = 1 << 30;

/**
 * What a file of `size` bytes may inflate to in all: `ratio` × its size plus 1 MiB. `option` is the
 * option named in the error.
 */
export function inflateBudget(
  size: number,
  ratio = DEFAULT_MAX_INFLATE_RATIO,
  option = "maxInflateRatio",
): InflateBudget {
  const limit = Math.floor(ratio * size) + INFLATE_ALLOWANCE;
  return { left: limit, limit, option };
}

/** Opens the torch.save zip in `src`; deflated records are counted against `budget`. */
export async function openTorchArchive(src: ByteSource, budget: InflateBudget): Promise<TorchArchive> {
  const entries = await readZipEntries(src);
  const first = entries[0]?.name ?? "";
  const slash = first.indexOf("/");
  if (slash <= 0)
    throw invalidCheckpoint("the zip's first record is not inside a folder (not a torch.save file)");
  const prefix = first.slice(0, slash + 1);
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
  if (byName.has(`${prefix}constants.pkl`)) {
    throw new ArtifactError(
      "UNSUPPORTED",
      "this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint",
    );
  }
  const pkl = byName.get(`${prefix}data.pkl`);
  if (pkl === undefined) throw invalidCheckpoint(`record '${prefix}data.pkl' is missing`);
  if (!byName.has(`${prefix}version`) && !byName.has(`${prefix}.data/version`)) {
    throw invalidCheckpoint(`record '${prefix}version' is missing`);
  }
  if (pkl.size > MAX_PICKLE_BYTES) throw invalidCheckpoint(`data.pkl of ${pkl.size} bytes is too large`);
  const byteorder = byName.get(`${prefix}byteorder`); // written by torch 2.x
  if (byteorder !== undefined && byteorder.size < 16) {
    const order = new TextDecoder().decode(await readEntry(src, byteorder, budget)).trim();
    if (order !== "little")
      throw new ArtifactError("UNSUPPORTED", `checkpoint is ${order}-endian; only little-endian is read`);
  }
  const pickle = await readEntry(src, pkl, budget);
  const locate = async (key: string): Promise<StoragePlace> => {
    const entry = byName.get(`${prefix}data/${key}`);
    if (entry === undefined) throw invalidCheckpoint(`storage record '${prefix}data/${key}' is missing`);
    if (entry.method !== 0) return { bytes: await readEntry(src, entry, budget) }; // zipfile-written, deflated
    return { offset: await entryDataOffset(src, entry), size: entry.size };
  };
  return { prefix, pickle, locate };
}
