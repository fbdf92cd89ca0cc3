import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDriver } from "../../src/storage/create-driver.js";
import { describeDriverConformance } from "../conformance/driver-conformance.js";
import { codeOf, expectMissingStore } from "../fixtures/driver-codes.js";
import { azuriteConnectionString } from "../servers/azurite.js";
import { azureStore, type CloudStore } from "../servers/cloud-stores.js";
import { useSharedServer } from "../servers/shared-servers.js";

describeDriverConformance("azure (azurite)", async () => {
  const store = await azureStore();
  const driver = await createDriver(store.url, store.storageOptions);
  return {
    driver,
    cleanup: async () => {
      await store.cleanup();
      await driver.close?.();
    },
  };
});

describe("azure driver errors and configuration", () => {
  let store: CloudStore;
  let port: number;
  beforeAll(async () => {
    store = await azureStore();
    port = (await useSharedServer("azurite")).port;
  });
  afterAll(async () => store.cleanup());

  it("wrong account key → UNAUTHENTICATED", async () => {
    const wrongKey = Buffer.from("not the key").toString("base64");
    const driver = await createDriver(store.url, {
      connectionString: azuriteConnectionString(port, wrongKey),
    });
    expect(await codeOf(driver.write("x", "y"))).toBe("UNAUTHENTICATED");
    expect(await codeOf(driver.stat("x"))).toBe("UNAUTHENTICATED");
  });

  it("missing container → NOT_FOUND for stat, write, read and list", async () => {
    const driver = await createDriver("az://no-such-container/p", store.storageOptions);
    await expectMissingStore(driver);
  });

  it("no account configured at all → UNAUTHENTICATED naming the variables", async () => {
    const saved = process.env.AZURE_STORAGE_CONNECTION_STRING;
    delete process.env.AZURE_STORAGE_CONNECTION_STRING;
    try {
      expect(await codeOf(createDriver("az://c/p"))).toBe("UNAUTHENTICATED");
    } finally {
      if (saved !== undefined) process.env.AZURE_STORAGE_CONNECTION_STRING = saved;
    }
  });

  it("reads AZURE_STORAGE_CONNECTION_STRING, and streamed create-only writes are enforced (Put Block List)", async () => {
    process.env.AZURE_STORAGE_CONNECTION_STRING = store.storageOptions.connectionString as string;
    try {
      const driver = await createDriver(store.url, { blockSize: 1024 * 1024 });
      const body = () =>
        Readable.from([Buffer.alloc(1024 * 1024, 1), Buffer.alloc(1024 * 1024, 2), Buffer.alloc(10, 3)]);
      expect((await driver.write("big.bin", body(), { ifNotExists: true })).size).toBe(2 * 1024 * 1024 + 10);
      expect(await codeOf(driver.write("big.bin", body(), { ifNotExists: true }))).toBe("ALREADY_EXISTS");
      const tail = Buffer.concat(
        await (await driver.read("big.bin", { range: { offset: 2 * 1024 * 1024 - 2 } })).toArray(),
      );
      expect([...tail]).toEqual([2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    } finally {
      delete process.env.AZURE_STORAGE_CONNECTION_STRING;
    }
  });

  it("parses https://ACCOUNT.blob.core.windows.net/container/prefix URLs", async () => {
    const { parseAzureUrl } = await import("../../src/drivers/azure-config.js");
    expect(parseAzureUrl("https://acct.blob.core.windows.net/models/team/a")).toEqual({
      bucket: "models",
      prefix: "team/a/",
      accountName: "acct",
      endpoint: "https://acct.blob.core.windows.net",
    });
    expect(parseAzureUrl("az://models")).toEqual({ bucket: "models", prefix: "" });
  });
});
