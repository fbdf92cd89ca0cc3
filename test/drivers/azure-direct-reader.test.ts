import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  generateAccountSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureDirectReader } from "../../src/drivers/azure-direct-reader.js";
import { POOL_BUFFER_BYTES, takeOver } from "../../src/storage/buffer-pool.js";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { codeOf } from "../fixtures/driver-codes.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, azuriteConnectionString } from "../servers/azurite.js";
import { azureStore, type CloudStore } from "../servers/cloud-stores.js";
import { useSharedServer } from "../servers/shared-servers.js";

async function chunksOf(stream: Readable): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks;
}

/** An account SAS of azurite's account for the Blob service with `permissions` ("rl": read and list). */
function accountSas(permissions: string): string {
  return generateAccountSASQueryParameters(
    {
      permissions: AccountSASPermissions.parse(permissions),
      services: AccountSASServices.parse("b").toString(),
      resourceTypes: AccountSASResourceTypes.parse("sco").toString(),
      expiresOn: new Date(Date.now() + 3_600_000),
    },
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  ).toString();
}

async function text(driver: StorageDriver, key: string, range?: { offset: number; length?: number }) {
  return Buffer.concat(await chunksOf(await driver.read(key, range ? { range } : {}))).toString();
}

describe("azure direct reads (the SDK's signed request on a zero-copy GET)", () => {
  let store: CloudStore;
  let port: number;
  let driver: StorageDriver;
  beforeAll(async () => {
    store = await azureStore();
    port = (await useSharedServer("azurite")).port;
    driver = await createDriver(store.url, store.storageOptions);
  });
  afterAll(async () => {
    await driver.close?.();
    await store.cleanup();
  });

  it("reads a big blob as whole pool buffers the download sink takes over; the SDK path does not", async () => {
    const payload = randomBytes(3 * POOL_BUFFER_BYTES + 5);
    await driver.write("big.bin", payload);
    const chunks = await chunksOf(await driver.read("big.bin"));
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    expect(chunks.filter((chunk) => takeOver(chunk)).length).toBe(3);

    const sdk = await createDriver(store.url, { ...store.storageOptions, directReads: false });
    try {
      const sdkChunks = await chunksOf(await sdk.read("big.bin"));
      expect(Buffer.concat(sdkChunks).equals(payload)).toBe(true);
      expect(sdkChunks.filter((chunk) => takeOver(chunk)).length).toBe(0);
    } finally {
      await sdk.close?.();
    }
  });

  it("reads odd blob names, ranges, empty blobs and ranges past the end", async () => {
    const keys = ["a b/c d.txt", "q?x#y%z.txt", "p!'()*.txt", "ünï/日本語.txt", "plus+and&eq=.txt"];
    for (const key of keys) await driver.write(key, `content of ${key}`);
    for (const key of keys) expect(await text(driver, key)).toBe(`content of ${key}`);
    await driver.write("digits.txt", "0123456789");
    expect(await text(driver, "digits.txt", { offset: 2, length: 3 })).toBe("234");
    expect(await text(driver, "digits.txt", { offset: 7 })).toBe("789");
    expect(await text(driver, "digits.txt", { offset: 10 })).toBe("");
    await driver.write("empty.txt", "");
    expect(await text(driver, "empty.txt")).toBe("");
    expect(await text(driver, "empty.txt", { offset: 0 })).toBe("");
  });

  it("maps error answers as the SDK path does: missing blob, missing container, wrong key", async () => {
    expect(await codeOf(driver.read("never/there.txt"))).toBe("NOT_FOUND");
    const noContainer = await createDriver("az://no-such-container/p", store.storageOptions);
    const wrongKey = await createDriver(store.url, {
      connectionString: azuriteConnectionString(port, Buffer.from("not the key").toString("base64")),
    });
    try {
      const missing = await codeOf(noContainer.read("x"));
      expect(missing).toBe("NOT_FOUND");
      await expect(noContainer.read("x")).rejects.toThrow(/container 'no-such-container' does not exist/);
      await driver.write("secret.txt", "s");
      expect(await codeOf(wrongKey.read("secret.txt"))).toBe("UNAUTHENTICATED");
    } finally {
      await noContainer.close?.();
      await wrongKey.close?.();
    }
  });

  it("reads with a SAS token: the signature travels in the SDK's URL", async () => {
    await driver.write("sas.txt", "read with a SAS");
    const sas = accountSas("rl");
    const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
    const viaSas = await createDriver(store.url, { accountName: AZURITE_ACCOUNT, sasToken: sas, endpoint });
    try {
      const chunks = await chunksOf(await viaSas.read("sas.txt"));
      expect(Buffer.concat(chunks).toString()).toBe("read with a SAS");
      // A SAS without read permission is refused.
      const listOnly = accountSas("l");
      const noRead = await createDriver(store.url, {
        accountName: AZURITE_ACCOUNT,
        sasToken: listOnly,
        endpoint,
      });
      expect(await codeOf(noRead.read("sas.txt"))).toMatch(/PERMISSION_DENIED|UNAUTHENTICATED/);
      await noRead.close?.();
    } finally {
      await viaSas.close?.();
    }
  });

  it("is not used behind a proxy or with an HTTP client of the user's", () => {
    expect(AzureDirectReader.usable({})).toBe(true);
    expect(AzureDirectReader.usable({ proxyOptions: { host: "http://proxy.example", port: 3128 } })).toBe(
      false,
    );
    expect(AzureDirectReader.usable({ httpClient: { sendRequest: async () => ({}) } as never })).toBe(false);
    const saved = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = "http://proxy.example:3128";
    try {
      expect(AzureDirectReader.usable({})).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
    }
  });
});
