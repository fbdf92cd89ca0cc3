/**
 * A real S3 server for the tests: Ceph RGW from Debian as a throwaway single-node memstore cluster,
 * started by scripts/start-radosgw.sh (~15 s). It enforces `If-None-Match: *` on PutObject.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { getFreePort } from "./free-port.js";

const run = promisify(execFile);

/** A running radosgw. */
export interface RadosgwServer {
  endpoint: string;
  dir: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const SCRIPT = join(process.cwd(), "scripts", "start-radosgw.sh");
const INSTALL_HINT =
  "radosgw is needed by the S3 tests: install it with 'apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd curl' (.ci/run does this)";

/**
 * The longest a radosgw start may take, both attempts and the cleanup between them included; it fits in
 * vitest's hookTimeout (vitest.config.ts), so a slow start fails with radosgw's log, not a hook timeout.
 */
export const RADOSGW_START_BUDGET_MS = 390_000;

/** Time limit of one start attempt. */
const ATTEMPT_TIMEOUT_MS = 180_000;

/** Options of {@link startRadosgw}. */
export interface StartRadosgwOptions {
  /**
   * Called with each attempt's state folder before its daemons start, so that a teardown can stop
   * the daemons of a start that was killed midway. @default none
   */
  onDir?: (dir: string) => Promise<void>;
}

/** Starts radosgw (and its mon and OSD) on free ports under a new temp folder; one retry on a slow start. */
export async function startRadosgw(options: StartRadosgwOptions = {}): Promise<RadosgwServer> {
  try {
    await run("sh", [
      "-c",
      "command -v radosgw && command -v ceph-mon && command -v ceph-osd && command -v curl",
    ]);
  } catch {
    throw new Error(INSTALL_HINT);
  }
  const deadline = Date.now() + RADOSGW_START_BUDGET_MS;
  try {
    return await startOnce(ATTEMPT_TIMEOUT_MS, options);
  } catch (error) {
    // A loaded machine can miss a step's deadline (mon election, OSD boot): give it one more go.
    const left = Math.min(ATTEMPT_TIMEOUT_MS, deadline - Date.now());
    if (left < 30_000) throw error;
    return await startOnce(left, options);
  }
}

async function startOnce(timeout: number, options: StartRadosgwOptions): Promise<RadosgwServer> {
  const dir = await mkdtemp(join(tmpdir(), "am-radosgw-"));
  await options.onDir?.(dir);
  const port = await getFreePort();
  const monPort = await getFreePort();
  try {
    await run(SCRIPT, ["start", dir, String(port), String(monPort)], { timeout });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    // The tail of each daemon's log: whichever failed says why (the folder goes with the cleanup).
    const logs = await Promise.all(
      ["mon.a.log", "osd.0.log", "client.rgw.test.log"].map(async (name) => {
        const text = await readFile(join(dir, "log", name), "utf8").catch(() => "");
        return text === "" ? "" : `\n--- ${name}:\n${text.slice(-600)}`;
      }),
    );
    const log = logs.join("");
    await stopRadosgw(dir).catch(() => undefined);
    const detail = `${String(error)} ${stdout} ${stderr} ${log}`.trim();
    throw new Error(`radosgw failed to start: ${detail}. ${INSTALL_HINT}`);
  }
  return { endpoint: `http://127.0.0.1:${port}`, dir, accessKeyId: "test", secretAccessKey: "testsecret" };
}

/** Stops the daemons started in `dir` and removes it. */
export async function stopRadosgw(dir: string): Promise<void> {
  await run(SCRIPT, ["stop", dir], { timeout: 60_000 });
}
