/**
 * The web UI in a real browser (Debian's chromium) over a local store: a user's path, refused writes
 * (no token, another Origin, another Host), path traversal, and a keyboard / alt-text smoke check.
 * Takes the screenshots that docs/ui.md shows (written there with UPDATE_SCREENSHOTS=1: see user-path.ts).
 */

import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager, startUiServer, type UiServer } from "../../src/index.js";
import { launchChromium } from "./browser.js";
import { fillStore } from "./fixture-store.js";
import { IMAGES, walkUserPath } from "./user-path.js";

let dir: string;
let manager: FileSystemArtifactManager;
let ui: UiServer;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ui-local-"));
  manager = new FileSystemArtifactManager({ url: dir });
  await fillStore(manager);
  ui = await startUiServer({ manager, storeLabel: "./artifacts" });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await manager?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function newPage(width = 1200, height = 800): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  return context.newPage();
}

/** A raw HTTP request to the UI (headers exactly as given). */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(path, ui.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? "GET",
        headers: options.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The write token of a confirmation page, read as the browser would get it. */
async function tokenOf(): Promise<string> {
  const page = await send("/c/models/a/mnist-classifier/alias?alias=staging&version=v1");
  const token = /name="token" value="([^"]+)"/.exec(page.body)?.[1];
  if (token === undefined) throw new Error("no token in the confirmation page");
  return token;
}

const ALIAS_PATH = "/c/models/a/mnist-classifier/alias";
const origin = () => ui.url.replace(/\/$/, "");

