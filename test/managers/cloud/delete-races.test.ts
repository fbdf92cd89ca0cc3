/** Delete races (downloads, prunes, aliases, crashes stopped at each step) on every cloud backend. */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { describeDeleteRaces } from "../delete-races.js";
import { Gate, gatedDriver } from "../gated-driver.js";
import { rejection } from "../lifecycle-suite.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

for (const backend of CLOUD_BACKENDS)
  describeDeleteRaces(
    `filesystem on ${backend.name}`,
    async () => {
      const { manager, cleanup } = await openManager(backend);
      return { driver: await manager.getDriver(), cleanup };
    },
    { timeout: 120_000 },
  );

/**
 * A big file read in ranged parts (readConcurrency 2, 256 KiB parts): the delete runs after its first
 * part arrived, so its later parts ask for an object that is gone. Never a partial version.
 */
for (const backend of CLOUD_BACKENDS)
  describe(`delete during a ranged read: filesystem on ${backend.name}`, { timeout: 120_000 }, () => {
    it("the download fails NOT_FOUND and leaves nothing in its target", async () => {
      const store = await backend.open();
      const local = await mkdtemp(join(tmpdir(), "am-ranged-delete-"));
      const storageOptions = { ...store.storageOptions, readChunkSize: 256 * 1024, readConcurrency: 2 };
      const plain = new FileSystemArtifactManager({ url: store.url, storageOptions });
      try {
        const big = randomBytes(3 * 1024 * 1024);
        await writeFile(join(local, "big.bin"), big);
        await plain.logFiles("model", join(local, "big.bin"));
        const gate = new Gate();
        const gated = new FileSystemArtifactManager({
          driver: gatedDriver(await plain.getDriver(), {
            afterFirstChunk: (key) => (key.endsWith("/v0/big.bin") ? gate.wait() : undefined),
          }),
        });
        const to = join(local, "out");
        const download = gated.downloadArtifact("model", { to, cache: false });
        await gate.reached;
        await plain.deleteVersion("model", { version: "v0" });
        gate.open();
        const error = await rejection(download);
        expect(isArtifactError(error, "NOT_FOUND"), String(error)).toBe(true);
        expect(await readdir(to).catch(() => [])).toEqual([]);
      } finally {
        await plain.close();
        await store.cleanup();
        await store.close();
        await rm(local, { recursive: true, force: true });
      }
    });
  });
