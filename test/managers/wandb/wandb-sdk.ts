/**
 * The real W&B Python SDK (wandb 0.30.0 with its Go core, `scripts/setup-wandb-sdk.sh` into
 * `.venv-wandb/`, run by `.ci/run`) as a child process pointed at an emulator. Fails, never skips,
 * when it is missing.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { WandbEmulator } from "../../wandb-emulator/server.js";

const run = promisify(execFile);

/** The venv's Python (`WANDB_SDK_PYTHON` overrides). */
export const WANDB_SDK_PYTHON =
  process.env.WANDB_SDK_PYTHON ?? fileURLToPath(new URL("../../../.venv-wandb/bin/python", import.meta.url));

/** The environment the SDK runs with: online against `emulator`, every W&B folder inside `home`. */
export function sdkEnv(emulator: WandbEmulator, home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    WANDB_BASE_URL: emulator.url,
    WANDB_API_KEY: emulator.apiKey,
    WANDB_MODE: "online",
    WANDB_SILENT: "true",
    WANDB_DISABLE_GIT: "true",
    WANDB_ERROR_REPORTING: "false", // its telemetry exporters are not installed (setup-wandb-sdk.sh)
    WANDB_DIR: home,
    WANDB_CACHE_DIR: join(home, "cache"),
    WANDB_CONFIG_DIR: join(home, "config"),
    WANDB_DATA_DIR: join(home, "data"),
    WANDB_ARTIFACT_DIR: join(home, "artifacts"),
  };
}

/**
 * Runs `test/managers/wandb/sdk/<script>` with the SDK's Python and `args` (a fresh W&B home under
 * `home`); returns the JSON its last stdout line prints (throws with stderr when it fails).
 */
export async function runSdk<T = unknown>(
  emulator: WandbEmulator,
  home: string,
  script: string,
  args: string[] = [],
): Promise<T> {
  if (!existsSync(WANDB_SDK_PYTHON)) {
    throw new Error(
      `these tests need the real W&B SDK: run 'scripts/setup-wandb-sdk.sh' (offline, from this image's wheels) — ${WANDB_SDK_PYTHON} is missing`,
    );
  }
  await mkdir(home, { recursive: true });
  const path = fileURLToPath(new URL(`./sdk/${script}`, import.meta.url));
  try {
    const { stdout } = await run(WANDB_SDK_PYTHON, [path, ...args], {
      env: sdkEnv(emulator, home),
      maxBuffer: 16 << 20,
      timeout: 120_000,
    });
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "null") as T;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string };
    throw new Error(`wandb SDK script ${script} failed: ${e.stderr || e.stdout || String(error)}`);
  }
}
