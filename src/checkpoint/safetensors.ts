/**
 * safetensors read and write: an 8-byte little-endian header length, a JSON header
 * (`{name: {dtype, shape, data_offsets}, __metadata__}`), then the tensors' bytes.
 * Spec: https://github.com/huggingface/safetensors#format
 */
import { ArtifactError, throwIfAborted } from "../errors.js";
import { DTYPES, type DType, dtypeOfSafetensors } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { contiguousStrides, numelOf, Storage, Tensor } from "./tensor.js";
import { writeFileAtomically } from "./write-file-atomically.js";
import { type ByteSource, openSource } from "./zip/source.js";

/** What {@link loadSafetensors} returns. */
export interface SafetensorsContent {
  /** Tensors by name, in the header's order. */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` (string to string). */
  metadata: Record<string, string>;
}

/** Options of {@link loadSafetensors}. */
export interface LoadSafetensorsOptions {
  signal?: AbortSignal;
}

/** Options of {@link saveSafetensors}. */
export interface SaveSafetensorsOptions {
  /** Stored as `__metadata__`; values must be strings. */
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

/** The largest header accepted (the safetensors library's limit). */
const MAX_HEADER = 100_000_000;

interface HeaderEntry {
  dtype: DType;
  shape: number[];
  data_offsets: [number, number];
}

/** safetensors dtypes that are valid but that this library does not read. */
const UNREAD_SAFETENSORS = new Set(["F6_E2M3", "F6_E3M2"]);

/** safetensors counts F4 in 4-bit elements: its last dimension is twice torch's float4_e2m1fn_x2's. */
function torchShape(name: string, dtype: DType, shape: number[]): number[] {
  if (dtype !== "float4_e2m1fn_x2") return shape;
  const last = shape[shape.length - 1];
  if (last === undefined || last % 2 !== 0) {
    throw invalidCheckpoint(`safetensors '${name}' is F4 with an odd or missing last dimension [${shape}]`);
  }
  return [...shape.slice(0, -1), last / 2];
}

function parseEntry(name: string, raw: unknown, dataSize: number): HeaderEntry {
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  const dtype = typeof e?.dtype === "string" ? dtypeOfSafetensors(e.dtype) : undefined;
  if (e !== null && typeof e?.dtype === "string" && UNREAD_SAFETENSORS.has(e.dtype)) {
    throw new ArtifactError(
      "UNSUPPORTED",
      `safetensors '${name}' has dtype ${e.dtype}, which this reader does not support`,
    );
  }
  if (e === null || dtype === undefined)
    throw invalidCheckpoint(`safetensors '${name}' has an unknown dtype`);
  const shape = e.shape;
  const offsets = e.data_offsets;
  const ints = (a: unknown): a is number[] =>
    Array.isArray(a) && a.every((x) => Number.isSafeInteger(x) && (x as number) >= 0);
  if (!ints(shape) || !ints(offsets) || offsets.length !== 2) {
    throw invalidCheckpoint(`safetensors '${name}' has a malformed shape or data_offsets`);
  }
  const [begin, end] = offsets as [number, number];
  const dims = torchShape(name, dtype, shape);
  const numel = numelOf(dims);
  if (!Number.isSafeInteger(numel) || numel * DTYPES[dtype].size !== end - begin || end > dataSize) {
    throw invalidCheckpoint(
      `safetensors '${name}': shape [${shape}] does not match offsets ${begin}..${end}`,
    );
  }
  return { dtype, shape: dims, data_offsets: [begin, end] };
}

/**
 * The tensors' byte ranges must tile the data section exactly, as the reference implementation
 * requires: no overlap (a small file could otherwise read the same bytes as many tensors) and no gap.
 */
function checkTiling(entries: [string, HeaderEntry][], dataSize: number): void {
  const sorted = [...entries].sort(
    ([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1],
  );
  let at = 0;
  let previous = "the header";
  for (const [name, e] of sorted) {
    const [begin, end] = e.data_offsets;
    if (begin !== at) {
      throw invalidCheckpoint(
        begin < at
          ? `safetensors '${name}' (bytes ${begin}..${end}) overlaps '${previous}' (ends at ${at})`
          : `safetensors data has a gap: bytes ${at}..${begin} after '${previous}' belong to no tensor`,
      );
    }
    at = end;
    previous = name;
  }
  if (at !== dataSize) {
    throw invalidCheckpoint(
      `safetensors tensors cover ${at} bytes of data but the file holds ${dataSize} (truncated or padded?)`,
    );
  }
}

async function readHeader(src: ByteSource): Promise<{ header: Record<string, unknown>; dataStart: number }> {
  if (src.size < 8) throw invalidCheckpoint("safetensors file is shorter than its 8-byte header length");
  const lenBytes = await src.read(0, 8);
  const len = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (len > BigInt(Math.min(MAX_HEADER, src.size - 8)))
    throw invalidCheckpoint(`safetensors header length ${len} is too large`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await src.read(8, Number(len))));
  } catch (error) {
    throw invalidCheckpoint("safetensors header is not valid JSON", error);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw invalidCheckpoint("safetensors header is not a JSON object");
  }
  return { header: header as Record<string, unknown>, dataStart: 8 + Number(len) };
}

/** Reads a safetensors file (by ranges, one tensor at a time) or bytes. Malformed → CHECKPOINT_INVALID. */
export async function loadSafetensors(
  pathOrBytes: string | Uint8Array,
  options: LoadSafetensorsOptions = {},
): Promise<SafetensorsContent> {
  const src = await openSource(pathOrBytes);
  try {
    const { header, dataStart } = await readHeader(src);
    const tensors: Record<string, Tensor> = {};
    let metadata: Record<string, string> = {};
    const entries: [string, HeaderEntry][] = [];
    for (const [name, raw] of Object.entries(header)) {
      if (name === "__metadata__") {
        if (raw === null || typeof raw !== "object")
          throw invalidCheckpoint("safetensors __metadata__ is not an object");
        metadata = Object.fromEntries(Object.entries(raw ?? {}).map(([k, v]) => [k, String(v)]));
        continue;
      }
      entries.push([name, parseEntry(name, raw, src.size - dataStart)]);
    }
    checkTiling(entries, src.size - dataStart);
    for (const [name, e] of entries) {
      throwIfAborted(options.signal);
      const [begin, end] = e.data_offsets;
      const storage = new Storage(e.dtype, await src.read(dataStart + begin, end - begin));
      const tensor = Tensor.view(storage, 0, e.shape, contiguousStrides(e.shape));
      // defineProperty: a tensor named `__proto__` must stay a key, not become the prototype
      Object.defineProperty(tensors, name, {
        value: tensor,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return { tensors, metadata };
  } finally {
    await src.close();
  }
}

function buildHeader(tensors: [string, Tensor][], metadata: Record<string, string> | undefined): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    if (!Object.values(metadata).every((v) => typeof v === "string")) {
      throw new ArtifactError("INVALID_ARGUMENT", "safetensors `metadata` values must be strings");
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    if (!(t instanceof Tensor)) throw new ArtifactError("INVALID_ARGUMENT", `'${name}' is not a Tensor`);
    const size = t.numel * DTYPES[t.dtype].size;
    const dtype = DTYPES[t.dtype].safetensors;
    // complex128 ("C128") is a name the reference implementation (safetensors 0.8) does not know: it
    // refuses to save or load it, so a file we wrote with it would be unreadable there (issue 23.8).
    if (
      dtype === undefined ||
      t.dtype === "complex128" ||
      (t.dtype === "float4_e2m1fn_x2" && t.shape.length === 0)
    ) {
      throw new ArtifactError(
        "UNSUPPORTED",
        `cannot save '${name}' as safetensors: safetensors has no ${t.dtype === "float4_e2m1fn_x2" ? "0-d " : ""}${t.dtype} dtype (save it with saveCheckpoint)`,
      );
    }
    const f4 = t.dtype === "float4_e2m1fn_x2";
    header[name] = {
      dtype,
      shape: f4 ? [...t.shape.slice(0, -1), (t.shape[t.shape.length - 1] as number) * 2] : t.shape,
      data_offsets: [offset, offset + size],
    };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

/**
 * Writes tensors as a safetensors file: header first, then each tensor's row-major bytes written
 * straight to the file (non-contiguous views are gathered one tensor at a time). Atomic via rename.
 */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  options: SaveSafetensorsOptions = {},
): Promise<void> {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header = buildHeader(entries, options.metadata);
  await writeFileAtomically(path, async (write) => {
    await write(header);
    for (const [, t] of entries) {
      throwIfAborted(options.signal);
      await write(t.bytes());
    }
  });
}
