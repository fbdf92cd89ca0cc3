/** Managers are AsyncDisposable: `await using manager = …` closes it when the block ends. */
import { describe, expect, it, vi } from "vitest";
import { createMemoryDriver } from "../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { WandbArtifactManager } from "../../src/managers/wandb/wandb-artifact-manager.js";

describe("Symbol.asyncDispose", () => {
  it("`await using` closes a FileSystemArtifactManager (and so its driver) at the end of the block", async () => {
    const driver = createMemoryDriver();
    const close = vi.fn(async () => {});
    driver.close = close;
    {
      await using manager = new FileSystemArtifactManager({ driver });
      expect(await manager.listCollectionNames()).toEqual([]);
      expect(close).not.toHaveBeenCalled();
    }
    expect(close).toHaveBeenCalledTimes(1);
  });

  it("the W&B manager disposes through its close() too", async () => {
    const manager = new WandbArtifactManager({
      apiKey: "x".repeat(40),
      entity: "e",
      project: "p",
      baseUrl: "http://127.0.0.1:9",
    });
    const close = vi.spyOn(manager, "close");
    await manager[Symbol.asyncDispose]();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
