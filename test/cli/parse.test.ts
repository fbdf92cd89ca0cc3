import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/index.js";
import { parseCommandLine } from "../../src/cli/parse.js";
import { UsageError } from "../../src/cli/usage-error.js";

const parse = (...argv: string[]) => parseCommandLine(argv, COMMANDS);

describe("parseCommandLine", () => {
  it("finds the command after global options that take a value", () => {
    const parsed = parse(
      "--store",
      "/tmp/s",
      "--collection",
      "models",
      "log",
      "./dir",
      "my-model",
      "--meta",
      "a=1",
      "--meta",
      "b=x",
    );
    expect(parsed.kind).toBe("run");
    if (parsed.kind !== "run") return;
    expect(parsed.command.name).toBe("log");
    expect(parsed.input.positionals).toEqual(["./dir", "my-model"]);
    expect(parsed.input.values.meta).toEqual(["a=1", "b=x"]);
    expect(parsed.globals).toMatchObject({ store: "/tmp/s", collection: "models" });
  });

  it("accepts global options after the command", () => {
    const parsed = parse("versions", "m", "--json", "-q");
    expect(parsed.kind === "run" && parsed.globals).toMatchObject({ json: true, quiet: true });
  });

  it("returns help for no arguments, --help, and COMMAND --help", () => {
    expect(parse().kind).toBe("help");
    expect(parse("--help").kind).toBe("help");
    const commandHelp = parse("get", "--help");
    expect(commandHelp.kind === "help" && commandHelp.command?.name).toBe("get");
    expect(parse("--version").kind).toBe("version");
  });

  it.each([
    [["frobnicate"]],
    [["log", "--bogus", "a", "b"]],
    [["log", "a"]],
    [["log", "a", "b", "c"]],
    [["get", "m", "--to"]],
    [["versions", "m", "--json=yes"]],
    [["--json"]],
  ])("throws UsageError for %j", (argv) => {
    expect(() => parseCommandLine(argv, COMMANDS)).toThrow(UsageError);
  });

  it("runs a command by its alias and answers 'help COMMAND'", () => {
    const put = parse("put", "./dir", "m");
    expect(put.kind === "run" && put.command.name).toBe("log");
    const help = parse("help", "download");
    expect(help.kind === "help" && help.command?.name).toBe("get");
    expect(parse("help").kind).toBe("help");
  });

  it("suggests the closest command for a typo", () => {
    expect(() => parse("lgo")).toThrow(/did you mean 'log'/);
    expect(() => parse("verfy", "m")).toThrow(/did you mean 'verify'/);
  });

  it("names the offending option in the message", () => {
    expect(() => parse("log", "--bogus", "a", "b")).toThrow(/--bogus/);
  });

  it("names the long form of an option with a short alias that misses its value", () => {
    expect(() => parse("get", "m", "--to")).toThrow(/option '--to' of 'get' needs a value/);
    expect(() => parse("get", "m", "-o")).toThrow(/option '--to' of 'get' needs a value/);
    expect(() => parse("log", "a", "b", "-d")).toThrow(/option '--description' of 'log'/);
    expect(() => parse("versions", "m", "--json=yes")).toThrow(/option '--json' .* takes no value/);
    expect(() => parse("versions", "m", "-z")).toThrow(/unknown option '-z'/);
  });
});
