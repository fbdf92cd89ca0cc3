/** Azure blob URLs of every cloud (public, sovereign, Azure Stack) route to the Azure driver. */
import { describe, expect, it } from "vitest";
import { createAzureServiceClient, parseAzureUrl } from "../../src/drivers/azure-config.js";
import { isArtifactError } from "../../src/errors.js";
import { backendOfUrl, createDriver } from "../../src/storage/create-driver.js";

const ACCOUNT_KEY = Buffer.from("not a real key").toString("base64");

const AZURE_URLS = [
  ["public cloud", "https://acct.blob.core.windows.net/models/team", "https://acct.blob.core.windows.net"],
  [
    "Azure China",
    "https://acct.blob.core.chinacloudapi.cn/models",
    "https://acct.blob.core.chinacloudapi.cn",
  ],
  [
    "Azure US Government",
    "https://acct.blob.core.usgovcloudapi.net/models/a/b",
    "https://acct.blob.core.usgovcloudapi.net",
  ],
  [
    "Azure Stack Hub",
    "https://acct.blob.local.azurestack.external/models",
    "https://acct.blob.local.azurestack.external",
  ],
] as const;

describe("createDriver on https:// Azure blob URLs", () => {
  it.each(AZURE_URLS)("routes %s to the Azure driver", async (_cloud, url, endpoint) => {
    expect(backendOfUrl(url)).toBe("azure");
    const driver = await createDriver(url, { accountKey: ACCOUNT_KEY });
    try {
      expect(driver.backend).toBe("azure");
      expect(driver.url).toBe(url);
    } finally {
      await driver.close?.();
    }
    // The client talks to that cloud's endpoint (built offline; nothing is sent).
    const location = parseAzureUrl(url);
    expect(location.endpoint).toBe(endpoint);
    const { service } = await createAzureServiceClient(location, { accountKey: ACCOUNT_KEY });
    expect(new URL(service.url).origin).toBe(endpoint);
  });

  it("keeps the container and prefix of a sovereign-cloud URL", () => {
    expect(parseAzureUrl("https://acct.blob.core.chinacloudapi.cn/models/team/a/")).toMatchObject({
      bucket: "models",
      prefix: "team/a/",
      accountName: "acct",
    });
  });

  it.each([
    ["abfs://models/team/a", { bucket: "models", prefix: "team/a/" }],
    ["abfss://models", { bucket: "models", prefix: "" }],
    [
      "abfs://models@acct.dfs.core.windows.net/team",
      {
        bucket: "models",
        prefix: "team/",
        accountName: "acct",
        endpoint: "https://acct.blob.core.windows.net",
      },
    ],
    [
      "abfss://models@acct.dfs.core.chinacloudapi.cn/",
      {
        bucket: "models",
        prefix: "",
        accountName: "acct",
        endpoint: "https://acct.blob.core.chinacloudapi.cn",
      },
    ],
  ] as const)(
    "routes adlfs's %s (Python scaffold's Azure URLs) to the Azure driver",
    async (url, location) => {
      expect(backendOfUrl(url)).toBe("azure");
      expect(parseAzureUrl(url)).toEqual(location);
      const driver = await createDriver(url, { accountName: "acct", accountKey: ACCOUNT_KEY });
      try {
        expect(driver.backend).toBe("azure");
      } finally {
        await driver.close?.();
      }
    },
  );

  it.each([
    "https://example.com/models",
    "https://blob.example.com/models",
    "https://acct.files.core.windows.net/share",
    "http://acct.blob.core.windows.net/models",
  ])("does not take %s for Azure (UNSUPPORTED)", (url) => {
    let error: unknown;
    try {
      backendOfUrl(url);
    } catch (e) {
      error = e;
    }
    expect(isArtifactError(error, "UNSUPPORTED"), String(error)).toBe(true);
  });
});
