import { describe, expect, it } from "vitest";
import { diffRecords } from "../../src/core/diff.js";
import { buildRecord } from "../../src/core/record.js";

describe("diffRecords", () => {
  it("reports added, removed and changed files", () => {
    const a = buildRecord({
      name: "n",
      collection: "c",
      version: "v0",
      files: [
        { path: "same.txt", size: 1, sha256: "s" },
        { path: "gone.txt", size: 2, sha256: "g" },
        { path: "edited.txt", size: 3, sha256: "e1" },
      ],
    });
    const b = buildRecord({
      name: "n",
      collection: "c",
      version: "v1",
      files: [
        { path: "same.txt", size: 1, sha256: "s" },
        { path: "edited.txt", size: 3, sha256: "e2" },
        { path: "new.txt", size: 4, sha256: "n" },
      ],
    });
    const diff = diffRecords(a, b);
    expect(diff.added.map((f) => f.path)).toEqual(["new.txt"]);
    expect(diff.removed.map((f) => f.path)).toEqual(["gone.txt"]);
    expect(diff.changed.map((f) => [f.path, f.before.sha256, f.after.sha256])).toEqual([
      ["edited.txt", "e1", "e2"],
    ]);
    expect(diff.unchanged).toBe(1);
    expect(diff.sameDigest).toBe(false);
    expect(diffRecords(a, a)).toMatchObject({
      added: [],
      removed: [],
      changed: [],
      unchanged: 3,
      sameDigest: true,
    });
  });

  it("compares W&B files by md5 when they have no sha256, and references by where they point", () => {
    const record = (
      version: string,
      files: { path: string; size: number; md5?: string; ref?: string }[],
    ) => ({
      format: 1 as const,
      name: "n",
      collection: "c",
      version,
      files,
    });
    const a = record("v0", [
      { path: "same.txt", size: 3, md5: "m1" },
      { path: "edited.txt", size: 3, md5: "m1" },
      { path: "ref.bin", size: 9, ref: "s3://b/one" },
      { path: "moved.bin", size: 9, ref: "s3://b/one" },
    ]);
    const b = record("v1", [
      { path: "same.txt", size: 3, md5: "m1" },
      { path: "edited.txt", size: 3, md5: "m2" },
      { path: "ref.bin", size: 9, ref: "s3://b/one" },
      { path: "moved.bin", size: 9, ref: "s3://b/two" },
    ]);
    const diff = diffRecords(a, b);
    expect(diff.changed.map((f) => f.path)).toEqual(["edited.txt", "moved.bin"]);
    expect(diff.unchanged).toBe(2);
  });

  it("compares legacy files (no sha256) by size", () => {
    const legacy = {
      format: 1 as const,
      name: "n",
      collection: "c",
      version: "v0",
      files: [{ path: "x", size: 5 }],
      legacy: true,
    };
    const ours = buildRecord({
      name: "n",
      collection: "c",
      version: "v1",
      files: [{ path: "x", size: 5, sha256: "h" }],
    });
    expect(diffRecords(legacy, ours)).toMatchObject({ changed: [], unchanged: 1, sameDigest: false });
  });
});
