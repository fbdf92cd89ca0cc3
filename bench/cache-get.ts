/**
 * One `get` for bench/cache.ts, in its own process:
 *   node --import tsx bench/cache-get.ts URL TO USE_CACHE   (STORAGE_OPTIONS = JSON, ARTIFACTS_CACHE_DIR)
 * downloads the latest `bench-cache` into TO (through the default cache unless USE_CACHE is "false") and
 * prints `{ seconds, cpuSeconds, maxRssMiB }`: the download call's wall time and CPU time (user + system,
 * this process only: not the server's) and the process's peak RSS (VmHWM of /proc/self/status: the
 * `maxRSS` of getrusage keeps the parent's high-water mark across fork + exec on Linux).
 */
import { readFileSync } from "node:fs";
import { FileSystemArtifactManager } from "../src/managers/file-system-artifact-manager.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const [url, to, useCache] = process.argv.slice(2) as [string, string, string];
const storageOptions = JSON.parse(process.env.STORAGE_OPTIONS ?? "{}") as Record<string, unknown>;
const manager = new FileSystemArtifactManager({ url, storageOptions });
await manager.getDriver();
const cpu = process.cpuUsage();
const start = performance.now();
await manager.downloadArtifact("bench-cache", { to, cache: useCache !== "false" });
const seconds = (performance.now() - start) / 1000;
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;
await manager.close();
process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds, maxRssMiB: peakRssMiB() })}\n`);

function peakRssMiB(): number {
  const match = /^VmHWM:\s+([0-9]+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}
