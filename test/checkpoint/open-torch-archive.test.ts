/**
 * `loadCheckpoint` and the UI's lazy `openCheckpoint` open a torch.save zip with the same function
 * (openTorchArchive): the same files are refused with the same errors, the same inflate budget applies.
 */
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/checkpoint/index.js";
import { pickleCheckpoint } from "../../src/checkpoint/torch-pickler.js";
import { bytesSource } from "../../src/checkpoint/zip/source.js";
import { openCheckpoint } from "../../src/ui/checkpoint/open-checkpoint.js";
import { zipOf } from "./craft.js";
import { deflatedCheckpoint } from "./hostile.js";

const text = (t: string) => new TextEncoder().encode(t);

/** The outcome of both readers on `bytes` (all tensors read): the error code and message, or "ok". */
async function bothOutcomes(bytes: Uint8Array): Promise<string[]> {
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => "ok",
      (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
    );
  return Promise.all([
    outcome(loadCheckpoint(bytes)),
    // The UI reads a storage when its chunks are asked for: ask for every one.
    outcome(
      openCheckpoint(bytesSource(bytes), "state.pt").then(async (opened) => {
        for (const slot of opened.tensors.values()) for await (const _ of slot.chunks());
      }),
    ),
  ]);
}

describe("openTorchArchive, shared by loadCheckpoint and the UI", () => {
  const { pickle } = pickleCheckpoint({ a: 1 });
  const cases: [string, () => Promise<Uint8Array> | Uint8Array, RegExp][] = [
    [
      "a valid checkpoint",
      () =>
        zipOf([
          ["data.pkl", pickle],
          ["version", text("3\n")],
        ]),
      /^ok$/,
    ],
    [
      "a TorchScript archive",
      () =>
        zipOf([
          ["data.pkl", pickle],
          ["constants.pkl", pickle],
          ["version", text("3\n")],
        ]),
      /^UNSUPPORTED: .*TorchScript/,
    ],
    ["no data.pkl", () => zipOf([["version", text("3\n")]]), /^CHECKPOINT_INVALID: .*data\.pkl' is missing/],
    ["no version record", () => zipOf([["data.pkl", pickle]]), /^CHECKPOINT_INVALID: .*version' is missing/],
    [
      "a big-endian file",
      () =>
        zipOf([
          ["data.pkl", pickle],
          ["byteorder", text("big")],
          ["version", text("3\n")],
        ]),
      /^UNSUPPORTED: .*big-endian/,
    ],
    [
      "deflated records over the inflate budget (16 x the file size)",
      () => deflatedCheckpoint(2, 4, false),
      /^CHECKPOINT_INVALID: .*maxInflateRatio/,
    ],
  ];
  for (const [name, build, expected] of cases) {
    it(`gives the same outcome for ${name}`, async () => {
      const [loaded, opened] = await bothOutcomes(await build());
      expect(loaded).toMatch(expected);
      expect(opened).toBe(loaded);
    });
  }
});
