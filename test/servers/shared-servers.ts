/**
 * Servers shared by every cloud test file of one vitest run, started lazily by the first file that
 * needs them (so `vitest run test/wandb` never starts radosgw) and stopped by the global teardown
 * (test/servers/global-setup.ts). Files run in parallel worker processes, so the first one takes a
 * create-only lock file in the run's state folder, and the others wait for its result.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inject } from "vitest";
import { type AzuriteServer, startAzurite, stopAzurite } from "./azurite.js";
import { type RadosgwServer, startRadosgw, stopRadosgw } from "./radosgw.js";

declare module "vitest" {
  export interface ProvidedContext {
    cloudServersDir: string;
  }
}

/** The servers that can be shared. */
export interface SharedServers {
  radosgw: RadosgwServer;
  azurite: AzuriteServer;
}

const STARTERS: { [K in keyof SharedServers]: () => Promise<SharedServers[K]> } = {
  radosgw: startRadosgw,
  azurite: () => startAzurite(),
};

/** The shared server `name`, starting it when this run has none yet. Failing to start fails the caller. */
export async function useSharedServer<K extends keyof SharedServers>(name: K): Promise<SharedServers[K]> {
  const dir = inject("cloudServersDir");
  if (!dir)
    throw new Error(
      "cloudServersDir missing: run the cloud tests through vitest.config.ts (its globalSetup)",
    );
  const ready = join(dir, `${name}.json`);
  const failed = join(dir, `${name}.error`);
  try {
    await writeFile(join(dir, `${name}.lock`), String(process.pid), { flag: "wx" });
  } catch {
    return (await waitForFile(ready, failed)) as SharedServers[K];
  }
  try {
    const server = await STARTERS[name]();
    await writeFile(ready, JSON.stringify(server));
    return server;
  } catch (error) {
    await writeFile(failed, error instanceof Error ? error.message : String(error));
    throw error;
  }
}

async function waitForFile(ready: string, failed: string): Promise<unknown> {
  for (let i = 0; i < 2400; i++) {
    const text = await readFile(ready, "utf8").catch(() => null);
    if (text !== null) return JSON.parse(text);
    const error = await readFile(failed, "utf8").catch(() => null);
    if (error !== null) throw new Error(error);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${ready}`);
}

/** Stops every server recorded in `dir` (the global teardown). */
export async function stopSharedServers(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const file of names) {
    if (!file.endsWith(".json")) continue;
    const server = JSON.parse(await readFile(join(dir, file), "utf8"));
    if (file === "radosgw.json") await stopRadosgw((server as RadosgwServer).dir).catch(() => undefined);
    if (file === "azurite.json") stopAzurite((server as AzuriteServer).pid);
  }
  await rm(dir, { recursive: true, force: true });
}
