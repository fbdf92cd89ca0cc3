/**
 * Every writer's bytes are its own (issue 17.5): two logs in one process (same host, same pid) that claim
 * the same number in the same millisecond write different claim bytes, so the retry layer's read-back
 * of a create-only write whose answer was lost never takes the other writer's claim for its own.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { ArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { withRetry } from "../../../src/storage/layers/retry.js";
import { withoutAtomicRename } from "../../fixtures/filesystem/without-atomic-rename.js";
import { tempFolder } from "./helpers.js";

/** `base` on the object-store path, with hooks before every write and after every listing. */
function around(
  base: StorageDriver,
  hooks: { before?: (key: string) => Promise<void>; listed?: (prefix: string) => void },
): StorageDriver {
  return {
    ...withoutAtomicRename(base),
    write: async (key, body, options) => {
      await hooks.before?.(key);
      return base.write(key, body, options);
    },
    list: async function* (prefix, options) {
      yield* base.list(prefix, options);
      hooks.listed?.(prefix);
    },
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempFolder("claim-nonce-");
  // One frozen millisecond for both writers: equal createdAt in both claims.
  vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-12-07T04:00:00.000Z") });
});
afterEach(async () => {
  vi.useRealTimers();
  await dir.remove();
});

it("a lost claim answer retried after another writer claimed the same number in the same ms is not taken for ours", async () => {
  const store = createMemoryDriver();
  const claimKey = "default/art/meta/versions/v0.claim";
  const bClaimed = deferred();
  const aDecided = deferred();
  let aFirstClaim = true;
  // Writer A: its first claim of v0 "reaches" nobody (a retryable failure, as a lost answer looks),
  // and only after B holds v0; A's retry then meets ALREADY_EXISTS and reads the claim back. A has
  // decided once it claims another number, or (had it taken B's claim for its own) has checked that
  // v0/ is empty.
  const a = withRetry(
    around(store, {
      before: async (key) => {
        if (key === claimKey && aFirstClaim) {
          aFirstClaim = false;
          await bClaimed.promise;
          throw new ArtifactError("UNAVAILABLE", "injected: connection reset", { retryable: true });
        }
        if (key.endsWith(".claim") && key !== claimKey) aDecided.resolve();
      },
      listed: (prefix) => {
        if (prefix === "default/art/v0/") aDecided.resolve();
      },
    }),
    { minDelayMs: 1 },
  );
  // Writer B: claims v0, and uploads its first file only once A has decided.
  const b = around(store, {
    before: async (key) => {
      if (key === claimKey) return;
      if (key.startsWith("default/art/v0/")) await aDecided.promise;
    },
  });
  const bClaimWatcher = setInterval(async () => {
    if (await store.stat(claimKey)) bClaimed.resolve();
  }, 1);
  await writeFile(join(dir.path, "a.bin"), "A".repeat(1000));
  await writeFile(join(dir.path, "b.bin"), "B".repeat(1000));
  // Same file name in both logs: a shared number would mix their bytes.
  const logA = new FileSystemArtifactManager({ driver: a }).logFiles("art", join(dir.path, "a.bin"), {
    artifactPath: "f.bin",
  });
  const logB = new FileSystemArtifactManager({ driver: b }).logFiles("art", join(dir.path, "b.bin"), {
    artifactPath: "f.bin",
  });
  const [resultA, resultB] = await Promise.allSettled([logA, logB]);
  clearInterval(bClaimWatcher);
  expect(resultA).toMatchObject({ status: "fulfilled", value: { version: "v1" } });
  expect(resultB).toMatchObject({ status: "fulfilled", value: { version: "v0" } });
  const reader = new FileSystemArtifactManager({ driver: store });
  for (const [version, letter] of [
    ["v0", "B"],
    ["v1", "A"],
  ] as const) {
    expect(await reader.verify("art", { version })).toMatchObject({ ok: true });
    const to = join(dir.path, `get-${version}`);
    await reader.downloadArtifact("art", { version, to });
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(join(to, "f.bin"), "utf8")).toBe(letter.repeat(1000));
  }
  const claims = [0, 1].map(async (n) =>
    JSON.parse(
      Buffer.concat(await (await store.read(`default/art/meta/versions/v${n}.claim`)).toArray()).toString(),
    ),
  );
  const [c0, c1] = await Promise.all(claims);
  expect(c0.createdAt).toBe(c1.createdAt);
  expect(c0.nonce).toMatch(/^[0-9a-f]{32}$/);
  expect(c0.nonce).not.toBe(c1.nonce);
});
