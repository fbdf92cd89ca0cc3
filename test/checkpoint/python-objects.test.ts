/**
 * Common Python objects training code stores (issue 23.4): defaultdict, Counter, pathlib paths,
 * datetime/date/timedelta/timezone, complex, bytearray — read as inert plain data from files torch 2.13
 * writes; one of them in a file must not make the rest unreadable; a re-save loads in torch 2.13.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint, type Tensor } from "../../src/checkpoint/index.js";
import { PyFloat, Tuple } from "../../src/checkpoint/values.js";
import { torch2 } from "./torch2.js";

const WRITE = `
import sys, json, torch, collections, pathlib, datetime as dt
tz = dt.timezone(dt.timedelta(hours=-8, minutes=-30))
state = {
  "weights": torch.tensor([1.5, 2.5]),
  "hist": collections.defaultdict(list, {"loss": [0.5, 0.25]}),
  "counts": collections.Counter("abracadabra"),
  "out_dir": pathlib.PosixPath("/runs/exp 1/ckpt"),
  "rel": pathlib.PurePosixPath("logs/a"),
  "win": pathlib.PureWindowsPath("C:/Users/x/run"),
  "unc": pathlib.PureWindowsPath("//server/share/dir/f.txt"),
  "started": dt.datetime(2024, 2, 29, 23, 59, 58, 123),
  "started_utc": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
  "started_pst": dt.datetime(1999, 12, 31, 0, 0, 0, 999999, tzinfo=tz),
  "folded": dt.datetime(2024, 11, 3, 1, 30, fold=1),
  "day": dt.date(2, 1, 9),
  "elapsed": dt.timedelta(days=1, seconds=2, microseconds=3),
  "negative": dt.timedelta(days=-2, hours=5),
  "whole": dt.timedelta(minutes=3),
  "z": 1.5 - 2j, "z_int": complex(3, 0),
  "buf": bytearray(b"\\x00\\xffab"), "empty_buf": bytearray(),
}
torch.save(state, sys.argv[1])
print(json.dumps({
  "hist": dict(state["hist"]), "counts": dict(state["counts"]),
  "paths": [str(state[k]) for k in ["out_dir", "rel", "win", "unc"]],
  "times": [state[k].isoformat() for k in ["started", "started_utc", "started_pst", "folded", "day"]],
  "deltas": [state[k].total_seconds() for k in ["elapsed", "negative", "whole"]],
  "buf": list(state["buf"]),
}))
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "python-objects-"));
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

it("reads defaultdict, Counter, paths, datetimes, timedeltas, complex and bytearray as plain data", async () => {
  const file = join(dir, "objects.pt");
  const want = JSON.parse(await torch2(WRITE, [file])) as {
    hist: unknown;
    counts: unknown;
    paths: string[];
    times: string[];
    deltas: number[];
    buf: number[];
  };
  const s = (await loadCheckpoint(file)) as Record<string, unknown>;
  expect((s.weights as Tensor).toArray()).toEqual([1.5, 2.5]); // the rest of the file is there
  expect(s.hist).toEqual(want.hist);
  expect(s.counts).toEqual(want.counts);
  expect([s.out_dir, s.rel, s.win, s.unc]).toEqual(want.paths);
  expect([s.started, s.started_utc, s.started_pst, s.folded, s.day]).toEqual(want.times);
  expect([s.elapsed, s.negative, s.whole].map(Number)).toEqual(want.deltas);
  expect(s.whole).toBeInstanceOf(PyFloat); // total_seconds() is a float
  expect(s.z).toBeInstanceOf(Tuple);
  expect((s.z as Tuple).map(Number)).toEqual([1.5, -2]);
  expect((s.z_int as Tuple).map(Number)).toEqual([3, 0]);
  expect([...(s.buf as Uint8Array)]).toEqual(want.buf);
  expect(s.empty_buf).toEqual(new Uint8Array(0));

  // Saved back as the plain values they became; torch 2.13's default loader reads it.
  const resaved = join(dir, "resaved.pt");
  await saveCheckpoint(resaved, s as Record<string, never>);
  const back = await torch2(
    `
import sys, torch
s = torch.load(sys.argv[1])
print(s["out_dir"], s["started_pst"], s["elapsed"], s["counts"]["a"], s["weights"].tolist())
`,
    [resaved],
  );
  expect(back.trim()).toBe(`${want.paths[0]} ${want.times[2]} ${want.deltas[0]} 5 [1.5, 2.5]`);
}, 180_000);
