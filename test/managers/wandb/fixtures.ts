/** Shared test setup: an in-process W&B emulator on a random port and managers pointed at it. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  WandbArtifactManager,
  type WandbArtifactManagerOptions,
} from "../../../src/managers/wandb/wandb-artifact-manager.js";
import {
  startWandbEmulator,
  type WandbEmulator,
  type WandbEmulatorOptions,
} from "../../wandb-emulator/server.js";

/** Fast retries so storms recover quickly in tests (the delays are not asserted). */
export const FAST_RETRY = { retries: 6, minDelayMs: 5, maxDelayMs: 40 };

/** A running emulator plus a temp folder, torn down by `close()`. */
export interface EmulatorFixture {
  emulator: WandbEmulator;
  dir: string;
  manager: (options?: WandbArtifactManagerOptions) => WandbArtifactManager;
  close: () => Promise<void>;
}

/** Starts an emulator and returns a factory for managers configured for it (no ambient env/netrc). */
export async function startFixture(options: WandbEmulatorOptions = {}): Promise<EmulatorFixture> {
  const emulator = await startWandbEmulator(options);
  const dir = await mkdtemp(join(tmpdir(), "wandb-test-"));
  return {
    emulator,
    dir,
    manager: (overrides = {}) =>
      new WandbArtifactManager({
        baseUrl: emulator.url,
        apiKey: emulator.apiKey,
        project: "test-project",
        env: {},
        retry: FAST_RETRY,
        ...overrides,
      }),
    close: async () => {
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
