/**
 * Downloads and verify stop at the record's size (issue 18, item 9): an object the store holds longer
 * than its record says (written directly through the driver after the log) is CHECKSUM_MISMATCH naming
 * the file, and no more than the recorded bytes are taken in (progress never passes the size), on
 * every driver: local, memory, S3 (radosgw), GCS (fake), Azure (azurite). Tiny and bigger files; on
 * the cloud stores a counting proxy checks that the driver's reads stop too (not only the disk writes).
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../../src/core/types.js";
import { isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { CLOUD_BACKENDS, openManager } from "../cloud/stores.js";
import { tempFolder } from "./helpers.js";

const KiB = 1024;
const RECORDED = { "tiny.txt": 100, "big.bin": 100 * KiB } as const;
const GROWN = { "tiny.txt": 200 * KiB, "big.bin": 8 * 1024 * KiB } as const;

interface Opened {
  manager: FileSystemArtifactManager;
  cleanup: () => Promise<void>;
}

const STORES: Array<{ name: string; open: (dir: string) => Promise<Opened> }> = [
  {
    name: "local",
    open: async (dir) => ({
      manager: new FileSystemArtifactManager({ url: join(dir, "store") }),
      cleanup: async () => {},
    }),
  },
  {
    name: "memory",
    open: async () => ({
      manager: new FileSystemArtifactManager({ url: `memory://size-cap-${Date.now()}-${Math.random()}` }),
      cleanup: async () => {},
    }),
  },
  ...CLOUD_BACKENDS.map((backend) => ({ name: backend.name, open: () => openManager(backend) })),
];

/** The largest byte count a `file` progress event reported, per path. */
function progressPeak(events: ProgressEvent[]): Record<string, number> {
  const peak: Record<string, number> = {};
  for (const event of events)
    if (event.type === "file") peak[event.path] = Math.max(peak[event.path] ?? 0, event.bytes);
  return peak;
}

describe.each(STORES)("downloads stop at the recorded size on $name", (store) => {
  let dir: { path: string; remove: () => Promise<void> };
  let opened: Opened;
  beforeAll(async () => {
    dir = await tempFolder("am-size-cap-");
    opened = await store.open(dir.path);
    const src = join(dir.path, "src");
    await mkdir(src);
    for (const [path, size] of Object.entries(RECORDED))
      await writeFile(join(src, path), Buffer.alloc(size, 3));
    await opened.manager.logFiles("art", src);
  });
  afterAll(async () => {
    await opened?.cleanup();
    await dir?.remove();
  });

  for (const path of Object.keys(RECORDED) as Array<keyof typeof RECORDED>) {
    it(`${path} grown in the store: CHECKSUM_MISMATCH naming it, at most its recorded bytes read`, async () => {
      const driver = await opened.manager.getDriver();
      const key = `default/art/v0/${path}`;
      await driver.write(key, Buffer.alloc(GROWN[path], 4));
      try {
        const events: ProgressEvent[] = [];
        const to = join(dir.path, `to-${path}`);
        const error = await opened.manager
          .downloadArtifact("art", { to, paths: [path], onProgress: (e) => events.push(e) })
          .catch((e: unknown) => e);
        expect(isArtifactError(error, "CHECKSUM_MISMATCH")).toBe(true);
        expect((error as Error).message).toContain(key);
        expect(progressPeak(events)[path] ?? 0).toBeLessThanOrEqual(RECORDED[path]);
        expect(await readdir(to).catch(() => [])).toEqual([]);

        const verifyEvents: ProgressEvent[] = [];
        const result = await opened.manager.verify("art", { onProgress: (e) => verifyEvents.push(e) });
        expect(result.changed).toEqual([path]);
        expect(progressPeak(verifyEvents)[path] ?? 0).toBeLessThanOrEqual(RECORDED[path]);
      } finally {
        await driver.write(key, Buffer.alloc(RECORDED[path], 3));
        await rm(join(dir.path, `to-${path}`), { recursive: true, force: true });
      }
    });
  }

  it("the restored objects download again", async () => {
    const to = join(dir.path, "to-all");
    await opened.manager.downloadArtifact("art", { to });
    expect((await readdir(to)).sort()).toEqual(["big.bin", "tiny.txt"]);
  });
});

/** A loopback proxy that counts the bytes the server sends. */
async function startCountingProxy(
  targetPort: number,
): Promise<{ port: number; received: () => number; stop: () => Promise<void> }> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    upstream.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    for (const s of [client, upstream])
      s.on("error", () => undefined).on("close", () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(s);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.each(CLOUD_BACKENDS)("the download of a grown object stops taking bytes from $name", (backend) => {
  it("a 64 MiB object recorded as 100 KiB: far less than the object crosses the wire", async () => {
    const dir = await tempFolder("am-size-cap-wire-");
    const opened = await openManager(backend);
    const proxy = await startCountingProxy(backend.proxied(opened.store, 0).targetPort);
    const proxied = new FileSystemArtifactManager({
      url: opened.store.url,
      storageOptions: backend.proxied(opened.store, proxy.port).storageOptions,
    });
    try {
      const src = join(dir.path, "src");
      await mkdir(src);
      await writeFile(join(src, "big.bin"), Buffer.alloc(RECORDED["big.bin"], 3));
      await opened.manager.logFiles("art", src);
      const object = 64 * 1024 * KiB;
      await (await opened.manager.getDriver()).write("default/art/v0/big.bin", Buffer.alloc(object, 4));
      const before = proxy.received();
      const error = await proxied
        .downloadArtifact("art", { to: join(dir.path, "to") })
        .catch((e: unknown) => e);
      expect(isArtifactError(error, "CHECKSUM_MISMATCH")).toBe(true);
      // Reads still running in the background would keep counting.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(proxy.received() - before).toBeLessThan(object / 2);
    } finally {
      await (await proxied.getDriver()).close?.();
      await proxy.stop();
      await opened.cleanup();
      await dir.remove();
    }
  });
});
