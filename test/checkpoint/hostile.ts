/**
 * Hostile checkpoints (issue 18): small files built to exhaust memory or time, and a runner that loads
 * one in a child process with a memory cap and a time limit, so a regression kills the child, not the suite.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeCheckpoint, PickledObject, type StateValue, Tensor } from "../../src/checkpoint/index.js";

const WORKER = fileURLToPath(new URL("./hostile-worker.ts", import.meta.url));

/** How a hostile load ended in the child: "ok" or an ArtifactError code (and its message). */
export interface HostileOutcome {
  outcome: string;
  message?: string;
  value?: unknown;
}

/**
 * Writes `bytes` to a temporary file and loads it (`kind`, see hostile-worker.ts) in a child Node with
 * `--max-old-space-size=256` and a `timeoutMs` limit. Rejects when the child dies (heap OOM, crash) or
 * is killed at the limit.
 */
export async function loadHostile(
  kind: "checkpoint" | "safetensors" | "module" | "materialise",
  bytes: Uint8Array,
  timeoutMs = 20_000,
): Promise<HostileOutcome> {
  const dir = await mkdtemp(join(tmpdir(), "hostile-"));
  try {
    const file = join(dir, "input");
    await writeFile(file, bytes);
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--max-old-space-size=256", "--import", "tsx", WORKER, kind, file],
        { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1 << 20 },
        (error, out, err) => {
          if (error === null) resolve(out);
          else
            reject(
              new Error(
                `the child died (${error.killed ? `killed after ${timeoutMs} ms` : `code ${String(error.code)}`}): ${err.slice(-2000)}`,
              ),
            );
        },
      );
    });
    return JSON.parse(stdout) as HostileOutcome;
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
