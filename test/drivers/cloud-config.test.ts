/** Cloud driver configuration that needs no server: resolved S3 settings and the drivers' capabilities. */
import { S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { SMALL_BODY_LIMIT } from "../../src/drivers/cloud-common.js";
import { resolveS3Config } from "../../src/drivers/s3-config.js";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { clearEnvAroundEach } from "../fixtures/cleared-env.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const MiB = 1024 * 1024;
const S3_KEYS = { region: "us-east-1", accessKeyId: "k", secretAccessKey: "s" };
// Created offline: no request is sent until the driver is used.
const AZURITE = { connectionString: "UseDevelopmentStorage=true" };

describe("writeBufferBytes (what one write holds in memory, for the manager's byte cap)", () => {
  const opened: StorageDriver[] = [];
  const open = async (url: string, options: Record<string, unknown>) => {
    const driver = await createDriver(url, options);
    opened.push(driver);
    return driver;
  };
  afterEach(async () => {
    for (const driver of opened.splice(0)) await driver.close?.();
  });

  it("s3: (queueSize + 1) parts, from the defaults and from storageOptions", async () => {
    expect((await open("s3://b/p", S3_KEYS)).capabilities.writeBufferBytes).toBe(16 * MiB * 5);
    const tuned = await open("s3://b/p", { ...S3_KEYS, partSize: 6 * MiB, queueSize: 2 });
    expect(tuned.capabilities.writeBufferBytes).toBe(18 * MiB);
  });

  it("s3: counts the part size actually used (at least S3's 5 MiB minimum)", async () => {
    const small = await open("s3://b/p", { ...S3_KEYS, partSize: MiB, queueSize: 1 });
    expect(small.capabilities.writeBufferBytes).toBe(10 * MiB);
  });

  it("azure: (concurrency + 1) blocks, from the defaults and from storageOptions", async () => {
    expect((await open("az://c/p", AZURITE)).capabilities.writeBufferBytes).toBe(8 * MiB * 5);
    const tuned = await open("az://c/p", { ...AZURITE, blockSize: 4 * MiB, concurrency: 3 });
    expect(tuned.capabilities.writeBufferBytes).toBe(16 * MiB);
    const small = await open("az://c/p", { ...AZURITE, blockSize: MiB, concurrency: 1 });
    expect(small.capabilities.writeBufferBytes).toBe(SMALL_BODY_LIMIT);
  });

  it("gcs: the resumable chunk being sent plus the next one (at least the one-request limit)", async () => {
    const gcs = { apiEndpoint: "http://127.0.0.1:9", projectId: "p" };
    expect((await open("gs://b/p", gcs)).capabilities.writeBufferBytes).toBe(2 * 16 * MiB);
    const tuned = await open("gs://b/p", { ...gcs, chunkSize: 256 * 1024 });
    expect(tuned.capabilities.writeBufferBytes).toBe(SMALL_BODY_LIMIT);
  });

  it("survives the layers (parallel reads on)", async () => {
    const driver = await open("s3://b/p", { ...S3_KEYS, readConcurrency: 4 });
    expect(driver.capabilities.writeBufferBytes).toBe(16 * MiB * 5);
  });
});

describe("resolveS3Config: followRegionRedirects", () => {
  clearEnvAroundEach(["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]);

  it("is on for AWS itself (no custom endpoint), and the SDK client resolves it so", async () => {
    const { client } = resolveS3Config(S3_KEYS);
    expect(client.followRegionRedirects).toBe(true);
    const sdk = new S3Client(client);
    try {
      expect(sdk.config.followRegionRedirects).toBe(true);
    } finally {
      sdk.destroy();
    }
  });

  it("can be turned off through storageOptions", () => {
    expect(resolveS3Config({ ...S3_KEYS, followRegionRedirects: false }).client.followRegionRedirects).toBe(
      false,
    );
  });

  it("is left to the SDK for a custom endpoint, from storageOptions or the environment", () => {
    const custom = resolveS3Config({ ...S3_KEYS, endpoint: "http://127.0.0.1:9000" });
    expect(custom.client.followRegionRedirects).toBeUndefined();
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9000";
    expect(resolveS3Config(S3_KEYS).client.followRegionRedirects).toBeUndefined();
    expect(resolveS3Config({ ...S3_KEYS, followRegionRedirects: true }).client.followRegionRedirects).toBe(
      true,
    );
  });
});

describe("resolveS3Config: the SDK's sockets", () => {
  it("gives the SDK's agent 128 sockets (its default is 50), for 64 small and 16 large files in flight", async () => {
    const sdk = new S3Client(resolveS3Config(S3_KEYS).client);
    try {
      const handler = sdk.config.requestHandler as unknown as {
        configProvider: Promise<{ httpsAgent: { maxSockets: number } }>;
      };
      expect((await handler.configProvider).httpsAgent.maxSockets).toBe(128);
    } finally {
      sdk.destroy();
    }
  });

  it("keeps a requestHandler from storageOptions", () => {
    const requestHandler = { httpsAgent: { maxSockets: 7 } };
    expect(resolveS3Config({ ...S3_KEYS, requestHandler }).client.requestHandler).toBe(requestHandler);
  });
});
