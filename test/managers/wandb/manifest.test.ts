/** The digest examples worked out in PROTOCOL.md section 3.3-3.5, and code point ordering. */
import { describe, expect, it } from "vitest";
import {
  artifactDigest,
  buildManifest,
  md5Base64,
  parseManifest,
  serializeManifest,
} from "../../../src/managers/wandb/manifest.js";
import { compareCodePoints } from "../../../src/util/compare.js";

describe("W&B digests (PROTOCOL.md 3.5)", () => {
  it("empty artifact", () => {
    expect(artifactDigest([])).toBe("64e7c61456b10382e2f3b571ac24b659");
  });

  it("SDK test vector: file1.txt / great-file.txt containing 'hello'", () => {
    const digest = md5Base64("hello");
    expect(digest).toBe("XUFAKrxLKna5cZ2REBfFkg==");
    expect(artifactDigest([{ path: "file1.txt", digest }])).toBe("a00c2239f036fb656c1dcbf9a32d89b4");
    expect(artifactDigest([{ path: "great-file.txt", digest }])).toBe("585b9ada17797e37c9cbab391e69b8c5");
  });

  it("two files: entry digests, artifact digest (sorted by path) and manifest digest", () => {
    const hello = { path: "hello.txt", digest: md5Base64("hello world\n"), size: 12 };
    const csv = { path: "data/a.csv", digest: md5Base64("a,b\n1,2\n"), size: 8 };
    expect(hello.digest).toBe("b1kCrCNwJL3QwXbLkwY9xA==");
    expect(csv.digest).toBe("5evUwCzvvnlVl3xnraJCtw==");
    expect(artifactDigest([hello, csv])).toBe("3416a8b8a1e25fd2f8ce8e05b9f0af9d");
    const { bytes, digest } = serializeManifest(buildManifest([hello, csv]));
    expect(bytes.toString("utf8")).toBe(
      '{"version":1,"storagePolicy":"wandb-storage-policy-v1","storagePolicyConfig":{"storageLayout":"V2"},"contents":{"data/a.csv":{"digest":"5evUwCzvvnlVl3xnraJCtw==","size":8},"hello.txt":{"digest":"b1kCrCNwJL3QwXbLkwY9xA==","size":12}}}',
    );
    expect(digest).toBe("88iFuDfPCtwhWaJlFMRhRw==");
  });

  it("sorts by code point, not UTF-16 units (above U+FFFF)", () => {
    const astral = "\u{1F600}.txt"; // surrogate pair 0xD83D… sorts before U+FF61 in UTF-16
    const halfwidth = "\uFF61.txt";
    expect([astral, halfwidth].sort()).toEqual([astral, halfwidth]);
    expect([astral, halfwidth].sort(compareCodePoints)).toEqual([halfwidth, astral]);
    const a = artifactDigest([
      { path: astral, digest: "x" },
      { path: halfwidth, digest: "y" },
    ]);
    const b = artifactDigest([
      { path: halfwidth, digest: "y" },
      { path: astral, digest: "x" },
    ]);
    expect(a).toBe(b);
  });

  it("parseManifest keeps entries, ignores unknown keys and refuses other versions", () => {
    const text = JSON.stringify({
      version: 1,
      storagePolicy: "wandb-storage-policy-v1",
      storagePolicyConfig: {},
      contents: {
        "a.txt": { digest: "XUFAKrxLKna5cZ2REBfFkg==", size: 5, local_path: "/x", skip_cache: false },
      },
    });
    expect(parseManifest(text, "v0").contents["a.txt"]?.digest).toBe("XUFAKrxLKna5cZ2REBfFkg==");
    expect(() => parseManifest(text.replace('"version":1', '"version":2'), "v0")).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED" }),
    );
    expect(() => parseManifest("not json", "v0")).toThrow(expect.objectContaining({ code: "UNEXPECTED" }));
  });
});
