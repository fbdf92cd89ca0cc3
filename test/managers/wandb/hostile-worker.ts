/**
 * Child process of the hostile W&B tests: runs one manager call against a (hostile) server under a
 * memory cap and prints how it ended as JSON (test/fixtures/capped-child.ts). A crash, an out-of-memory
 * or the parent's time limit shows as the child dying.
 *
 * Usage: hostile-worker.ts '<json: {call, name, to?, options}>'
 */
import {
  WandbArtifactManager,
  type WandbArtifactManagerOptions,
} from "../../../src/managers/wandb/wandb-artifact-manager.js";
import { reportCappedOutcome } from "../../fixtures/capped-child.js";

/** Resident memory the child may reach (V8 and tsx take about 100 MB of it). */
const RSS_CAP = 384 << 20;

interface Job {
  call: "download" | "listVersions" | "verify";
  name: string;
  to?: string;
  options: WandbArtifactManagerOptions;
}

const job = JSON.parse(process.argv[2] ?? "{}") as Job;
const manager = new WandbArtifactManager({ env: {}, ...job.options });
await reportCappedOutcome(RSS_CAP, () =>
  job.call === "download"
    ? manager.downloadArtifact(job.name, { to: job.to ?? "" })
    : job.call === "verify"
      ? manager.verify(job.name)
      : manager.listVersions(job.name),
);
