import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildRecord, computeArtifactDigest, parseRecord, sortFileEntries } from "../../src/core/record.js";
import { isArtifactError } from "../../src/errors.js";
import { compareCodePoints } from "../../src/util/compare.js";

describe("compareCodePoints", () => {
  it("orders like UTF-8 bytes (and Python's sorted), unlike UTF-16 for astral characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        const expected = Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
        expect(Math.sign(compareCodePoints(a, b))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    expect(compareCodePoints("\u{1F600}", "\uFFFD")).toBeGreaterThan(0);
    expect("\u{1F600}" < "\uFFFD").toBe(true);
  });
});

describe("commit records", () => {
  it("sort files by code point and compute the digest from path, sha256 and size lines", () => {
    const files = [
      { path: "b.txt", size: 3, sha256: "bb" },
      { path: "a/z.txt", size: 1, sha256: "aa" },
      { path: "a-b.txt", size: 2, sha256: "cc" },
    ];
    const record = buildRecord({
      name: "n",
      collection: "c",
      version: "v2",
      files,
      description: "d",
      createdAt: new Date(0),
    });
    expect(record.files.map((f) => f.path)).toEqual(["a-b.txt", "a/z.txt", "b.txt"]);
    const expected = createHash("sha256")
      .update("a-b.txt\tcc\t2\na/z.txt\taa\t1\nb.txt\tbb\t3\n")
      .digest("hex");
    expect(record.digest).toBe(expected);
    expect(computeArtifactDigest(sortFileEntries([...files]))).toBe(expected);
    expect(record).toMatchObject({
      format: 1,
      version: "v2",
      createdAt: "1970-01-01T00:00:00.000Z",
      description: "d",
    });
    expect(parseRecord(JSON.stringify({ ...record, futureKey: 1 }), "k")).toMatchObject({ version: "v2" });
  });

  it("reject malformed records with a clear error", () => {
    for (const text of ["not json", "{}", '{"version":"v1","files":[{"path":1}]}']) {
      const error = (() => {
        try {
          parseRecord(text, "c/n/meta/versions/v1.json");
        } catch (e) {
          return e;
        }
      })();
      expect(isArtifactError(error, "UNEXPECTED")).toBe(true);
    }
  });

  it("reject records whose file paths could leave a download target ('..', absolute, unclean)", () => {
    const bad = ["../../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a/./b", "", "a\\..\\b", "a/"];
    for (const path of bad) {
      const text = JSON.stringify({
        version: "v1",
        files: [
          { path: "ok.txt", size: 1 },
          { path, size: 1 },
        ],
      });
      const error = (() => {
        try {
          parseRecord(text, "c/n/meta/versions/v1.json");
        } catch (e) {
          return e;
        }
      })();
      expect(isArtifactError(error, "UNEXPECTED"), path).toBe(true);
      expect((error as Error).message).toContain("c/n/meta/versions/v1.json");
    }
    const good = JSON.stringify({ version: "v1", files: [{ path: "a/b.txt", size: 1 }] });
    expect(parseRecord(good, "k").files[0]?.path).toBe("a/b.txt");
  });
});
