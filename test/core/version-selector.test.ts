import { describe, expect, it } from "vitest";
import { parseVersionSelector } from "../../src/core/version-selector.js";

describe("parseVersionSelector", () => {
  it("latest, versions as numbers, 'vN' and digit strings, aliases", () => {
    expect(parseVersionSelector(undefined)).toEqual({ kind: "latest" });
    expect(parseVersionSelector("latest")).toEqual({ kind: "latest" });
    for (const selector of [3, "3", "v3"])
      expect(parseVersionSelector(selector)).toEqual({ kind: "number", n: 3 });
    expect(parseVersionSelector("0")).toEqual({ kind: "number", n: 0 });
    expect(parseVersionSelector("best")).toEqual({ kind: "alias", alias: "best" });
  });

  it("malformed selectors are INVALID_ARGUMENT", () => {
    for (const selector of [-1, 1.5, Number.NaN, "", "007", "v07", null, {}]) {
      expect(() => parseVersionSelector(selector)).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT" }),
      );
    }
  });
});
