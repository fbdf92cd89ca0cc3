/** Runs the built `artifacts` binary (the bundle, dist/cli-bundle/bin.js) as a subprocess; builds dist first when stale. */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(ROOT, "dist/cli-bundle/bin.js");

/** Newest modification time of the `.ts` files under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether the bundled bin.js is missing or older than a source file. */
function isStale(): boolean {
  return !existsSync(BIN) || statSync(BIN).mtimeMs < newestSource(join(ROOT, "src"));
}

/**
 * Builds dist/ (tsc, then the CLI bundle) when bin.js is stale (npm test builds first, so CI never does). Test files run
 * in parallel processes: one builds under a lock folder while the others wait for it.
 */
export async function ensureBuilt(): Promise<void> {
  if (!isStale()) return;
  const lock = join(
    tmpdir(),
    `artifact-manager-cli-build-${createHash("sha1").update(ROOT).digest("hex").slice(0, 8)}`,
  );
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    if (isStale()) build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  if (!existsSync(BIN)) throw new Error(`could not build ${BIN}: run 'npm run build'`);
}

function build(): void {
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: ROOT,
        stdio: "pipe",
      },
    );
  } catch {
    // tsc emits even when another area has type errors in progress; bin.js existing is what matters.
  }
  execFileSync(process.execPath, [join(ROOT, "scripts/bundle-cli.mjs")], { cwd: ROOT, stdio: "pipe" });
}

/** The outcome of one CLI run. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Called with each stdout chunk; may return a signal to send to the child. */
  onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void;
}

/** The environment every run starts from: no store or collection chosen by the caller's shell. */
function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ARTIFACTS_STORE;
  delete env.ARTIFACTS_COLLECTION;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs `node dist/cli-bundle/bin.js ...args` and collects its output and exit code. */
export function runCli(args: readonly string[], options: RunCliOptions): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: baseEnv(options.env ?? {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const kill = (signal: NodeJS.Signals) => child.kill(signal);
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      options.onStdout?.(text, kill);
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** Parses NDJSON output (the progress events and final result of a transfer under --json). */
export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The lines of stderr (without a trailing empty line). */
export function lines(text: string): string[] {
  return text.split("\n").filter((line, i, all) => !(line === "" && i === all.length - 1));
}
