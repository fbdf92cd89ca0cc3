/**
 * Azurite (Microsoft's Azure Storage emulator, an npm devDependency) on 127.0.0.1, blob service only,
 * in memory. `--skipApiVersionCheck` because @azure/storage-blob 12.32 sends an API version newer than
 * azurite 3.35 knows (FINDINGS §2).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { getFreePort, waitForPort } from "./free-port.js";

/** The well-known development account of every Azure emulator. */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** A running azurite. */
export interface AzuriteServer {
  port: number;
  pid: number;
  endpoint: string;
  connectionString: string;
}

/** The connection string of an azurite on `port`. */
export function azuriteConnectionString(port: number, key = AZURITE_KEY): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
}

/** Starts azurite-blob as a detached process (it outlives the test file; stop it with `stopAzurite`). */
export async function startAzurite(port?: number): Promise<AzuriteServer> {
  const bin = join(process.cwd(), "node_modules", ".bin", "azurite-blob");
  if (!existsSync(bin)) {
    throw new Error(`azurite is not installed (${bin} missing): run 'npm ci' (azurite is a devDependency)`);
  }
  const chosen = port ?? (await getFreePort());
  const args = ["--blobHost", "127.0.0.1", "--blobPort", String(chosen), "--inMemoryPersistence"];
  args.push("--skipApiVersionCheck", "--disableTelemetry", "--silent", "--loose");
  const child = spawn(bin, args, { detached: true, stdio: "ignore" });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  child.unref();
  await waitForPort(chosen, 30_000, () => !exited);
  if (child.pid === undefined) throw new Error("azurite did not start");
  const endpoint = `http://127.0.0.1:${chosen}/${AZURITE_ACCOUNT}`;
  return { port: chosen, pid: child.pid, endpoint, connectionString: azuriteConnectionString(chosen) };
}

/** Stops an azurite started by {@link startAzurite}: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopAzurite(pid: number, graceMs = 5_000): Promise<void> {
  // An overloaded azurite (a cleanup of thousands of blobs) has been seen to ignore SIGTERM.
  if (!signalGroup(pid, "SIGTERM")) return;
  for (const deadline = Date.now() + graceMs; Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!signalGroup(pid, 0)) return;
  }
  signalGroup(pid, "SIGKILL");
}

/** Sends `signal` to the process group `pid` leads; false when no process of the group is left. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
