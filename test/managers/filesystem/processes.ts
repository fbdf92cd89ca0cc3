/** Spawning writer processes (test/fixtures/filesystem/log-worker.ts) for concurrency and crash tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const WORKER = fileURLToPath(new URL("../../fixtures/filesystem/log-worker.ts", import.meta.url));

/** Starts a worker process with `node --import tsx`. */
export function startWorker(
  args: string[],
  env: Record<string, string> = {},
): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0 && code !== null)
        reject(new Error(`worker ${args.join(" ")} failed (${code}): ${stderr}`));
      else resolve(code);
    });
  });
  return { child, output: () => stdout, exited };
}

/** Runs a worker to completion and returns its stdout. */
export async function runWorker(args: string[], env: Record<string, string> = {}): Promise<string> {
  const worker = startWorker(args, env);
  await worker.exited;
  return worker.output();
}

/** Resolves once the worker printed `line`. */
export function waitForLine(worker: ReturnType<typeof startWorker>, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (worker.output().split("\n").includes(line)) resolve();
    };
    worker.child.stdout?.on("data", check);
    worker.exited.then(
      () => reject(new Error(`worker exited before printing ${line}: ${worker.output()}`)),
      reject,
    );
    check();
  });
}
