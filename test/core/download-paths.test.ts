/** The `paths` option rules: validation and picking files out of a version. */
import { describe, expect, it } from "vitest";
import { pickDownloadFiles, validateDownloadPaths } from "../../src/core/download-paths.js";
import { isArtifactError } from "../../src/errors.js";

const subject = { name: "art", collection: "default", version: "v2" };
const files = [{ path: "a.txt" }, { path: "d/b.txt" }, { path: "d/c.txt" }];

describe("validateDownloadPaths", () => {
  it("keeps undefined, normalises and de-duplicates", () => {
    expect(validateDownloadPaths(undefined)).toBeUndefined();
    expect(validateDownloadPaths(["./d/b.txt", "d/b.txt", "a.txt"])).toEqual(["d/b.txt", "a.txt"]);
  });

  it("rejects non-arrays, empty arrays and bad paths with INVALID_ARGUMENT", () => {
    for (const bad of [null, "a.txt", [], [""], ["../a"], ["/a"], ["a//b"], [1]]) {
      expect(() => validateDownloadPaths(bad)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
  });
});

describe("pickDownloadFiles", () => {
  it("returns every file without paths and the chosen ones in the version's order with paths", () => {
    expect(pickDownloadFiles(files, undefined, (f) => f.path, subject)).toEqual(files);
    expect(pickDownloadFiles(files, ["d/c.txt", "a.txt"], (f) => f.path, subject)).toEqual([
      { path: "a.txt" },
      { path: "d/c.txt" },
    ]);
  });

  it("throws NOT_FOUND naming the version and the missing path (a folder is not a file)", () => {
    for (const paths of [["a.txt", "nope.txt"], ["d"]]) {
      try {
        pickDownloadFiles(files, paths, (f) => f.path, subject);
        expect.unreachable();
      } catch (error) {
        expect(isArtifactError(error, "NOT_FOUND")).toBe(true);
        expect(isArtifactError(error) && error.context).toMatchObject({ ...subject, key: paths.at(-1) });
      }
    }
  });
});
