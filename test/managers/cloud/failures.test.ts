/**
 * Transfers failing half-way on every cloud backend, through a proxy that cuts connections or goes
 * away: a download resumes; a log is retried or fails with a clear error, and never leaves a visible
 * partial version.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { readAll } from "../../../src/storage/body.js";
import { createDriver } from "../../../src/storage/create-driver.js";
import { type CutProxy, startCutProxy } from "../../servers/cut-proxy.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

const MiB = 1024 * 1024;
const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe.each(CLOUD_BACKENDS)("failures half-way on $name", (backend) => {
  let opened: Awaited<ReturnType<typeof openManager>>;
  let proxy: CutProxy;
  let proxied: FileSystemArtifactManager;
  let local: string;
  beforeAll(async () => {
    opened = await openManager(backend);
    const { targetPort } = backend.proxied(opened.store, 0);
    proxy = await startCutProxy(targetPort);
    const { storageOptions } = backend.proxied(opened.store, proxy.port);
    proxied = new FileSystemArtifactManager({ url: opened.store.url, storageOptions, concurrency: 2 });
    local = await mkdtemp(join(tmpdir(), "am-cloud-fail-"));
  });
  afterAll(async () => {
    await proxy?.stop().catch(() => undefined);
    await (await proxied?.getDriver())?.close?.();
    await opened?.cleanup();
    await rm(local, { recursive: true, force: true });
  });

  it("a download cut twice mid-transfer resumes and is byte-exact", async () => {
    const data = randomBytes(3 * MiB);
    await writeFile(join(local, "weights.bin"), data);
    const { version } = await opened.manager.logFiles("resume", join(local, "weights.bin"));
    proxy.cut({ direction: "download", afterBytes: MiB, count: 2 });
    const to = join(local, "download");
    await proxied.downloadArtifact("resume", { version, to });
    expect(sha(await readFile(join(to, "weights.bin")))).toBe(sha(data));
    expect(proxy.cuts).toBe(2);
  });

  it("an upload cut mid-transfer is retried or fails cleanly, never a visible partial version", async () => {
    const folder = join(local, "cut-upload");
    await writeFile(join(local, "big.bin"), randomBytes(3 * MiB));
    const { mkdir } = await import("node:fs/promises");
    await mkdir(folder);
    await writeFile(join(folder, "big.bin"), randomBytes(3 * MiB));
    for (let i = 0; i < 4; i++) await writeFile(join(folder, `small-${i}.txt`), `small ${i}`);
    const before = proxy.cuts;
    proxy.cut({ direction: "upload", afterBytes: MiB, count: 1 });
    const result = await proxied.logFiles("cut", folder).then(
      (artifact) => ({ artifact }),
      (error: unknown) => ({ error }),
    );
    expect(proxy.cuts).toBe(before + 1);
    const versions = await opened.manager.listVersions("cut");
    if ("artifact" in result) {
      expect(versions).toEqual([result.artifact.version]);
      expect((await opened.manager.verify("cut")).ok).toBe(true);
    } else {
      expect(isArtifactError(result.error), String(result.error)).toBe(true);
      expect(versions).toEqual([]);
    }
  });

  it("with the SDK's default retries, a create-only write whose first answer is cut is ours", async () => {
    // The default configuration: no test override of the SDK's own retries.
    const { maxAttempts, retryOptions, ...defaults } = backend.proxied(
      opened.store,
      proxy.port,
    ).storageOptions;
    const driver = await createDriver(opened.store.url, defaults);
    try {
      const claim = Buffer.from(`claim ${Date.now()}`);
      const before = proxy.cuts;
      // The server stores the object, then the connection dies before its answer arrives.
      proxy.cut({ direction: "download", afterBytes: 0, count: 1 });
      const result = await driver.write("lost-answer/claim", claim, { ifNotExists: true });
      expect(proxy.cuts).toBe(before + 1);
      expect(result.size).toBe(claim.length);
      expect((await readAll(await driver.read("lost-answer/claim"))).equals(claim)).toBe(true);
      // Someone else's bytes at that key are still ALREADY_EXISTS.
      const other = await driver.write("lost-answer/claim", "other", { ifNotExists: true }).catch((e) => e);
      expect(isArtifactError(other, "ALREADY_EXISTS"), String(other)).toBe(true);
    } finally {
      await driver.close?.();
    }
  });

  it("the server going away mid-log gives a retryable UNAVAILABLE error and no visible version", async () => {
    const folder = join(local, "many");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(folder);
    for (let i = 0; i < 12; i++)
      await writeFile(join(folder, `f-${String(i).padStart(2, "0")}.bin`), randomBytes(64 * 1024));
    let done = 0;
    const error = await proxied
      .logFiles("gone", folder, {
        onProgress: (event) => {
          if (event.type === "file-done" && ++done === 3) void proxy.stop();
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isArtifactError(error), String(error)).toBe(true);
    expect(["UNAVAILABLE", "TIMEOUT"], String(error)).toContain((error as { code: string }).code);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect(await opened.manager.listVersions("gone")).toEqual([]);
    await proxy.restart();
    const again = await proxied.logFiles("gone", folder);
    expect(await opened.manager.listVersions("gone")).toEqual([again.version]);
    expect((await opened.manager.verify("gone")).ok).toBe(true);
  });
});
