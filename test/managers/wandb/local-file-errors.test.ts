/**
 * Local file errors during W&B transfers (issue 18.10): a download whose target is a folder (EISDIR)
 * or a full disk (ENOSPC, `/dev/full`), an upload whose source is a folder, are typed errors that are
 * not retried: one request, not twenty retries over minutes. A network error still is retried.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isArtifactError } from "../../../src/errors.js";
import { withRetry } from "../../../src/managers/wandb/retry.js";
import { getToFile, putFile } from "../../../src/managers/wandb/transfer.js";
import { FAST_RETRY } from "./fixtures.js";

let server: Server;
let url: string;
let dir: string;
let requests = 0;
let cutNext = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wandb-local-errors-"));
  server = createServer((req, res) => {
    requests++;
    req.resume();
    if (cutNext > 0) {
      cutNext--;
      return void req.socket.destroy();
    }
    req.on("end", () => res.writeHead(200, { "content-length": "5" }).end("alpha"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/blob`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

/** Runs `attempt` with the SDK-style retries; the error it ends with and the requests it took. */
async function failure(attempt: () => Promise<unknown>): Promise<{ error: unknown; requests: number }> {
  requests = 0;
  const error = await withRetry(attempt, FAST_RETRY).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, requests };
}

describe("local file errors during W&B transfers are not retried (issue 18.10)", () => {
  it("a download into a folder (EISDIR) fails at once, typed", async () => {
    const { error, requests: n } = await failure(() => getToFile(url, dir));
    expect(isArtifactError(error, "INVALID_ARGUMENT")).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(false);
    expect((error as Error).message).toContain("EISDIR");
    expect(n).toBe(1);
  });

  it("a download onto a full disk (ENOSPC, /dev/full) fails at once, typed", async () => {
    const { error, requests: n } = await failure(() => getToFile(url, "/dev/full"));
    expect(isArtifactError(error, "UNAVAILABLE")).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(false);
    expect((error as Error).message).toContain("ENOSPC");
    expect(n).toBe(1);
  });

  it("an upload whose source is a folder (EISDIR) fails at once, typed", async () => {
    const { error, requests: n } = await failure(() =>
      putFile(url, { body: { localPath: dir }, size: 5, headers: {} }),
    );
    expect(isArtifactError(error, "INVALID_ARGUMENT")).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(false);
    expect(n).toBeLessThanOrEqual(1);
  });

  it("a dropped connection is still retried (and then succeeds)", async () => {
    cutNext = 2;
    requests = 0;
    const got = await withRetry(() => getToFile(url, join(dir, "out")), FAST_RETRY);
    expect(got.size).toBe(5);
    expect(requests).toBe(3);
  });
});
