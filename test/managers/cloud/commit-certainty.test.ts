/**
 * Commit certainty (issue 17, item 1): once the commit record's request may have reached the server,
 * a log knows its outcome before it deletes anything. A proxy holds the record PUT's answer (or the
 * request itself) so that an abort, a timeout or a 5xx lands exactly in that window, on every cloud
 * backend and on both write paths of S3 and GCS (our own request, the SDK's).
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Artifact } from "../../../src/core/types.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { type HoldProxy, startHoldProxy, writeOf } from "../../servers/hold-proxy.js";
import { CLOUD_BACKENDS, type CloudBackend, openManager } from "./stores.js";

/** A backend and the storage options of one of its write paths. */
interface Variant {
  name: string;
  backend: CloudBackend;
  /** Turns the backend's proxied options (SDK retries off) into this variant's. */
  options: (proxied: Record<string, unknown>) => Record<string, unknown>;
}

function backend(prefix: string): CloudBackend {
  const found = CLOUD_BACKENDS.find((b) => b.name.startsWith(prefix));
  if (!found) throw new Error(`no cloud backend named ${prefix}…`);
  return found;
}
const without = (keys: string[]) => (options: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(options).filter(([key]) => !keys.includes(key)));

const VARIANTS: Variant[] = [
  // No S3ClientConfig field of the SDK's: PutObject is our own signed request.
  { name: "s3 (radosgw), direct PUT", backend: backend("s3"), options: without(["maxAttempts"]) },
  { name: "s3 (radosgw), SDK PutObject", backend: backend("s3"), options: (o) => o },
  // No retryOptions: small writes are our own multipart POST; with them, the SDK's file.save.
  { name: "gcs (fake), direct multipart", backend: backend("gcs"), options: without(["retryOptions"]) },
  { name: "gcs (fake), SDK file.save", backend: backend("gcs"), options: (o) => o },
  { name: "azure (azurite)", backend: backend("azure"), options: (o) => o },
];

const RECORD_V0 = writeOf("meta/versions/v0.json");

