/**
 * The UI's lazy checkpoint reader against the library's full loader, on files written by real torch
 * (test/fixtures/torch: dtypes, strided views, nested trees, ModelLogger files, the legacy format):
 * every tensor's chunks, read by ranges, are exactly the loaded tensor's bytes; statistics and diffs
 * are checked against values computed here.
 */
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fileSource } from "../../src/checkpoint/zip/source.js";
import { loadCheckpoint, saveSafetensors, Tensor } from "../../src/index.js";
import { openCheckpoint, type TensorSlot, walkTree } from "../../src/ui/checkpoint/open-checkpoint.js";
import { differingElements, tensorDifference, tensorStats } from "../../src/ui/checkpoint/tensor-stats.js";
import { redactUrl } from "../../src/ui/format.js";
import { diffLines, hunks } from "../../src/ui/line-diff.js";
import { parseRoute } from "../../src/ui/paths.js";
import { parseCsv } from "../../src/ui/preview.js";
import { torch2 } from "../checkpoint/torch2.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/torch/", import.meta.url));

async function concat(slot: TensorSlot, chunkBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of slot.chunks(chunkBytes)) parts.push(chunk);
  return Buffer.concat(parts);
}

describe("lazy checkpoint reader", () => {
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith(".pt"))) {
    it(`reads every tensor of ${file} exactly as loadCheckpoint does, in small chunks`, async () => {
      const loaded = new Map<string, Tensor>();
      walkTree(await loadCheckpoint(join(FIXTURES, file)), "", (key, value) => {
        if (value instanceof Tensor) loaded.set(key, value);
      });
      const src = await fileSource(join(FIXTURES, file));
      try {
        const opened = await openCheckpoint(src, file);
        expect([...opened.tensors.keys()]).toEqual([...loaded.keys()]);
        for (const [key, tensor] of loaded) {
          const slot = opened.tensors.get(key) as TensorSlot;
          expect(slot.dtype, key).toBe(tensor.dtype);
          expect(slot.shape, key).toEqual(tensor.shape);
          // 24 bytes: several chunks per tensor, each a whole number of elements.
          expect(Buffer.from(await concat(slot, 24)).equals(Buffer.from(tensor.bytes())), key).toBe(true);
        }
      } finally {
        await src.close();
      }
    });
  }

  it("applies conj and neg views (torch 2.13) as loadCheckpoint does, never the raw storage", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ui-views-"));
    const file = join(dir, "views.pt");
    try {
      await torch2(
        `import sys, torch
x = torch.tensor([1+2j, -3-4j, 0.5-0j], dtype=torch.complex64)
y = torch.tensor([[1.5, -2.0], [0.25, 8.0]], dtype=torch.float16)
torch.save({"conj": x.conj(), "neg_t": torch._neg_view(y).t(), "plain": x}, sys.argv[1])`,
        [file],
      );
      const loaded = new Map<string, Tensor>();
      walkTree(await loadCheckpoint(file), "", (key, value) => {
        if (value instanceof Tensor) loaded.set(key, value);
      });
      const src = await fileSource(file);
      try {
        const opened = await openCheckpoint(src, "views.pt");
        for (const [key, tensor] of loaded) {
          const slot = opened.tensors.get(key) as TensorSlot;
          expect(Buffer.from(await concat(slot, 4)).equals(Buffer.from(tensor.bytes())), key).toBe(true);
        }
        // The conj view's imaginary parts come out negated: -2 for 1+2j.
        const conjBytes = new Uint8Array(await concat(opened.tensors.get("conj") as TensorSlot, 8)); // own buffer
        const conj = new Float32Array(conjBytes.buffer);
        expect([...conj.subarray(0, 2)]).toEqual([1, -2]);
      } finally {
        await src.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("computes statistics and differences chunk by chunk (safetensors)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ui-ckpt-"));
    try {
      const a = Float32Array.from({ length: 1000 }, (_, i) => i - 500);
      const b = a.slice();
      b[3] = Number.NaN;
      b[999] = 1000;
      b[10] = -490 + 0.5;
      await saveSafetensors(join(dir, "a.safetensors"), {
        w: new Tensor({ dtype: "float32", shape: [10, 100], data: a }),
      });
      await saveSafetensors(join(dir, "b.safetensors"), {
        w: new Tensor({ dtype: "float32", shape: [10, 100], data: b }),
      });
      const [sa, sb] = await Promise.all([
        fileSource(join(dir, "a.safetensors")),
        fileSource(join(dir, "b.safetensors")),
      ]);
      const [ca, cb] = await Promise.all([
        openCheckpoint(sa, "a.safetensors"),
        openCheckpoint(sb, "b.safetensors"),
      ]);
      const wa = ca.tensors.get("w") as TensorSlot;
      const wb = cb.tensors.get("w") as TensorSlot;
      expect(await tensorStats(wb)).toEqual({
        count: 1000,
        min: -500,
        max: 1000,
        mean: (499 * 500 - 500 * 500 + 1000 - 499 + 0.5 + 497) / 999,
        nan: 1,
        inf: 0,
      });
      expect(await tensorDifference(wa, wb)).toEqual({ maxAbs: 501, differing: 3, nanMismatch: 1 });
      // complex64: no statistics, but differing elements are counted from the bytes.
      const za = Float32Array.from({ length: 8 }, (_, i) => i);
      const zb = za.slice();
      zb[5] = -1; // the imaginary part of element 2
      await saveSafetensors(join(dir, "za.safetensors"), {
        z: new Tensor({ dtype: "complex64", shape: [4], data: za }),
      });
      await saveSafetensors(join(dir, "zb.safetensors"), {
        z: new Tensor({ dtype: "complex64", shape: [4], data: zb }),
      });
      const [sza, szb] = await Promise.all([
        fileSource(join(dir, "za.safetensors")),
        fileSource(join(dir, "zb.safetensors")),
      ]);
      const [oza, ozb] = await Promise.all([
        openCheckpoint(sza, "za.safetensors"),
        openCheckpoint(szb, "zb.safetensors"),
      ]);
      expect(
        await differingElements(oza.tensors.get("z") as TensorSlot, ozb.tensors.get("z") as TensorSlot),
      ).toBe(1);
      await Promise.all([sza.close(), szb.close()]);
      await Promise.all([sa.close(), sb.close()]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("UI pieces", () => {
  it("routes decode names segment by segment and refuse traversal", () => {
    expect(parseRoute("/c/models/a/m/v/v1/files/a%20b/c.txt")).toEqual({
      page: "file",
      collection: "models",
      name: "m",
      version: "v1",
      path: "a b/c.txt",
    });
    for (const bad of [
      "/files/..%2f..%2fetc%2fpasswd",
      "/c/m/a/n/v/v1/files/..%2fx",
      "/c/m/a/n/v/v1/raw/../x",
      "/c/m/a/n/v/v1/raw/%2e%2e/x",
      "/c/m/a/n/v/v1/raw/a%5cb",
      "/c/%E0%A4%A/a/x",
      "/c/m/a/n/v/v1/files/",
    ]) {
      expect(parseRoute(bad), bad).toBeUndefined();
    }
  });

  it("line diffs: minimal edits in hunks", () => {
    const lines = diffLines(["a", "b", "c", "d"], ["a", "x", "c", "d", "e"]) ?? [];
    expect(lines.map((l) => `${l.op}${l.text}`)).toEqual([" a", "-b", "+x", " c", " d", "+e"]);
    const long = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const changed = long.map((l, i) => (i === 10 ? "changed" : l));
    expect(hunks(diffLines(long, changed) ?? [], 1).map((l) => (l === null ? null : l.text))).toEqual([
      null,
      "l9",
      "l10",
      "changed",
      "l11",
      null,
    ]);
  });

  it("CSV with quotes, and store URLs without secrets", () => {
    expect(parseCsv('a,b\n"x, ""y""",2\r\nz,3', 10)).toEqual([
      ["a", "b"],
      ['x, "y"', "2"],
      ["z", "3"],
    ]);
    expect(redactUrl("https://acct.blob.core.windows.net/c/p?sv=2024&sig=SECRET")).toBe(
      "https://acct.blob.core.windows.net/c/p",
    );
    expect(redactUrl("s3://key:secret@bucket/prefix")).not.toContain("secret");
    expect(redactUrl("./artifacts")).toBe("./artifacts");
  });
});