describe("artifacts ui in chromium, local store", () => {
  it("walks a user's path: store → artifact → version → previews → diff → checkpoint → alias move", {
    timeout: 240_000,
  }, async () => {
    const page = await newPage();
    await walkUserPath(page, ui.url, "ui-");
    expect((await manager.listAliases("mnist-classifier", { collection: "models" })).production).toBe("v1");
    await page.context().close();
  });

  it("is readable on a narrow window (no sideways scrolling of the page) and shot for the docs", async () => {
    const page = await newPage(390, 800);
    for (const path of ["/", "/c/models/a/mnist-classifier", "/c/models/a/mnist-classifier/v/v1"]) {
      await page.goto(new URL(path, ui.url).href);
      const overflow = await page.evaluate(() => {
        const root = (
          globalThis as unknown as {
            document: { documentElement: { scrollWidth: number; clientWidth: number } };
          }
        ).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await page.screenshot({
      path: join(IMAGES, "ui-narrow.png"),
      fullPage: true,
    });
    await page.context().close();
  });

  it("refuses a write without the token, with a wrong token, and without an Origin", async () => {
    const form = "alias=best&version=v1";
    const headers = {
      "content-type": "application/x-www-form-urlencoded",
      origin: origin(),
      host: new URL(ui.url).host,
    };
    expect((await send(ALIAS_PATH, { method: "POST", headers, body: form })).status).toBe(403);
    expect((await send(ALIAS_PATH, { method: "POST", headers, body: `${form}&token=forged` })).status).toBe(
      403,
    );
    const token = await tokenOf();
    const { origin: _o, ...noOrigin } = headers;
    expect(
      (await send(ALIAS_PATH, { method: "POST", headers: noOrigin, body: `${form}&token=${token}` })).status,
    ).toBe(403);
    expect((await manager.listAliases("mnist-classifier", { collection: "models" })).best).toBe("v0");
    // The same request with the token and the UI's Origin goes through (so the refusals above are the checks').
    const ok = await send(ALIAS_PATH, {
      method: "POST",
      headers,
      body: `alias=canary&version=v1&token=${token}`,
    });
    expect(ok.status).toBe(303);
    expect((await manager.listAliases("mnist-classifier", { collection: "models" })).canary).toBe("v1");
  });

  it("refuses a form posted from another origin in the browser, even with a valid token", async () => {
    const token = await tokenOf();
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<form method="post" action="${ui.url}c/models/a/mnist-classifier/alias">
<input type="hidden" name="token" value="${token}"><input type="hidden" name="alias" value="best">
<input type="hidden" name="version" value="v1"><button>win a prize</button></form>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", () => resolve()));
    const page = await newPage();
    try {
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/alias")),
        page.getByRole("button", { name: "win a prize" }).click(),
      ]);
      expect(response.status()).toBe(403);
      expect(await page.locator(".notice").textContent()).toContain("are refused");
      expect((await manager.listAliases("mnist-classifier", { collection: "models" })).best).toBe("v0");
    } finally {
      await page.context().close();
      evil.closeAllConnections();
      await new Promise<void>((resolve) => evil.close(() => resolve()));
    }
  });

  it("answers only to its own Host (DNS rebinding)", async () => {
    expect((await send("/", { headers: { host: `evil.example:${new URL(ui.url).port}` } })).status).toBe(421);
    expect((await send("/", { headers: { host: new URL(ui.url).host } })).status).toBe(200);
  });

  it("gives 404 to path traversal URLs and never serves a file outside the store", async () => {
    for (const path of [
      "/files/..%2f..%2fetc%2fpasswd",
      "/c/models/a/mnist-classifier/v/v1/files/..%2f..%2f..%2f..%2fetc%2fpasswd",
      "/c/models/a/mnist-classifier/v/v1/raw/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
      "/c/models/a/mnist-classifier/v/v1/raw/../../../../../etc/passwd",
      "/c/..%2f..%2f..%2fetc/a/passwd",
      "/c/models/a/..%2f..%2f/v/v0",
      "/c/models/a/mnist-classifier/v/v1/raw/samples%2f..%2f..%2fv0%2fconfig.json",
      "/c/models/a/mnist-classifier/v/v1/raw/%2e%2e/v0/config.json",
    ]) {
      const response = await send(path, { headers: { host: new URL(ui.url).host } });
      expect(response.status, path).toBe(404);
      expect(response.body).not.toContain("root:");
    }
    // In the browser too.
    const page = await newPage();
    const response = await page.goto(new URL("/files/..%2f..%2fetc%2fpasswd", ui.url).href);
    expect(response?.status()).toBe(404);
    await page.context().close();
  });

  it("lets the keyboard reach every control, and every image has alt text", {
    timeout: 180_000,
  }, async () => {
    const page = await newPage();
    for (const path of [
      "/",
      "/c/models/a/mnist-classifier",
      "/c/models/a/mnist-classifier/v/v1",
      "/c/models/a/mnist-classifier/v/v1/files/samples/digit.png",
      "/c/models/a/mnist-classifier/diff?a=v0&b=v1",
      "/c/models/a/mnist-classifier/v/v1/checkpoint/state.pt",
      "/c/models/a/mnist-classifier/alias?alias=best&version=v1",
    ]) {
      await page.goto(new URL(path, ui.url).href);
      const controls = await page.evaluate(() => {
        const doc = (
          globalThis as unknown as {
            document: {
              querySelectorAll(s: string): ArrayLike<{ setAttribute(n: string, v: string): void }>;
            };
          }
        ).document;
        const all = Array.from(
          doc.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [tabindex='0']"),
        );
        for (const [i, el] of all.entries()) el.setAttribute("data-kb", String(i));
        return all.length;
      });
      const reached = new Set<string>();
      for (let i = 0; i < controls + 3; i++) {
        await page.keyboard.press("Tab");
        const id = await page.evaluate(
          () =>
            (
              globalThis as unknown as {
                document: { activeElement: { getAttribute(n: string): string | null } | null };
              }
            ).document.activeElement?.getAttribute("data-kb") ?? null,
        );
        if (id !== null) reached.add(id);
      }
      expect(reached.size, `controls reached by Tab on ${path}`).toBe(controls);
      const missingAlt = await page.locator("img:not([alt]), img[alt='']").count();
      expect(missingAlt, path).toBe(0);
    }
    await page.context().close();
  });
});
