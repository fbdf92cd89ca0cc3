/**
 * Child process of the hostile W&B tests: runs one manager call against a (hostile) server under a
 * memory cap and prints how it ended as JSON (`{"outcome":"ok"}` or `{"outcome":"<code>","message":…}`).
 * A crash, an out-of-memory or the parent's time limit shows as the child dying. Buffers live outside
 * the V8 heap that `--max-old-space-size` caps, so a watchdog also ends the child past {@link RSS_CAP}.
 *
 * Usage: hostile-worker.ts '<json: {call, name, to?, options}>'
 */
import { isArtifactError } from "../../../src/errors.js";
import {
  WandbArtifactManager,
  type WandbArtifactManagerOptions,
} from "../../../src/managers/wandb/wandb-artifact-manager.js";

/** Resident memory the child may reach (V8 and tsx take about 100 MB of it). */
const RSS_CAP = 384 << 20;

function checkRss(): void {
  const peak = process.resourceUsage().maxRSS * 1024;
  if (process.memoryUsage().rss > RSS_CAP || peak > RSS_CAP) {
    process.stderr.write(`resident memory passed ${RSS_CAP} bytes (peak ${peak})\n`);
    process.exit(3);
  }
}
setInterval(checkRss, 5).unref();

interface Job {
  call: "download" | "listVersions" | "verify";
  name: string;
  to?: string;
  options: WandbArtifactManagerOptions;
}

const job = JSON.parse(process.argv[2] ?? "{}") as Job;
const manager = new WandbArtifactManager({ env: {}, ...job.options });
try {
  const value =
    job.call === "download"
      ? await manager.downloadArtifact(job.name, { to: job.to ?? "" })
      : job.call === "verify"
        ? await manager.verify(job.name)
        : await manager.listVersions(job.name);
  checkRss();
  process.stdout.write(JSON.stringify({ outcome: "ok", value }));
} catch (error) {
  checkRss();
  if (!isArtifactError(error)) throw error;
  process.stdout.write(JSON.stringify({ outcome: error.code, message: error.message }));
}
