/** `artifacts completion bash|zsh|fish`: the bash script loads in a real bash and completes commands and options. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { completionScript } from "../../src/cli/commands/completion.js";
import { COMMANDS, main } from "../../src/cli/index.js";

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: "/nonexistent-cwd",
  });
  return { code, stdout, stderr };
}

/** What the bash completion offers for the words typed so far (the last is the word being completed). */
function bashComplete(script: string, words: string[]): string[] {
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})
COMP_CWORD=${words.length - 1}
_artifacts
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync("bash", ["--norc", "--noprofile", "-c", program], { encoding: "utf8" });
  return out.split("\n").filter(Boolean);
}

describe("artifacts completion", () => {
  it("bash: the script loads in bash and completes command names, aliases and options", async () => {
    const run = await cli("completion", "bash");
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(bashComplete(run.stdout, ["artifacts", "ver"])).toEqual(["versions", "verify"]);
    expect(bashComplete(run.stdout, ["artifacts", "comp"])).toEqual(["completion"]);
    expect(bashComplete(run.stdout, ["artifacts", "up"])).toEqual(["upload"]);
    expect(bashComplete(run.stdout, ["artifacts", "log", "--ex"])).toEqual(["--exclude"]);
    expect(bashComplete(run.stdout, ["artifacts", "--json", "versions", "--si"])).toEqual(["--since"]);
    expect(bashComplete(run.stdout, ["artifacts", "get", "--ret"])).toEqual(["--retries"]);
    // The script registers itself for the command.
    const registered = execFileSync("bash", ["--norc", "-c", `${run.stdout}\ncomplete -p artifacts`], {
      encoding: "utf8",
    });
    expect(registered).toContain("-F _artifacts artifacts");
  });

  it("zsh and fish scripts name every command (zsh and fish are not on this machine: content checked)", async () => {
    const names = COMMANDS.map((c) => c.name);
    const zsh = await cli("completion", "zsh");
    const fish = await cli("completion", "fish");
    expect(zsh.stdout.startsWith("#compdef artifacts\n")).toBe(true);
    expect(zsh.stdout).toContain("compdef _artifacts artifacts");
    for (const name of names) {
      expect(zsh.stdout).toContain(`'${name}:`);
      expect(fish.stdout).toContain(` -a ${name} `);
    }
    expect(fish.stdout).toContain('__fish_seen_subcommand_from log put upload" -l exclude');
  });

  it("an unknown shell is an error naming the shells", async () => {
    const run = await cli("completion", "tcsh");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("choose one of bash, zsh, fish");
    expect(completionScript("bash", [])).toContain("complete -o default -F _artifacts artifacts");
  });
});
