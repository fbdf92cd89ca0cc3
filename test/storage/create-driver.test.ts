/** createDriver on malformed `file://` URLs: a clear INVALID_ARGUMENT, never Node's raw URL error. */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import { createDriver } from "../../src/storage/create-driver.js";

describe("createDriver with file:// URLs", () => {
  it.each([
    ["a relative path written as a host", "file://./x"],
    ["a remote host", "file://server/share/x"],
    ["an encoded slash", "file:///tmp/a%2Fb"],
  ])("rejects %s with INVALID_ARGUMENT naming the URL", async (_what, url) => {
    const error = await createDriver(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isArtifactError(error), String(error)).toBe(true);
    if (!isArtifactError(error)) return;
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toContain(url);
  });

  it("accepts an absolute file URL in any letter case", async () => {
    const root = await mkdtemp(join(tmpdir(), "create-driver-"));
    try {
      const href = pathToFileURL(root).href.replace(/^file:/, "FILE:");
      const driver = await createDriver(href);
      expect(driver.localPath?.("k")).toBe(join(root, "k"));
      await driver.write("k", "v");
      expect(readFileSync(join(root, "k"), "utf8")).toBe("v");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
