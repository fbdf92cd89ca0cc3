/**
 * vitest globalSetup: gives every test file a state folder for lazily started shared servers
 * (see shared-servers.ts) and stops whatever was started when the run ends. Starts nothing itself.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { stopSharedServers } from "./shared-servers.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "am-servers-"));
  project.provide("cloudServersDir", dir);
  return () => stopSharedServers(dir);
}
