import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadCheckpoint, loadSafetensors } from "../../src/checkpoint/index.js";
import { pickleCheckpoint } from "../../src/checkpoint/torch-pickler.js";
import { isArtifactError } from "../../src/errors.js";
import { checkpointWith, evilPickle, shortStorageCheckpoint, tensorCheckpoint, zipOf } from "./craft.js";
import { FIXTURES_DIR } from "./fixture-json.js";

const invalid = { code: "CHECKPOINT_INVALID" };

/** Loads and reports only how it ended: "ok" or the error code (anything else is a bug). */
async function outcome(bytes: Uint8Array, load = loadCheckpoint as (b: Uint8Array) => Promise<unknown>) {
  try {
    await load(bytes);
    return "ok";
  } catch (error) {
    if (isArtifactError(error)) return error.code;
    throw error;
  }
}

describe("untrusted checkpoints", () => {
  it("rejects a call to a global that is not on the allow-list", async () => {
    await expect(loadCheckpoint(await checkpointWith(evilPickle()))).rejects.toMatchObject(invalid);
  });

  it("rejects a shape far larger than its storage without allocating it", async () => {
    await expect(loadCheckpoint(await tensorCheckpoint([2 ** 40], [1], 0))).rejects.toMatchObject(invalid);
    await expect(loadCheckpoint(await tensorCheckpoint([2 ** 30, 2 ** 30], [0, 0], 0))).rejects.toMatchObject(
      invalid,
    );
  });

  it("rejects offsets and strides that run past the storage", async () => {
    await expect(loadCheckpoint(await tensorCheckpoint([2], [1], 11))).rejects.toMatchObject(invalid);
    await expect(loadCheckpoint(await tensorCheckpoint([3, 4], [5, 1], 0))).rejects.toMatchObject(invalid);
    expect(await outcome(await tensorCheckpoint([3, 4], [4, 1], 0))).toBe("ok");
  });

  it("rejects a storage record shorter than its declared size", async () => {
    await expect(loadCheckpoint(await shortStorageCheckpoint(40))).rejects.toMatchObject(invalid);
  });

  it("reads torch 2.x's extra records and refuses big-endian files", async () => {
    const text = (t: string) => new TextEncoder().encode(t);
    const { pickle } = pickleCheckpoint({ a: 1 });
    const records = (order: string): [string, Uint8Array][] => [
      ["data.pkl", pickle],
      [".format_version", text("1")],
      [".storage_alignment", text("64")],
      ["byteorder", text(order)],
      ["version", text("3\n")],
      [".data/serialization_id", text("1234567890123456789012345678901234567890")],
    ];
    expect(await loadCheckpoint(await zipOf(records("little")))).toEqual({ a: 1 });
    await expect(loadCheckpoint(await zipOf(records("big")))).rejects.toMatchObject({ code: "UNSUPPORTED" });
  });

  it("rejects a zip that is not a torch.save file", async () => {
    const text = new TextEncoder().encode("x");
    await expect(loadCheckpoint(await zipOf([["version", text]]))).rejects.toMatchObject(invalid);
    await expect(loadCheckpoint(await zipOf([["constants.pkl", text]]))).rejects.toMatchObject({
      code: "UNSUPPORTED",
    });
    await expect(loadCheckpoint(new TextEncoder().encode("hello world"))).rejects.toMatchObject(invalid);
  });

  it("rejects every truncation of a checkpoint", async () => {
    const bytes = await readFile(`${FIXTURES_DIR}a_flat_state_dict.pt`);
    for (let cut = 0; cut < bytes.byteLength; cut += 7) {
      expect(await outcome(bytes.subarray(0, cut))).toBe("CHECKPOINT_INVALID");
    }
  });

  it("rejects every truncation of a legacy checkpoint", async () => {
    const bytes = await readFile(`${FIXTURES_DIR}h_legacy.pt`);
    for (let cut = 0; cut < bytes.byteLength - 1; cut += 3) {
      expect(await outcome(bytes.subarray(0, cut))).toBe("CHECKPOINT_INVALID");
    }
  });

  it("never crashes, hangs or throws anything but CHECKPOINT_INVALID on corrupted bytes (fuzz)", async () => {
    const files = await Promise.all(
      ["a_flat_state_dict", "d_nested", "e_model_logger_module", "h_legacy"].map((n) =>
        readFile(`${FIXTURES_DIR}${n}.pt`),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: files.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        async (which, edits) => {
          const bytes = Uint8Array.from(files[which] as Uint8Array);
          for (const [at, value] of edits) bytes[at % bytes.byteLength] = value;
          expect(["ok", "CHECKPOINT_INVALID", "UNSUPPORTED"]).toContain(await outcome(bytes));
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it("rejects corrupted safetensors headers (fuzz)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        async (rest, len) => {
          const bytes = new Uint8Array(8 + rest.byteLength);
          new DataView(bytes.buffer).setBigUint64(0, len, true);
          bytes.set(rest, 8);
          expect(["ok", "CHECKPOINT_INVALID"]).toContain(await outcome(bytes, loadSafetensors));
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});
