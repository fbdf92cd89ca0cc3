/**
 * The web UI over a W&B store (the project's W&B emulator): the same pages through the generic manager
 * path (a file is downloaded alone for a preview or a checkpoint view), and the API key in no page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUiServer, type UiServer } from "../../src/index.js";
import type { WandbArtifactManager } from "../../src/managers/wandb/wandb-artifact-manager.js";
import { type EmulatorFixture, startFixture } from "../managers/wandb/fixtures.js";
import { fillStore } from "./fixture-store.js";

let fixture: EmulatorFixture;
let manager: WandbArtifactManager;
let ui: UiServer;

beforeAll(async () => {
  fixture = await startFixture();
  manager = fixture.manager();
  await fillStore(manager);
  ui = await startUiServer({ manager, storeLabel: "wandb://test-entity/test-project" });
}, 120_000);

afterAll(async () => {
  await ui?.close();
  await manager?.close();
  await fixture?.close();
});

async function get(path: string): Promise<string> {
  const response = await fetch(new URL(path, ui.url));
  const text = await response.text();
  expect(response.status, `${path}: ${text.slice(0, 2000)}`).toBe(200);
  return text;
}

describe("artifacts ui over a W&B store (emulator)", () => {
  it("shows collections, versions, files, previews, diffs and checkpoints, and never the API key", async () => {
    const pages: string[] = [];
    const start = await get("/");
    pages.push(start);
    expect(start).toContain("mnist-classifier");
    expect(start).toContain("wiki-sample");
    const versions = await get("/c/models/a/mnist-classifier");
    pages.push(versions);
    expect(versions).toContain("lower learning rate");
    const version = await get("/c/models/a/mnist-classifier/v/v1");
    pages.push(version);
    expect(version).toContain("samples/");
    expect(version).toMatch(/md5:|sha256:/);
    const readme = await get("/c/models/a/mnist-classifier/v/v1/files/README.md");
    pages.push(readme);
    expect(readme).toContain("Trained for 4 epochs.");
    const csv = await get("/c/datasets/a/wiki-sample/v/v0/files/train.csv");
    expect(csv).toContain("<td>hello, world</td>");
    const checkpoint = await get("/c/models/a/mnist-classifier/v/v1/checkpoint/state.pt?stats=model.fc.bias");
    pages.push(checkpoint);
    expect(checkpoint).toContain("model.fc2.weight");
    expect(checkpoint).toContain('<td class="num">-1.33333</td>');
    const diff = await get("/c/models/a/mnist-classifier/diff?a=v0&b=v1&file=state.pt");
    pages.push(diff);
    expect(diff).toContain("1 tensor added, 0 removed, 3 changed, 1 equal.");
    const raw = await fetch(new URL("/c/models/a/mnist-classifier/v/v1/raw/config.json", ui.url));
    expect(JSON.parse(await raw.text())).toEqual({ lr: 0.0005, layers: [784, 128, 10], dropout: 0.1 });
    for (const page of pages) expect(page.includes(fixture.emulator.apiKey)).toBe(false);
  });
});
