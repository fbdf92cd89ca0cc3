/**
 * A small store a user would have: a model artifact with two versions (config, README, metrics CSV, a
 * sample image, a torch checkpoint with optimizer and scheduler, a safetensors file) and a dataset in
 * a second collection. Written through the public API into any FileSystemArtifactManager.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { type ArtifactManager, saveCheckpoint, saveSafetensors, Tensor } from "../../src/index.js";

/** A `width`×`height` RGB PNG with a gradient (a real image a browser decodes). */
export function gradientPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round((255 * x) / width);
      raw[row + 2 + x * 3] = Math.round((255 * y) / height);
      raw[row + 3 + x * 3] = 160;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function floats(n: number, f: (i: number) => number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => f(i));
}

/** The checkpoint tree of version `v` (v1: fc.weight changed, fc2 added, embed reshaped). */
export function checkpointTree(v: 0 | 1) {
  const model: Record<string, Tensor> = {
    "fc.weight": new Tensor({
      dtype: "float32",
      shape: [4, 3],
      data: floats(12, (i) => i / 10 + (v === 1 && i === 5 ? 0.25 : 0)),
    }),
    "fc.bias": new Tensor({
      dtype: "float32",
      shape: [4],
      data: floats(4, (i) => (i === 2 ? Number.NaN : -i)),
    }),
    "embed.weight": new Tensor({
      dtype: "float32",
      shape: v === 0 ? [6, 2] : [4, 3],
      data: floats(12, (i) => i),
    }),
  };
  if (v === 1)
    model["fc2.weight"] = new Tensor({ dtype: "float32", shape: [2, 4], data: floats(8, () => 1) });
  return {
    model,
    optimizer_state_dicts: [
      {
        state: { 0: { step: new Tensor({ dtype: "float32", shape: [], data: floats(1, () => 10 + v) }) } },
        param_groups: [{ lr: 0.001, betas: [0.9, 0.999], params: [0, 1, 2] }],
      },
    ],
    scheduler_state_dicts: [{ last_epoch: 3 + v, _step_count: 4 + v }],
    epoch: 3 + v,
  };
}

const README = (v: number) =>
  [
    "# MNIST classifier",
    "",
    "A small convolutional network.",
    `Trained for ${3 + v} epochs.`,
    "",
    "## Usage",
    "Load state.pt with torch.load.",
  ].join("\n");

/** Writes one version's files into `dir`. */
async function writeVersion(dir: string, v: 0 | 1): Promise<void> {
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify({ lr: v === 0 ? 0.001 : 0.0005, layers: [784, 128, 10], dropout: 0.1 }),
  );
  await writeFile(join(dir, "README.md"), `${README(v)}\n`);
  const rows = [
    "epoch,loss,accuracy",
    ...Array.from(
      { length: 3 + v },
      (_, e) => `${e + 1},${(1 / (e + 2)).toFixed(4)},${(0.8 + e * 0.04).toFixed(2)}`,
    ),
  ];
  await writeFile(join(dir, "metrics.csv"), `${rows.join("\n")}\n`);
  await mkdir(join(dir, "samples"), { recursive: true });
  await writeFile(join(dir, "samples", "digit.png"), gradientPng(64, 48));
  if (v === 0) await writeFile(join(dir, "notes-old.txt"), "removed in v1\n");
  else await writeFile(join(dir, "CHANGELOG.txt"), "v1: lower learning rate, fc2 added\n");
  await saveCheckpoint(join(dir, "state.pt"), checkpointTree(v));
  await saveSafetensors(join(dir, "weights.safetensors"), checkpointTree(v).model, {
    metadata: { format: "pt" },
  });
}

/** Logs the fixture artifacts into `manager`'s store. */
export async function fillStore(manager: ArtifactManager): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "ui-fixture-"));
  try {
    for (const v of [0, 1] as const) {
      const dir = join(root, `v${v}`);
      await mkdir(dir);
      await writeVersion(dir, v);
      await manager.logFiles("mnist-classifier", dir, {
        collection: "models",
        description: v === 0 ? "first training run" : "lower learning rate",
        metadata: {
          accuracy: v === 0 ? 0.88 : 0.91,
          run: `run-${v + 1}`,
          provenance: { git: `abc12${v}`, dataset: "mnist:v0" },
        },
      });
    }
    await manager.setAlias("mnist-classifier", "best", { collection: "models", version: "v0" });
    await manager.setAlias("mnist-classifier", "production", { collection: "models", version: "v0" });
    const data = join(root, "data");
    await mkdir(data);
    await writeFile(join(data, "train.csv"), 'text,label\n"hello, world",1\nbye,0\n');
    await manager.logFiles("wiki-sample", data, {
      collection: "datasets",
      description: "a tiny text dataset",
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
