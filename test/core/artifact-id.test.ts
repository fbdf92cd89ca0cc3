import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createArtifactId } from "../../src/core/artifact-id.js";
import { validateArtifactName } from "../../src/core/names.js";
import { isArtifactError } from "../../src/errors.js";
import {
  assertArtifactIdExists,
  assertArtifactIdUnused,
  createUniqueArtifactId,
} from "../../src/managers/artifact-id-checks.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";

describe("artifact ids", () => {
  it("are prefix + random words + UTC timestamp and valid artifact names", () => {
    const id = createArtifactId({
      prefix: "train",
      date: new Date("2026-11-26T19:30:05Z"),
      randomInt: () => 0,
    });
    expect(id).toBe("train-amber-badger-20261126-193005");
    const random = createArtifactId({ words: 3 });
    expect(random).toMatch(/^[a-z]+-[a-z]+-[a-z]+-\d{8}-\d{6}$/);
    validateArtifactName(random);
    expect(new Set(Array.from({ length: 50 }, () => createArtifactId())).size).toBeGreaterThan(40);
  });

  it("reject a bad prefix or word count", () => {
    expect(() => createArtifactId({ prefix: "bad/prefix" })).toThrow(
      expect.objectContaining({ code: "INVALID_NAME" }),
    );
    expect(() => createArtifactId({ words: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("check that a target id is unused and an input id exists", async () => {
    const root = await mkdtemp(join(tmpdir(), "am-ids-"));
    try {
      const manager = new FileSystemArtifactManager({ url: join(root, "store") });
      const id = await createUniqueArtifactId(manager, { prefix: "run" });
      await assertArtifactIdUnused(manager, id);
      const missing = await assertArtifactIdExists(manager, id).catch((e: unknown) => e);
      expect(isArtifactError(missing, "NOT_FOUND")).toBe(true);
      await writeFile(join(root, "f.txt"), "x");
      await manager.logFiles(id, join(root, "f.txt"), { collection: "runs" });
      await assertArtifactIdExists(manager, id);
      await assertArtifactIdExists(manager, id, { collection: "runs" });
      const taken = await assertArtifactIdUnused(manager, id).catch((e: unknown) => e);
      expect(isArtifactError(taken, "ALREADY_EXISTS")).toBe(true);
      await assertArtifactIdUnused(manager, id, { collection: "other" });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
