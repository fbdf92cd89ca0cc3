/** include/exclude globs of a log: .gitignore's rules over relative POSIX paths. */
import { describe, expect, it } from "vitest";
import { createPathFilter, matchesGlob } from "../../src/core/path-filter.js";

describe("matchesGlob", () => {
  it.each([
    // a pattern without '/' matches a name in any folder
    ["*.tmp", "a.tmp", true],
    ["*.tmp", "deep/er/a.tmp", true],
    ["*.tmp", "a.tmpx", false],
    [".DS_Store", "x/.DS_Store", true],
    ["*.txt", "a.txt/inner.bin", true], // a matched folder takes its contents
    // '*' and '?' stop at '/', '**' does not
    ["weights/*.pt", "weights/model.pt", true],
    ["weights/*.pt", "weights/old/model.pt", false],
    ["weights/**/*.pt", "weights/model.pt", true],
    ["weights/**/*.pt", "weights/a/b/model.pt", true],
    ["**/cache", "x/y/cache/file", true],
    ["w?ights/m.pt", "weights/m.pt", true],
    ["w?ights/m.pt", "w/ights/m.pt", false],
    ["data/**", "data/a/b", true],
    ["data/**", "database/a", false],
    // a folder pattern matches everything under it
    ["logs", "logs/run1/out.txt", true],
    ["data/raw", "data/raw/x.csv", true],
    ["data/raw", "data/rawer/x.csv", false],
    ["./data/raw/", "data/raw/x.csv", true],
    // sets and braces
    ["part-[0-9].bin", "part-7.bin", true],
    ["part-[!0-9].bin", "part-x.bin", true],
    ["part-[!0-9].bin", "part-7.bin", false],
    ["*.{pt,safetensors}", "m/model.safetensors", true],
    ["*.{pt,safetensors}", "m/model.bin", false],
    // regex characters are literal
    ["a+b(1).txt", "a+b(1).txt", true],
    ["a.txt", "abtxt", false],
  ])("%s vs %s → %s", (glob, path, expected) => {
    expect(matchesGlob(path, glob)).toBe(expected);
  });

  it("refuses a broken glob with INVALID_ARGUMENT naming the option", () => {
    for (const glob of ["[abc", "{a,b", ""]) {
      expect(() => createPathFilter({ exclude: [glob] })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining("exclude") }),
      );
    }
    expect(() => createPathFilter({ include: "*.pt" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("createPathFilter", () => {
  it("keeps files matching an include and no exclude (exclude wins); nothing to filter is undefined", () => {
    const keep = createPathFilter({ include: ["*.pt", "config.json"], exclude: ["old/**"] });
    const paths = ["model.pt", "old/model.pt", "config.json", "notes.txt", "sub/config.json"];
    expect(paths.filter((p) => keep?.(p))).toEqual(["model.pt", "config.json", "sub/config.json"]);
    expect(createPathFilter({})).toBeUndefined();
    expect(createPathFilter({ include: [], exclude: [] })).toBeUndefined();
  });
});
