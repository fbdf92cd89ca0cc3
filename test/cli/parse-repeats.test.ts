/** A single-value option given twice is a usage error (it silently kept the last); typos get "did you mean". */
import { expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/index.js";
import { parseCommandLine } from "../../src/cli/parse.js";
import { UsageError } from "../../src/cli/usage-error.js";

const parse = (...argv: string[]) => parseCommandLine(argv, COMMANDS);

it("refuses a single-value option given twice", () => {
  expect(() => parse("log", "a", "art", "--description", "one", "--description", "two")).toThrow(UsageError);
  expect(() => parse("log", "a", "art", "-d", "one", "--description", "two")).toThrow(
    /option '--description' of 'log' is given more than once/,
  );
  expect(() => parse("--store", "x", "ls", "--store", "y")).toThrow(/'--store' .* more than once/);
});

it("keeps repeatable options repeatable", () => {
  const parsed = parse(
    "log",
    "a",
    "art",
    "--alias",
    "best",
    "--alias",
    "prod",
    "--meta",
    "a=1",
    "--meta",
    "b=2",
  );
  expect(parsed.kind === "run" && parsed.input.values.alias).toEqual(["best", "prod"]);
});

it("suggests the closest option for a mistyped one", () => {
  expect(() => parse("log", "a", "art", "--descripton", "x")).toThrow(
    /unknown option '--descripton' for 'log'; did you mean '--description'\?/,
  );
  expect(() => parse("gc", "--older-then", "2h")).toThrow(/did you mean '--older-than'\?/);
});
