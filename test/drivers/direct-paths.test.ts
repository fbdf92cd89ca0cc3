/**
 * Where the drivers' own protocol code is on by default (src/drivers/direct-paths.ts): on custom
 * endpoints and loopback emulators, where it was tested; opt-in on the public cloud endpoints.
 */
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAzureServiceClient, parseAzureUrl } from "../../src/drivers/azure-config.js";
import { type DirectPathCloud, isPublicEndpoint, usesDirectPaths } from "../../src/drivers/direct-paths.js";
import { createGcsClient, gcsEndpointOf } from "../../src/drivers/gcs-config.js";
import { resolveS3Config } from "../../src/drivers/s3-config.js";
import { isArtifactError } from "../../src/errors.js";
import { POOL_BUFFER_BYTES, takeOver } from "../../src/storage/buffer-pool.js";
import { createDriver } from "../../src/storage/create-driver.js";
import { clearEnvAroundEach } from "../fixtures/cleared-env.js";
import { AZURITE_KEY } from "../servers/azurite.js";
import { azureStore, type CloudStore } from "../servers/cloud-stores.js";
import { type GcsFake, startGcsFake } from "../servers/gcs-fake-server.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// Environment variables that name an endpoint, cleared around each test and restored after.
clearEnvAroundEach(["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "STORAGE_EMULATOR_HOST"]);

const PUBLIC: Record<DirectPathCloud, string[]> = {
  s3: [
    "https://s3.amazonaws.com",
    "https://s3.eu-west-1.amazonaws.com",
    "https://bucket.s3.us-east-2.amazonaws.com/",
    "https://s3.cn-north-1.amazonaws.com.cn",
    "https://s3.dualstack.us-east-1.api.aws",
    "S3.AMAZONAWS.COM.",
  ],
  gcs: [
    "https://storage.googleapis.com",
    "https://storage.googleapis.com/storage/v1",
    "https://storage.europe-west3.rep.googleapis.com",
    "https://restricted.googleapis.com",
    "storage.googleapis.com",
  ],
  azure: [
    "https://acct.blob.core.windows.net",
    "https://acct.blob.core.windows.net/?sv=2024&sig=x",
    "https://acct.privatelink.blob.core.windows.net",
    "https://acct.blob.core.chinacloudapi.cn",
    "https://acct.blob.core.usgovcloudapi.net",
    "https://acct.z12.blob.storage.azure.net",
  ],
};

const CUSTOM: Record<DirectPathCloud, string[]> = {
  s3: ["http://127.0.0.1:9000", "https://minio.example.com", "https://acct.r2.cloudflarestorage.com"],
  gcs: ["http://127.0.0.1:4443", "localhost:4443", "http://fake-gcs:4443/storage/v1"],
  azure: [
    "http://127.0.0.1:10000/devstoreaccount1",
    "http://azurite:10000/devstoreaccount1",
    "https://acct.blob.local.azurestack.external",
    // A host that merely contains a public suffix is not that cloud's.
    "https://core.windows.net.example.com",
  ],
};

describe("isPublicEndpoint / usesDirectPaths", () => {
  for (const cloud of ["s3", "gcs", "azure"] as const) {
    it(`${cloud}: the SDK's default and the public hosts are public; emulators and custom hosts are not`, () => {
      expect(isPublicEndpoint(cloud, undefined)).toBe(true);
      for (const endpoint of PUBLIC[cloud])
        expect([endpoint, isPublicEndpoint(cloud, endpoint)]).toEqual([endpoint, true]);
      for (const endpoint of CUSTOM[cloud])
        expect([endpoint, isPublicEndpoint(cloud, endpoint)]).toEqual([endpoint, false]);
    });

    it(`${cloud}: off by default on a public endpoint, on with true; on by default on a custom endpoint, off with false`, () => {
      const publicEndpoint = PUBLIC[cloud][0];
      const custom = CUSTOM[cloud][0];
      expect(usesDirectPaths(cloud, undefined, undefined)).toBe(false);
      expect(usesDirectPaths(cloud, publicEndpoint, undefined)).toBe(false);
      expect(usesDirectPaths(cloud, undefined, true)).toBe(true);
      expect(usesDirectPaths(cloud, publicEndpoint, true)).toBe(true);
      expect(usesDirectPaths(cloud, custom, undefined)).toBe(true);
      expect(usesDirectPaths(cloud, custom, false)).toBe(false);
      expect(usesDirectPaths(cloud, publicEndpoint, false)).toBe(false);
    });
  }

  it("a host of one cloud is custom for another", () => {
    expect(isPublicEndpoint("gcs", "https://s3.amazonaws.com")).toBe(false);
    expect(isPublicEndpoint("s3", "https://storage.googleapis.com")).toBe(false);
  });

  it("refuses an option that is not a boolean, naming it", () => {
    try {
      usesDirectPaths("gcs", undefined, "yes", "directReads");
      expect.unreachable();
    } catch (error) {
      expect(isArtifactError(error, "INVALID_ARGUMENT")).toBe(true);
      expect((error as Error).message).toContain("`directReads`");
    }
  });
});

describe("the drivers' settings follow the rule", () => {
  const S3_KEYS = { region: "us-east-1", accessKeyId: "k", secretAccessKey: "s" };

  it("s3: directRequests off on AWS unless asked, on for a custom endpoint unless turned off", () => {
    expect(resolveS3Config(S3_KEYS).directRequests).toBe(false);
    expect(resolveS3Config({ ...S3_KEYS, directRequests: true }).directRequests).toBe(true);
    const aws = { ...S3_KEYS, endpoint: "https://s3.us-east-1.amazonaws.com" };
    expect(resolveS3Config(aws).directRequests).toBe(false);
    expect(resolveS3Config({ ...aws, directRequests: true }).directRequests).toBe(true);
    const custom = { ...S3_KEYS, endpoint: "http://127.0.0.1:9000" };
    expect(resolveS3Config(custom).directRequests).toBe(true);
    expect(resolveS3Config({ ...custom, directRequests: false }).directRequests).toBe(false);
    // The option is the driver's: it never reaches the SDK client's config.
    expect(resolveS3Config({ ...custom, directRequests: true }).client).not.toHaveProperty("directRequests");
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9000";
    expect(resolveS3Config(S3_KEYS).directRequests).toBe(true);
  });

  it("gcs: directReads and directUploads off on googleapis.com unless asked, on for an emulator", async () => {
    const flags = async (options: Record<string, unknown>) => {
      const { directReads, directUploads, storage } = await createGcsClient({ projectId: "p", ...options });
      return { directReads, directUploads, endpoint: gcsEndpointOf(storage as never) };
    };
    expect(await flags({})).toEqual({
      directReads: false,
      directUploads: false,
      endpoint: "https://storage.googleapis.com/storage/v1",
    });
    expect(await flags({ directReads: true, directUploads: true })).toMatchObject({
      directReads: true,
      directUploads: true,
    });
    expect(await flags({ directReads: true })).toMatchObject({ directReads: true, directUploads: false });
    const local = { apiEndpoint: "http://127.0.0.1:4443" };
    expect(await flags(local)).toMatchObject({ directReads: true, directUploads: true });
    expect(await flags({ ...local, directReads: false, directUploads: false })).toMatchObject({
      directReads: false,
      directUploads: false,
    });
    process.env.STORAGE_EMULATOR_HOST = "http://127.0.0.1:4443";
    expect(await flags({})).toMatchObject({ directReads: true, directUploads: true });
    // With the emulator's variable set the SDK still reads from the emulator, whatever `apiEndpoint`
    // says; uploads would go to Google: both count as public.
    expect(await flags({ apiEndpoint: "https://storage.googleapis.com" })).toMatchObject({
      directReads: false,
      directUploads: false,
    });
  });

  it("azure: directReads off on a public Azure cloud unless asked, on for azurite", async () => {
    const direct = async (url: string, options: Record<string, unknown>) => {
      const resolved = await createAzureServiceClient(parseAzureUrl(url), options);
      resolved.directReader?.close();
      return resolved.directReader !== null;
    };
    const keyed = { accountKey: AZURITE_KEY };
    const onAzure = "https://acct.blob.core.windows.net/c/p";
    expect(await direct(onAzure, keyed)).toBe(false);
    expect(await direct(onAzure, { ...keyed, directReads: true })).toBe(true);
    expect(await direct("https://acct.blob.core.chinacloudapi.cn/c/p", keyed)).toBe(false);
    const azurite = { connectionString: "UseDevelopmentStorage=true" };
    expect(await direct("az://c/p", azurite)).toBe(true);
    expect(await direct("az://c/p", { ...azurite, directReads: false })).toBe(false);
    const cloudString = {
      connectionString: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${AZURITE_KEY};EndpointSuffix=core.windows.net`,
    };
    expect(await direct("az://c/p", cloudString)).toBe(false);
    expect(await direct("az://c/p", { ...cloudString, directReads: true })).toBe(true);
  });
});

describe("on the emulators the direct paths are really taken by default", () => {
  let fake: GcsFake;
  const seen: IncomingMessage[] = [];
  beforeAll(async () => {
    fake = await startGcsFake({ buckets: ["direct"], onRequest: (req) => seen.push(req) });
  });
  afterAll(async () => fake.close());

  /** Reads and uploads the fake saw since `from`: whether the SDK's request stack sent each. */
  const sent = (from: number) =>
    seen.slice(from).flatMap((req): Record<string, string>[] => {
      const url = req.url ?? "";
      const sdk = req.headers["x-goog-api-client"] !== undefined;
      if (url.includes("alt=media")) return [{ read: sdk ? "sdk" : "direct" }];
      if (url.includes("uploadType=multipart")) return [{ multipart: sdk ? "sdk" : "direct" }];
      // The SDK opens the resumable session (POST); our chunks are PUTs to the session's URL.
      if (url.includes("upload_id=") && req.method === "PUT") return [{ chunk: sdk ? "sdk" : "direct" }];
      return [];
    });

  const roundTrip = async (options: Record<string, unknown>) => {
    const driver = await createDriver("gs://direct/p", { chunkSize: 256 * 1024, ...options });
    try {
      const from = seen.length;
      await driver.write("small.txt", "small");
      const big = Buffer.alloc(300 * 1024, 7);
      await driver.write("big.bin", Readable.from([big.subarray(0, 150_000), big.subarray(150_000)]));
      const back = Buffer.concat(await (await driver.read("small.txt")).toArray()).toString();
      expect(back).toBe("small");
      return sent(from);
    } finally {
      await driver.close?.();
    }
  };

  it("gcs through STORAGE_EMULATOR_HOST: small and streamed writes and reads skip the SDK", async () => {
    process.env.STORAGE_EMULATOR_HOST = fake.endpoint;
    expect(await roundTrip({})).toEqual([
      { multipart: "direct" },
      { chunk: "direct" },
      { chunk: "direct" },
      { read: "direct" },
    ]);
    // Turned off, the same calls are the SDK's.
    const off = await roundTrip({ directReads: false, directUploads: false });
    expect(off.filter((s) => Object.values(s).includes("direct"))).toEqual([]);
    expect(off).toContainEqual({ read: "sdk" });
  });

  it("gcs through apiEndpoint: the same", async () => {
    expect(await roundTrip({ apiEndpoint: fake.endpoint })).toEqual([
      { multipart: "direct" },
      { chunk: "direct" },
      { chunk: "direct" },
      { read: "direct" },
    ]);
  });

  describe("azure on azurite", () => {
    let store: CloudStore;
    beforeAll(async () => {
      store = await azureStore();
    });
    afterAll(async () => store.cleanup());

    it("reads land in pooled buffers (the zero-copy GET) by default, not with directReads: false", async () => {
      const payload = Buffer.alloc(2 * POOL_BUFFER_BYTES + 3, 9);
      const taken = async (options: Record<string, unknown>) => {
        const driver = await createDriver(store.url, { ...store.storageOptions, ...options });
        try {
          await driver.write("big.bin", payload);
          const chunks = (await (await driver.read("big.bin")).toArray()) as Buffer[];
          expect(Buffer.concat(chunks).equals(payload)).toBe(true);
          return chunks.filter((chunk) => takeOver(chunk)).length;
        } finally {
          await driver.close?.();
        }
      };
      expect(await taken({})).toBe(2);
      expect(await taken({ directReads: false })).toBe(0);
    });
  });
});
