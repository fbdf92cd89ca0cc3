/**
 * A user's path through the UI in a real browser, used on a local store and on radosgw: open the store,
 * an artifact, a version, file previews, a diff of two versions, a checkpoint's tensor table, then
 * move an alias. Screenshots of the main pages are taken when asked: into docs/images/ with
 * `UPDATE_SCREENSHOTS=1` (they show dates, so every run would change them), else into a temporary folder.
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { expect } from "vitest";

/** Where screenshots go: docs/images/ of the repository with UPDATE_SCREENSHOTS=1, else a temporary folder. */
export const IMAGES =
  process.env.UPDATE_SCREENSHOTS === "1"
    ? fileURLToPath(new URL("../../docs/images/", import.meta.url))
    : join(tmpdir(), "am-ui-screenshots");

async function shot(page: Page, name: string | undefined): Promise<void> {
  if (name === undefined) return;
  mkdirSync(IMAGES, { recursive: true });
  await page.screenshot({ path: join(IMAGES, `${name}.png`), fullPage: true });
}

/** Walks the path; `screenshots` names a prefix for the pictures (undefined: none). */
export async function walkUserPath(page: Page, baseUrl: string, screenshots?: string): Promise<void> {
  const name = (s: string) => (screenshots === undefined ? undefined : `${screenshots}${s}`);
  // Start: collections with their artifacts.
  await page.goto(baseUrl);
  await expect.poll(() => page.locator("h1").textContent()).toBe("Collections");
  const row = page.locator("tr", { has: page.getByRole("link", { name: "mnist-classifier", exact: true }) });
  await expect.poll(() => row.locator("td").nth(1).textContent()).toBe("2");
  expect(await row.textContent()).toContain("best → v0");
  expect(await page.getByRole("link", { name: "wiki-sample" }).count()).toBe(1);
  await shot(page, name("start"));

  // An artifact: the timeline, newest first.
  await page.getByRole("link", { name: "mnist-classifier", exact: true }).click();
  await expect.poll(() => page.locator("h1").textContent()).toBe("mnist-classifier");
  const versions = await page.locator("tbody tr th[scope=row]").allTextContents();
  expect(versions).toEqual(["v1", "v0"]);
  expect(await page.locator("tbody").textContent()).toContain("lower learning rate");
  await shot(page, name("versions"));

  // A version: facts, metadata, provenance, file tree with digests.
  await page.getByRole("link", { name: "v1", exact: true }).click();
  await expect.poll(() => page.locator("h1").textContent()).toContain("mnist-classifier:v1");
  const tree = page.locator("table.tree");
  expect(await tree.textContent()).toContain("samples/");
  expect(await tree.textContent()).toMatch(/sha256:[0-9a-f]{12}/);
  expect(await page.getByRole("heading", { name: "Provenance" }).count()).toBe(1);
  await shot(page, name("version"));

  // File previews: text, CSV rows, an image that the browser decodes.
  await page.getByRole("link", { name: "README.md", exact: true }).click();
  expect(await page.getByLabel("Text preview").textContent()).toContain("Trained for 4 epochs.");
  await page.goBack();
  await page.getByRole("link", { name: "metrics.csv", exact: true }).click();
  const csv = page.getByRole("region", { name: "CSV preview" });
  expect(await csv.locator("th").allTextContents()).toEqual(["epoch", "loss", "accuracy"]);
  expect(await csv.locator("tbody tr").count()).toBe(4);
  await shot(page, name("file-csv"));
  await page.goBack();
  await page.getByRole("link", { name: "samples/digit.png" }).click();
  const img = page.locator("img.preview");
  expect(await img.getAttribute("alt")).toBe("Preview of samples/digit.png");
  await expect
    .poll(() =>
      img.evaluate((el) => {
        const image = el as unknown as { complete: boolean; naturalWidth: number };
        return image.complete && image.naturalWidth;
      }),
    )
    .toBe(64);
  await page.goBack();

  // Diff of two versions: from the timeline's compare form.
  await page.getByRole("link", { name: "mnist-classifier", exact: true }).first().click();
  await page.getByLabel("From").selectOption("v0");
  await page.getByLabel("To").selectOption("v1");
  await page.getByRole("button", { name: "Compare" }).click();
  await expect.poll(() => page.locator("h1").textContent()).toBe("mnist-classifier: v0 → v1");
  const status = await page.getByRole("status").textContent();
  expect(status).toBe("1 added, 1 removed, 5 changed, 1 unchanged.");
  await shot(page, name("diff"));
  await page.getByRole("link", { name: "line diff of README.md" }).click();
  const lines = page.getByRole("region", { name: "Line diff of README.md" });
  expect(await lines.locator("tr.del").textContent()).toContain("Trained for 3 epochs.");
  expect(await lines.locator("tr.add").textContent()).toContain("Trained for 4 epochs.");
  await page.goBack();
  await page.getByRole("link", { name: "tensor diff of state.pt" }).click();
  const tensors = page.getByRole("region", { name: "Tensor diff of state.pt" });
  const rowOf = (key: string) => tensors.locator("tr", { has: page.locator("th", { hasText: key }) });
  expect(await rowOf("model.fc2.weight").textContent()).toContain("added");
  expect(await rowOf("model.embed.weight").textContent()).toContain("float32 [6, 2] → float32 [4, 3]");
  expect(await rowOf("model.fc.weight").textContent()).toMatch(/0\.25\s*1 of 12/);
  await shot(page, name("tensor-diff"));

  // The checkpoint view: tensor table, statistics on demand, optimizer / scheduler / extras.
  await page.goto(new URL("/c/models/a/mnist-classifier/v/v1", baseUrl).href);
  await page.getByRole("link", { name: "Checkpoint view of state.pt" }).click();
  const model = page.getByRole("region", { name: "Model tensors" });
  const bias = model.locator("tr", { has: page.locator("th", { hasText: "model.fc.bias" }) });
  expect(await bias.textContent()).toContain("float32");
  expect(await bias.textContent()).toContain("[4]");
  await bias.getByRole("link", { name: "Statistics of model.fc.bias" }).click();
  const stats = page
    .getByRole("region", { name: "Model tensors" })
    .locator("tr", { has: page.locator("th", { hasText: "model.fc.bias" }) })
    .locator("td.num");
  // elements, size, min, max, mean, NaN, Inf (one NaN among 0, -1, NaN, -3)
  expect(await stats.allTextContents()).toEqual(["4", "16 B", "-3", "0", "-1.33333", "1", "0"]);
  expect(await page.getByRole("heading", { name: /^Optimizer/ }).count()).toBe(1);
  expect(await page.getByRole("heading", { name: /^Scheduler/ }).count()).toBe(1);
  expect(await page.getByRole("region", { name: "Extras values" }).textContent()).toContain("epoch");
  await shot(page, name("checkpoint"));

  // Move an alias: review, confirm, and the version page says so.
  await page.goto(new URL("/c/models/a/mnist-classifier/v/v1", baseUrl).href);
  await page.getByRole("combobox", { name: "Alias" }).fill("production");
  await page.getByRole("button", { name: "Review the move…" }).click();
  expect(await page.locator(".notice").textContent()).toContain("Move alias production from v0 to v1?");
  await shot(page, name("alias-confirm"));
  await page.getByRole("button", { name: "Yes, point production at v1" }).click();
  expect(await page.getByRole("status").textContent()).toBe("Alias production now points at v1.");
  expect(await page.locator("h1").textContent()).toContain("production");
}
