/** Whatever a record holds is shown as text, never as markup; every page carries the strict CSP. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager, startUiServer, type UiServer } from "../../src/index.js";

const EVIL = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
let dir: string;
let manager: FileSystemArtifactManager;
let ui: UiServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ui-escape-"));
  await writeFile(join(dir, "a<b>.txt"), EVIL);
  manager = new FileSystemArtifactManager({ url: `memory://ui-escape-${Date.now()}` });
  await manager.logFiles("evil", join(dir, "a<b>.txt"), { description: EVIL, metadata: { note: EVIL } });
  ui = await startUiServer({ manager, storeLabel: "https://acct.blob.core.windows.net/c?sig=SECRET" });
});

afterAll(async () => {
  await ui?.close();
  await manager?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("escaping and headers", () => {
  it("shows descriptions, metadata, file names and contents as text", async () => {
    for (const path of [
      "/c/default/a/evil",
      "/c/default/a/evil/v/v0",
      "/c/default/a/evil/v/v0/files/a%3Cb%3E.txt",
    ]) {
      const response = await fetch(new URL(path, ui.url));
      const page = await response.text();
      expect(response.status, path).toBe(200);
      expect(page, path).not.toContain("<script>");
      expect(page, path).not.toContain("<img src=x");
      expect(page, path).toContain("&lt;script&gt;");
      expect(page, path).not.toContain("SECRET");
      expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    }
  });
});
