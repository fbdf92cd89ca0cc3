/**
 * Fresh, empty stores on the local test servers: a random prefix in a shared bucket/container, with
 * the `storageOptions` to reach it and a cleanup that deletes everything under the prefix.
 */
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { useSharedServer } from "./shared-servers.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** A store URL with its storage options. */
export interface CloudStore {
  url: string;
  storageOptions: Record<string, unknown>;
  /** Deletes every object under the store's prefix. */
  cleanup: () => Promise<void>;
}

/** The bucket (and container) every cloud test uses. */
export const TEST_BUCKET = "am-tests";

const id = () => `t-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;

/** A fresh prefix on the shared radosgw, with static test keys. */
export async function s3Store(): Promise<CloudStore> {
  const rgw = await useSharedServer("radosgw");
  const storageOptions = {
    endpoint: rgw.endpoint,
    accessKeyId: rgw.accessKeyId,
    secretAccessKey: rgw.secretAccessKey,
    region: "us-east-1",
  };
  const client = new S3Client({
    endpoint: rgw.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: TEST_BUCKET })).catch((error: { name?: string }) => {
    if (error.name !== "BucketAlreadyOwnedByYou" && error.name !== "BucketAlreadyExists") throw error;
  });
  client.destroy();
  return withCleanup(`s3://${TEST_BUCKET}/${id()}`, storageOptions);
}

/** A fresh prefix on the shared azurite, through its connection string. */
export async function azureStore(): Promise<CloudStore> {
  const azurite = await useSharedServer("azurite");
  const storageOptions = { connectionString: azurite.connectionString };
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  await service.getContainerClient(TEST_BUCKET).createIfNotExists();
  return withCleanup(`az://${TEST_BUCKET}/${id()}`, storageOptions);
}

async function withCleanup(url: string, storageOptions: Record<string, unknown>): Promise<CloudStore> {
  return {
    url,
    storageOptions,
    cleanup: async () => {
      const driver = await createDriver(url, storageOptions);
      await deleteAll(driver);
      await driver.close?.();
    },
  };
}

/** Deletes every key of a driver, a few at a time. */
export async function deleteAll(driver: StorageDriver): Promise<void> {
  const keys: string[] = [];
  for await (const entry of driver.list("")) if (entry.type === "object") keys.push(entry.key);
  const { mapConcurrent } = await import("../../src/util/map-concurrent.js");
  await mapConcurrent(keys, (key) => driver.delete(key), { concurrency: 16 });
}
