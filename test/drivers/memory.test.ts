import { describe, expect, it } from "vitest";
import { createMemoryDriver, deleteMemoryStore } from "../../src/drivers/memory.js";
import { createDriver } from "../../src/storage/create-driver.js";
import { describeDriverConformance, readText } from "../conformance/driver-conformance.js";

describeDriverConformance("memory", async () => ({ driver: createMemoryDriver(), cleanup: async () => {} }));

describe("memory driver", () => {
  it("shares one store between drivers created with the same memory:// URL", async () => {
    const a = await createDriver("memory://shared-test");
    const b = await createDriver("memory://shared-test");
    const other = await createDriver("memory://other-test");
    await a.write("k.txt", "from a");
    expect(await readText(b, "k.txt")).toBe("from a");
    expect(await other.stat("k.txt")).toBeNull();
    deleteMemoryStore("shared-test");
    deleteMemoryStore("other-test");
  });
});
