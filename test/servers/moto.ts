/**
 * moto's S3 server (Python, moto 5.2) on 127.0.0.1, started by the test file that needs it and stopped
 * by it. By default behind a WSGI filter that drops `If-None-Match` and `If-Match`
 * (moto-no-conditions.py): an S3-compatible server that ignores conditional writes.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { getFreePort, waitForPort } from "./free-port.js";

const run = promisify(execFile);

const SCRIPT = join(process.cwd(), "test", "servers", "moto-no-conditions.py");

/** moto ignores credentials; the S3 driver still needs some to sign with. */
const KEYS = { accessKeyId: "testing", secretAccessKey: "testing" };

/** A running moto server. */
export interface MotoServer {
  endpoint: string;
  /** Storage options of the S3 driver for this server. */
  storageOptions: Record<string, unknown>;
  /** The Python interpreter that runs it. */
  python: string;
  /** Creates a bucket (an existing one is fine). */
  createBucket: (bucket: string) => Promise<void>;
  stop: () => Promise<void>;
}

/** Options of {@link startMoto}. */
export interface StartMotoOptions {
  /** Let `If-None-Match` / `If-Match` reach moto (plain moto). @default false: they are dropped */
  keepConditions?: boolean;
}

/** Starts moto's S3 server on a free port; rejects with what to install when no Python has moto. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const python = await findMotoPython();
  const port = await getFreePort();
  const args = [SCRIPT, String(port), ...(options.keepConditions ? ["--keep-conditions"] : [])];
  // stdin stays a pipe: the script exits when it closes, so a crashed test leaves no server behind.
  const child = spawn(python, args, { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  try {
    await waitForPort(port, 60_000, () => !exited);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`moto did not start (${python} ${args.join(" ")}): ${String(error)}\n${stderr}`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const storageOptions = { endpoint, region: "us-east-1", ...KEYS };
  return {
    endpoint,
    storageOptions,
    python,
    createBucket: (bucket) => createBucket(endpoint, bucket),
    stop: () => stopChild(child),
  };
}

/** The first of $MOTO_PYTHON, python3, python3.11 and pyenv's python3 that imports moto's server. */
async function findMotoPython(): Promise<string> {
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), ".pyenv"), "shims", "python3");
  const candidates = [process.env.MOTO_PYTHON, "python3", "python3.11", pyenv].filter(
    (c): c is string => c !== undefined && c !== "",
  );
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      await run(candidate, ["-c", "import moto.moto_server.werkzeug_app"], { timeout: 60_000 });
      return candidate;
    } catch (error) {
      failures.push(
        `${candidate}: ${String((error as Error).message)
          .split("\n")
          .slice(-2)
          .join(" ")}`,
      );
    }
  }
  throw new Error(
    "these tests need moto's S3 server (moto 5.2 with its server extras, for Python 3): none of " +
      `${candidates.join(", ")} imports it (set MOTO_PYTHON to an interpreter that does; ` +
      `'pip install "moto[server]==5.2.1"' installs it). ${failures.join("; ")}`,
  );
}

async function createBucket(endpoint: string, bucket: string): Promise<void> {
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: KEYS,
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
      if (error.name !== "BucketAlreadyOwnedByYou" && error.name !== "BucketAlreadyExists") throw error;
    });
  } finally {
    client.destroy();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.stdin?.end();
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
