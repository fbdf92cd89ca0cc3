/** docs/cli.md stays the full reference: a section for every command and every option of each. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/index.js";
import { GLOBAL_OPTIONS } from "../../src/cli/parse.js";

const doc = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");

describe("docs/cli.md", () => {
  it("has a section for every command, naming each of its options, and lists the global options", () => {
    const missing: string[] = [];
    for (const command of COMMANDS) {
      const start = doc.indexOf(`### \`${command.name}\``);
      if (start === -1) {
        missing.push(`section ${command.name}`);
        continue;
      }
      const next = doc.indexOf("\n### ", start + 1);
      const section = doc.slice(start, next === -1 ? undefined : next);
      for (const option of Object.keys(command.options)) {
        if (!section.includes(`--${option}`)) missing.push(`${command.name} --${option}`);
      }
    }
    for (const option of Object.keys(GLOBAL_OPTIONS))
      if (!doc.includes(`--${option}`)) missing.push(`--${option}`);
    expect(missing).toEqual([]);
  });
});
