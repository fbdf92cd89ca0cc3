/** `artifacts ui` as a user runs it: the built CLI serves the store, prints its URL, and stops cleanly on Ctrl-C. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../src/index.js";
import { ensureBuilt, runCli } from "../cli/run-cli.js";
import { fillStore } from "./fixture-store.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ui-cli-"));
  const manager = new FileSystemArtifactManager({ url: join(dir, "store") });
  await fillStore(manager);
  await manager.close();
  await ensureBuilt();
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("artifacts ui (CLI)", () => {
  it("serves the store on 127.0.0.1, prints the URL, and stops on Ctrl-C with exit code 0", async () => {
    let url: string | undefined;
    let page: { status: number; text: string } | undefined;
    const run = await runCli(["ui", "--store", "./store", "--port", "0"], {
      cwd: dir,
      onStdout: (text, kill) => {
        const found = /serving \.\/store at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
        if (found === undefined || url !== undefined) return;
        url = found;
        void fetch(`${found}c/models/a/mnist-classifier`)
          .then(async (response) => {
            page = { status: response.status, text: await response.text() };
          })
          .finally(() => kill("SIGINT"));
      },
    });
    expect(run.stderr).toContain("the UI server stopped");
    expect(run.code).toBe(0);
    expect(url).toBeDefined();
    expect(page?.status).toBe(200);
    expect(page?.text).toContain("mnist-classifier");
    expect(run.stdout).toContain("artifacts ui: stopped");
    // The port is closed: nothing answers any more.
    await expect(fetch(url as string)).rejects.toThrow();
  });

  it("refuses a bad --port with a usage message naming the option", async () => {
    const run = await runCli(["ui", "--store", "./store", "--port", "http"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("--port must be an integer from 0 to 65535");
  });
});
