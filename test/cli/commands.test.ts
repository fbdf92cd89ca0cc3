import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMetadata } from "../../src/cli/commands/log.js";
import { digestColumn } from "../../src/cli/commands/show.js";
import { parseRef } from "../../src/cli/ref.js";
import { isArtifactError } from "../../src/index.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isArtifactError(error) ? error.code : "not an ArtifactError";
  }
  return undefined;
}

describe("parseRef", () => {
  it("splits NAME:VERSION and turns digits into a number", () => {
    expect(parseRef("m")).toEqual({ name: "m", version: undefined });
    expect(parseRef("m:v3")).toEqual({ name: "m", version: "v3" });
    expect(parseRef("m:3")).toEqual({ name: "m", version: 3 });
    expect(parseRef("m:best")).toEqual({ name: "m", version: "best" });
  });

  it("rejects bad names and empty versions with a code", () => {
    expect(codeOf(() => parseRef("bad/name"))).toBe("INVALID_NAME");
    expect(codeOf(() => parseRef(":v1"))).toBe("INVALID_NAME");
    expect(codeOf(() => parseRef("m:"))).toBe("INVALID_ARGUMENT");
  });

  it("round-trips any valid name and alias (property)", () => {
    const name = fc.stringMatching(/^[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,20}$/);
    fc.assert(
      fc.property(name, name, (n, v) => {
        const ref = parseRef(`${n}:${v}`);
        expect(ref.name).toBe(n);
        expect(String(ref.version)).toBe(/^[0-9]+$/.test(v) ? String(Number(v)) : v);
      }),
    );
  });
});

describe("parseMetadata", () => {
  it("parses JSON values and keeps other text as strings", () => {
    expect(
      parseMetadata(["lr=0.001", "epochs=10", "ok=true", "tags=[1,2]", "opt=adam", "zip=007", "eq=a=b"]),
    ).toEqual({
      lr: 0.001,
      epochs: 10,
      ok: true,
      tags: [1, 2],
      opt: "adam",
      zip: "007",
      eq: "a=b",
    });
  });

  it("rejects a pair without a key", () => {
    expect(codeOf(() => parseMetadata(["novalue"]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => parseMetadata(["=1"]))).toBe("INVALID_ARGUMENT");
  });
});

describe("show's digest column", () => {
  const sha = "ab".repeat(32);
  it("shows the sha256 when files have one, the md5 when they only have that, '-' otherwise", () => {
    const filesystem = digestColumn([{ path: "a", size: 1, sha256: sha }]);
    expect([filesystem.header, filesystem.value({ path: "a", size: 1, sha256: sha })]).toEqual([
      "SHA256",
      sha.slice(0, 16),
    ]);
    const wandb = digestColumn([{ path: "a", size: 1, md5: "q83vEjRWeJA=" }]);
    expect([wandb.header, wandb.value({ path: "a", size: 1, md5: "q83vEjRWeJA=" })]).toEqual([
      "MD5",
      "q83vEjRWeJA=",
    ]);
    const none = digestColumn([{ path: "a", size: 1 }]);
    expect([none.header, none.value({ path: "a", size: 1 })]).toEqual(["SHA256", "-"]);
    const mixed = digestColumn([
      { path: "a", size: 1, sha256: sha },
      { path: "b", size: 1, md5: "x" },
    ]);
    expect(mixed.value({ path: "b", size: 1, md5: "x" })).toBe("md5:x");
  });
});
