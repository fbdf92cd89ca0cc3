/**
 * Servers shared by every cloud test file of one vitest run, started lazily by the first file that
 * needs them (so `vitest run test/wandb` never starts radosgw) and stopped by the global teardown
 * (test/servers/global-setup.ts). Files run in parallel worker processes, so the first one takes a
 * create-only lock file in the run's state folder, and the others wait for its result.
 */
import { appendFile, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inject } from "vitest";
import { type AzuriteServer, startAzurite, stopAzurite } from "./azurite.js";
import { RADOSGW_START_BUDGET_MS, type RadosgwServer, startRadosgw, stopRadosgw } from "./radosgw.js";

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

/** radosgw state folders of starts under way, one a line: the teardown stops them even if a start was killed. */
const RADOSGW_STARTING = "radosgw.starting";

const STARTERS: { [K in keyof SharedServers]: (dir: string) => Promise<SharedServers[K]> } = {
  radosgw: (dir) => startRadosgw({ onDir: (state) => appendFile(join(dir, RADOSGW_STARTING), `${state}\n`) }),
  azurite: () => startAzurite(),
};

/** How long a test file waits for another file's start of a shared server (radosgw is the slowest). */
const WAIT_MS = RADOSGW_START_BUDGET_MS + 20_000;

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
    const server = await STARTERS[name](dir);
    await writeAtomically(ready, JSON.stringify(server));
    return server;
  } catch (error) {
    await writeAtomically(failed, error instanceof Error ? error.message : String(error));
    throw error;
  }
}

/** Writes a file that readers poll: a temp file renamed into place, so no reader sees half of it. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, path);
}

async function waitForFile(ready: string, failed: string): Promise<unknown> {
  for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
    const text = await readFile(ready, "utf8").catch(() => null);
    if (text !== null) return JSON.parse(text);
    const error = await readFile(failed, "utf8").catch(() => null);
    if (error !== null) throw new Error(error);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${ready}`);
}

/** Stops every server recorded in `dir` (the global teardown), including radosgw starts killed midway. */
export async function stopSharedServers(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const radosgwDirs = new Set<string>();
  for (const file of names) {
    if (file === RADOSGW_STARTING) {
      const lines = (await readFile(join(dir, file), "utf8")).split("\n");
      for (const line of lines) if (line !== "") radosgwDirs.add(line);
    }
    if (!file.endsWith(".json")) continue;
    const server = JSON.parse(await readFile(join(dir, file), "utf8"));
    if (file === "radosgw.json") radosgwDirs.add((server as RadosgwServer).dir);
    if (file === "azurite.json") await stopAzurite((server as AzuriteServer).pid);
  }
  for (const state of radosgwDirs) await stopRadosgw(state).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