describe.each(VARIANTS)("commit certainty on $name", (variant) => {
  let opened: Awaited<ReturnType<typeof openManager>>;
  let local: string;
  let folder: string;
  let proxy: HoldProxy;
  let proxied: FileSystemArtifactManager | undefined;
  let names = 0;
  let name: string;

  beforeAll(async () => {
    opened = await openManager(variant.backend);
    local = await mkdtemp(join(tmpdir(), "am-commit-certainty-"));
    folder = join(local, "model");
    await mkdir(join(folder, "weights"), { recursive: true });
    await writeFile(join(folder, "config.json"), '{"lr":0.001}\n');
    await writeFile(join(folder, "weights", "layer.bin"), randomBytes(20_000));
  });
  afterAll(async () => {
    await opened?.cleanup();
    await rm(local, { recursive: true, force: true });
  });
  beforeEach(async () => {
    name = `art-${++names}`;
    proxy = await startHoldProxy(variant.backend.proxied(opened.store, 0).targetPort);
  });
  afterEach(async () => {
    await proxy.release().catch(() => undefined);
    await proxied?.close();
    proxied = undefined;
    await proxy.close();
  });

  /** A manager whose requests go through the hold proxy. */
  const throughProxy = (extra: Record<string, unknown> = {}) => {
    const options = variant.options(variant.backend.proxied(opened.store, proxy.port).storageOptions);
    proxied = new FileSystemArtifactManager({
      url: opened.store.url,
      storageOptions: { ...options, ...extra },
    });
    return proxied;
  };

  /** The version is listed, verifies, and downloads to exactly the logged bytes (read without the proxy). */
  const expectComplete = async (artifact: Artifact, version: string) => {
    expect(artifact).toEqual({ name, collection: "default", version });
    expect(await opened.manager.listVersions(name)).toEqual([version]);
    const verified = await opened.manager.verify(name, { version });
    expect(verified, JSON.stringify(verified)).toMatchObject({ ok: true, missing: [], changed: [] });
    const to = join(local, `download-${name}`);
    await opened.manager.downloadArtifact(name, { version, to });
    for (const path of ["config.json", "weights/layer.bin"])
      expect((await readFile(join(to, path))).equals(await readFile(join(folder, path))), path).toBe(true);
  };

  /** Keys stored under the artifact's `v<N>/` folder (read without the proxy). */
  const versionFiles = async (version: string) => {
    const driver = await opened.manager.getDriver();
    const keys: string[] = [];
    for await (const entry of driver.list(`default/${name}/${version}/`))
      if (entry.type === "object") keys.push(entry.key);
    return keys;
  };

  it("(a) the record reached the server, its answer is held, the caller aborts: the log returns the version, complete", async () => {
    const manager = throughProxy();
    proxy.arm({ match: RECORD_V0, mode: "answer" });
    const controller = new AbortController();
    const log = manager.logFiles(name, folder, { signal: controller.signal });
    log.catch(() => undefined);
    const [caught] = await proxy.waitForCaught(1);
    expect(caught?.serverStatus, "the server stored the record").toBeLessThan(300);
    controller.abort(new Error("Ctrl-C while the record's answer is on its way"));
    await expectComplete(await log, "v0");
  });

  it("(b) every attempt's answer is held past timeoutMs (1000 ms, 2 retries): the log returns the version, complete", async () => {
    const manager = throughProxy({ timeoutMs: 1000, retries: 2 });
    proxy.arm({ match: RECORD_V0, mode: "answer" });
    const artifact = await manager.logFiles(name, folder);
    expect(proxy.caught.length).toBeGreaterThanOrEqual(1);
    expect(proxy.caught[0]?.serverStatus, "the server stored the record").toBeLessThan(300);
    await expectComplete(artifact, "v0");
  }, 30_000);

  it("(c) the server stores the record but every answer is replaced by a 503: the log returns the version, complete", async () => {
    const manager = throughProxy({ retries: 2 });
    proxy.arm({ match: RECORD_V0, mode: "replace" });
    const artifact = await manager.logFiles(name, folder);
    expect(proxy.caught[0]?.serverStatus, "the server stored the record").toBeLessThan(300);
    await expectComplete(artifact, "v0");
  }, 30_000);

  it("(d) the record request itself is held and the caller aborts: no version, and the late request is refused", async () => {
    const manager = throughProxy();
    proxy.arm({ match: RECORD_V0, mode: "request", count: 1 });
    const controller = new AbortController();
    const reason = new Error("Ctrl-C before the record reached the server");
    const log = manager.logFiles(name, folder, { signal: controller.signal });
    log.catch(() => undefined);
    await proxy.waitForCaught(1);
    controller.abort(reason);
    await expect(log).rejects.toBe(reason);
    expect(await opened.manager.listVersions(name)).toEqual([]);
    expect(await versionFiles("v0")).toEqual([]);
    // The held PUT reaches the server only now, after the log gave v0 up: it must not commit v0.
    const [late] = await proxy.release();
    expect(late, "the server's answer to the late record request").toBeGreaterThanOrEqual(400);
    expect(late).toBeLessThan(500);
    expect(await opened.manager.listVersions(name)).toEqual([]);
    const next = await opened.manager.logFiles(name, folder);
    expect(next.version).toBe("v1");
    expect(await opened.manager.listVersions(name)).toEqual(["v1"]);
    expect(await versionFiles("v0")).toEqual([]);
  });

  it("(e) an abort during the meta/readme.txt write after the record: the log returns the version, complete", async () => {
    const manager = throughProxy();
    proxy.arm({ match: writeOf("meta/readme.txt"), mode: "request" });
    const controller = new AbortController();
    const log = manager.logFiles(name, folder, { signal: controller.signal, description: "kept" });
    log.catch(() => undefined);
    await proxy.waitForCaught(1);
    controller.abort(new Error("Ctrl-C while the readme is written"));
    // The held readme write goes on now (a log that writes it without the caller's signal finishes it).
    await proxy.release();
    await expectComplete(await log, "v0");
    expect((await opened.manager.getVersion(name)).description).toBe("kept");
  });
});
