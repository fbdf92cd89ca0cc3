/**
 * Ctrl-C while the server has stopped answering (a dead connection, a hung proxy) returns: the log's
 * cleanup runs without the caller's signal but under its own deadline, and every listing page is
 * timed (found by the adversarial review of issue 17: an abort during an upload hung for good on S3,
 * GCS and Azure). Liveness only: the bound asserted is the test's, far above what it takes.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { forward } from "../../servers/forwarder.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

/** Forwards until a request matches `goSilent`; from then on it answers nothing at all. */
async function silentProxy(targetPort: number, goSilent: (req: IncomingMessage) => boolean) {
  const target = new URL(`http://127.0.0.1:${targetPort}`);
  let silent = false;
  let onSilent: () => void = () => {};
  const wentSilent = new Promise<void>((resolve) => {
    onSilent = resolve;
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!silent && goSilent(req)) {
      silent = true;
      onSilent();
    }
    if (silent) {
      req.resume();
      return;
    }
    forward(target, req, res);
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    wentSilent,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.each(CLOUD_BACKENDS)("$name", (backend) => {
  let opened: Awaited<ReturnType<typeof openManager>>;
  let folder: string;
  beforeAll(async () => {
    opened = await openManager(backend);
    folder = await mkdtemp(join(tmpdir(), "silent-server-"));
    await mkdir(join(folder, "m"));
    await writeFile(join(folder, "m", "a.txt"), "first file");
  });
  afterAll(async () => {
    await opened?.cleanup();
    await rm(folder, { recursive: true, force: true });
  });

  for (const when of ["v0/a.txt", "meta/versions/v0.json"]) {
    it(`Ctrl-C after the server went silent at the write of ${when} returns`, async () => {
      const isWrite = (req: IncomingMessage) =>
        (req.method === "PUT" || req.method === "POST") && decodeURIComponent(req.url ?? "").includes(when);
      const proxy = await silentProxy(backend.proxied(opened.store, 0).targetPort, isWrite);
      const manager = new FileSystemArtifactManager({
        url: opened.store.url,
        storageOptions: {
          ...backend.proxied(opened.store, proxy.port).storageOptions,
          timeoutMs: 1000,
          retries: 1,
        },
      });
      const controller = new AbortController();
      try {
        const name = `silent-${when.length}`;
        const log = manager.logFiles(name, join(folder, "m"), { signal: controller.signal });
        log.catch(() => undefined);
        await proxy.wentSilent;
        controller.abort(new Error("Ctrl-C"));
        const outcome = await Promise.race([
          log.then(
            () => "resolved",
            (error: unknown) => `rejected: ${String(error)}`,
          ),
          new Promise((resolve) => setTimeout(() => resolve("still pending after 60 s"), 60_000)),
        ]);
        // Before the record: the abort; at the record: the outcome could not be learnt (UNAVAILABLE).
        expect(outcome).toMatch(when.endsWith(".json") ? /could not learn whether/ : /Ctrl-C/);
        // Nothing became visible (the server is reachable again directly).
        expect(await opened.manager.listVersions(name)).toEqual([]);
      } finally {
        await proxy.close();
        await manager.close().catch(() => undefined);
      }
    }, 90_000);
  }
});
