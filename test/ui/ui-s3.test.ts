/**
 * The web UI in a real browser over an S3 store on radosgw: the same user's path as on a local store
 * (files streamed and checkpoints read by ranges from the object store), and no credential in any page.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager, startUiServer, type UiServer } from "../../src/index.js";
import { type CloudStore, s3Store } from "../servers/cloud-stores.js";
import { launchChromium } from "./browser.js";
import { fillStore } from "./fixture-store.js";
import { walkUserPath } from "./user-path.js";

let store: CloudStore;
let manager: FileSystemArtifactManager;
let ui: UiServer;
let browser: Browser;

beforeAll(async () => {
  store = await s3Store();
  manager = new FileSystemArtifactManager({ url: store.url, storageOptions: store.storageOptions });
  await fillStore(manager);
  ui = await startUiServer({ manager, storeLabel: store.url });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await manager?.close();
  await store?.cleanup();
});

describe("artifacts ui in chromium, S3 store on radosgw", () => {
  it("walks a user's path: store → artifact → version → previews → diff → checkpoint → alias move", {
    timeout: 240_000,
  }, async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const seen: string[] = [];
    page.on("response", (response) => {
      if ((response.headers()["content-type"] ?? "").startsWith("text/html")) seen.push(response.url());
    });
    await walkUserPath(page, ui.url);
    expect((await manager.listAliases("mnist-classifier", { collection: "models" })).production).toBe("v1");
    // Nothing secret reaches a page: the secret key appears in no page the walk opened (the access key
    // id of the test server, "test", is also part of the bucket's name, and is not a secret).
    const secrets = [store.storageOptions.secretAccessKey as string];
    expect(seen.length).toBeGreaterThan(10);
    for (const url of seen) {
      const body = await (await fetch(url)).text();
      for (const secret of secrets) expect(body.includes(secret), url).toBe(false);
    }
    await context.close();
  });
});
