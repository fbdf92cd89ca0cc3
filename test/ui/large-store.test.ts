/**
 * A store with 1,000 artifacts × 100 versions: the start page renders its first page of artifacts, and
 * only that page's artifacts are read (counted listings, not a timing; the timing is in bench/ui.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createLocalDriver,
  FileSystemArtifactManager,
  type StorageDriver,
  startUiServer,
  type UiServer,
} from "../../src/index.js";
import { artifactName, makeLargeStore } from "./large-store.js";

let dir: string;
let ui: UiServer;
let manager: FileSystemArtifactManager;
const versionListings = new Set<string>();

/** The local driver, noting which artifacts' records were listed. */
function countingDriver(root: string): StorageDriver {
  const driver = createLocalDriver({ root });
  return new Proxy(driver, {
    get(target, key, receiver) {
      if (key === "list") {
        return (prefix: string, options?: object) => {
          const artifact = /^big\/([^/]+)\/meta\/versions\/$/.exec(prefix)?.[1];
          if (artifact !== undefined) versionListings.add(artifact);
          return target.list(prefix, options);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ui-large-"));
  await makeLargeStore(dir, { collection: "big", artifacts: 1000, versions: 100 });
  manager = new FileSystemArtifactManager({ driver: countingDriver(dir) });
  await manager.setAlias(artifactName(0), "best", { collection: "big", version: "v42" });
  ui = await startUiServer({ manager });
}, 120_000);

afterAll(async () => {
  await ui?.close();
  await manager?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const rowsOf = (page: string) =>
  [
    ...page.matchAll(
      /<tr>\s*<td><a href="\/c\/big\/a\/(art-\d{4})">[^<]*<\/a><\/td>\s*<td class="num">(\d+)<\/td>\s*<td><a href="[^"]+">(v\d+)<\/a>/g,
    ),
  ].map((m) => ({ name: m[1], versions: Number(m[2]), latest: m[3] }));

describe("a large store (1,000 artifacts × 100 versions)", () => {
  it("renders the first page of artifacts and reads only that page's artifacts", async () => {
    versionListings.clear();
    const response = await fetch(ui.url);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("(1000 artifacts)");
    const rows = rowsOf(page);
    expect(rows.map((r) => r.name)).toEqual(Array.from({ length: 25 }, (_, i) => artifactName(i)));
    expect(rows.every((r) => r.versions === 100 && r.latest === "v99")).toBe(true);
    expect(page).toContain("best → v42");
    expect(page).toContain('href="/c/big?page=2"');
    expect([...versionListings].sort()).toEqual(rows.map((r) => r.name));
  });

  it("pages lazily to the last page, and through an artifact's 100 versions", async () => {
    versionListings.clear();
    const last = await (await fetch(new URL("/c/big?page=40", ui.url))).text();
    expect(last).toContain("Page 40 of 40 (1000 in all)");
    expect(rowsOf(last).map((r) => r.name)).toEqual(
      Array.from({ length: 25 }, (_, i) => artifactName(975 + i)),
    );
    expect(versionListings.size).toBe(25);
    const versions = await (await fetch(new URL(`/c/big/a/${artifactName(7)}?page=4`, ui.url))).text();
    expect(versions).toContain("Page 4 of 4 (100 in all)");
    const shown = [...versions.matchAll(/<th scope="row"><a href="[^"]+">(v\d+)<\/a><\/th>/g)].map(
      (m) => m[1],
    );
    expect(shown).toEqual(Array.from({ length: 25 }, (_, i) => `v${24 - i}`));
  });
});
