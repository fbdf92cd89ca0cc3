/**
 * NumPy scalars of every kind training code stores (issue 23.7), as torch 2.13 + numpy 2 pickle them:
 * float16, complex64/128, str_ and bytes_ (both byte orders), next to the kinds read before. Kinds not
 * read (void, datetime64) are UNSUPPORTED naming the dtype, never CHECKPOINT_INVALID.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadCheckpoint, PyFloat, Tuple } from "../../src/checkpoint/index.js";
import { torch2 } from "./torch2.js";

const WRITE = `
import sys, json, torch, numpy as np
values = {
  "f2": np.float16(1.5), "f2_tiny": np.float16(6e-8), "f2_big": np.array([-2.0], dtype=">f2")[0],
  "f2_whole": np.float16(3.0), "f4": np.float32(0.1), "f8": np.float64(2.5),
  "c8": np.complex64(1.5 - 2j), "c16": np.complex128(0.1 + 3j), "c16_be": np.array([1 - 1j], dtype=">c16")[0],
  "u": np.str_("aé😀"), "u_empty": np.str_(""), "u_nul": np.str_("ab\\x00"), "u_be": np.array(["xyz"], dtype=">U4")[0],
  "s": np.bytes_(b"ab\\x00c"), "s_nul": np.bytes_(b"ab\\x00\\x00"), "s_empty": np.bytes_(b""),
  "i8": np.int64(-7), "b1": np.bool_(False),
}
torch.save(values, sys.argv[1])
torch.save({"v": np.void(b"xy")}, sys.argv[2])
torch.save({"t": np.datetime64("2024-01-02")}, sys.argv[3])
def plain(x):
    if isinstance(x, np.complexfloating): return ["complex", float(x.real), float(x.imag)]
    if isinstance(x, np.bytes_): return ["bytes", list(x.item())]
    return x.item()
print(json.dumps({k: plain(v) for k, v in values.items()}))
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "numpy-scalars-"));
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

it("reads float16, complex, str_ and bytes_ numpy scalars as numpy's .item() gives them", async () => {
  const [file, voidFile, timeFile] = ["a.pt", "v.pt", "t.pt"].map((f) => join(dir, f)) as [
    string,
    string,
    string,
  ];
  const want = JSON.parse(await torch2(WRITE, [file, voidFile, timeFile])) as Record<string, unknown>;
  const s = (await loadCheckpoint(file)) as Record<string, unknown>;
  const plain = (v: unknown): unknown => {
    if (v instanceof Tuple) return ["complex", ...v.map(Number)];
    if (v instanceof Uint8Array) return ["bytes", [...v]];
    if (v instanceof PyFloat) return v.value;
    return v;
  };
  expect(Object.fromEntries(Object.entries(s).map(([k, v]) => [k, plain(v)]))).toEqual(want);
  expect(s.f2).toBe(1.5);
  expect(s.f2_whole).toBeInstanceOf(PyFloat); // a float, even when integral
  expect(s.u).toBe("aé😀");
  expect(s.u_be).toBe("xyz");
  expect(s.u_nul).toBe("ab"); // trailing NULs dropped, as numpy does
  expect(s.s).toEqual(new Uint8Array([0x61, 0x62, 0, 0x63]));

  await expect(loadCheckpoint(voidFile)).rejects.toMatchObject({
    code: "UNSUPPORTED",
    message: expect.stringContaining("'V2'"),
  });
  await expect(loadCheckpoint(timeFile)).rejects.toMatchObject({
    code: "UNSUPPORTED",
    message: expect.stringContaining("M8"),
  });
}, 180_000);
