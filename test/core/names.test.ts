import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatVersion,
  parseVersion,
  validateAlias,
  validateArtifactName,
  validateArtifactPath,
  validateCollection,
} from "../../src/core/names.js";
import { isArtifactError } from "../../src/errors.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return isArtifactError(error) ? error.code : "NOT_AN_ARTIFACT_ERROR";
  }
}

describe("name and path rules", () => {
  it("artifact paths: accepted paths are relative and clean, everything else is INVALID_ARGUMENT", () => {
    const segment = fc.constantFrom("a", "b.txt", "..", ".", "", "ü", "x y", "\\", "\0");
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), fc.boolean(), (segments, absolute) => {
        const path = (absolute ? "/" : "") + segments.join("/");
        let result: string | undefined;
        const code = codeOf(() => {
          result = validateArtifactPath(path);
        });
        if (code !== undefined) {
          expect(code).toBe("INVALID_ARGUMENT");
        } else {
          expect(result?.startsWith("/")).toBe(false);
          for (const part of (result as string).split("/")) {
            expect(["", ".", ".."]).not.toContain(part);
            expect(part).not.toMatch(/[\\\0]/);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("collections follow scaffold's rule and names never contain '/' or start with '.'", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        const collectionOk = codeOf(() => validateCollection(name)) === undefined;
        expect(collectionOk).toBe(/^[a-zA-Z0-9\-_:]+$/.test(name));
        const nameOk = codeOf(() => validateArtifactName(name)) === undefined;
        if (nameOk) expect(name.includes("/") || name.startsWith(".") || name === "").toBe(false);
        else expect(codeOf(() => validateArtifactName(name))).toBe("INVALID_NAME");
      }),
      { numRuns: 3000 },
    );
    expect(codeOf(() => validateAlias("latest"))).toBe("INVALID_NAME");
    expect(codeOf(() => validateAlias("v12"))).toBe("INVALID_NAME");
    expect(codeOf(() => validateAlias("best"))).toBeUndefined();
  });

  it("aliases that version selectors would shadow are rejected (latest, v<N>, digits only)", () => {
    for (const alias of ["latest", "v0", "v007", "0", "007", "42"])
      expect(
        codeOf(() => validateAlias(alias)),
        alias,
      ).toBe("INVALID_NAME");
    for (const alias of ["best", "v1-best", "1st", "2024-run", "0x1", "v"])
      expect(
        codeOf(() => validateAlias(alias)),
        alias,
      ).toBeUndefined();
  });

  it("versions round-trip and reject leading zeros", () => {
    fc.assert(
      fc.property(fc.nat(), (n) => {
        expect(parseVersion(formatVersion(n))).toBe(n);
      }),
    );
    expect(parseVersion("v01")).toBeUndefined();
    expect(parseVersion("latest")).toBeUndefined();
  });
});
