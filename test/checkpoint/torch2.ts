/**
 * torch 2.13 (CPU) from the project's venv (`scripts/setup-python.sh`, run by `.ci/run`): the reference
 * torch of the checkpoint tests. Fails, never skips, when it is missing.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
/** The venv's Python (`TORCH2_PYTHON` overrides). */
export const TORCH2_PYTHON =
  process.env.TORCH2_PYTHON ?? fileURLToPath(new URL("../../.venv/bin/python", import.meta.url));

/** Runs `script` with torch 2.13's Python and `args`; returns stdout (throws with stderr on failure). */
export async function torch2(script: string, args: string[] = []): Promise<string> {
  if (!existsSync(TORCH2_PYTHON))
    throw new Error(
      `these tests need torch 2.13 in the project's venv: run 'scripts/setup-python.sh' (offline, from this image's wheels) — ${TORCH2_PYTHON} is missing`,
    );
  try {
    const { stdout } = await run(TORCH2_PYTHON, ["-c", script, ...args], { maxBuffer: 64 << 20 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string };
    throw new Error(`torch 2.13 script failed: ${e.stderr ?? String(error)}`);
  }
}
