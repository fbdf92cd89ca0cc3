/** Runs Debian's python3 with torch; fails (never skips) when it is missing. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
export const PYTHON = "/usr/bin/python3";

let checked: Promise<void> | undefined;

/** Throws a clear error when python3 or torch is not installed. */
export function requireTorch(): Promise<void> {
  checked ??= run(PYTHON, ["-c", "import torch"]).then(
    () => undefined,
    (error) => {
      throw new Error(
        `these tests need PyTorch for Python: run 'apt-get install python3-torch' (Debian) — ${String(error)}`,
      );
    },
  );
  return checked;
}

/** Runs a python script with arguments; returns stdout, stderr and the exit code. */
export async function python(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  await requireTorch();
  try {
    const { stdout, stderr } = await run(PYTHON, args, { maxBuffer: 64 << 20 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: typeof e.code === "number" ? e.code : 2 };
  }
}
