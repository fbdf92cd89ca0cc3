/**
 * The three local servers of the cloud benchmark, each as its own process (so that the server's CPU is
 * not counted against the client), with the store URL, storage options and rclone remote of each.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, stopAzurite } from "../test/servers/azurite.js";
import { getFreePort, waitForPort } from "../test/servers/free-port.js";
import { startRadosgw, stopRadosgw } from "../test/servers/radosgw.js";

/** One benchmark target. */
export interface BenchTarget {
  name: string;
  url: string;
  storageOptions: Record<string, unknown>;
  /** The same store configured by environment, as the `artifacts` CLI reads it. */
  cliEnv: Record<string, string>;
  /** rclone remote of the same bucket, e.g. `:s3,…:bucket` (append `/path`). */
  rcloneRemote: string;
  /** The server's processes (their CPU time is reported per step). */
  serverPids: () => Promise<number[]>;
  stop: () => Promise<void>;
}

const BUCKET = "am-bench";

export async function radosgwTarget(): Promise<BenchTarget> {
  // Rounds of 1 GiB per tool: RGW frees deleted data only at its garbage collection (hours later), so
  // the memstore OSD (3 GiB for the tests) gets 12 GiB here, else writes stall once it is full.
  process.env.MEMSTORE_BYTES ??= String(12 * 1024 ** 3);
  const rgw = await startRadosgw();
  const credentials = { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
  // A copy: the SDK tags the credentials object it is given (`$source`), which would then travel
  // into the storage options below.
  const client = new S3Client({
    endpoint: rgw.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { ...credentials },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  client.destroy();
  return {
    name: "s3 (radosgw)",
    url: `s3://${BUCKET}/ours`,
    storageOptions: { endpoint: rgw.endpoint, ...credentials },
    cliEnv: {
      AWS_ENDPOINT_URL: rgw.endpoint,
      AWS_ACCESS_KEY_ID: rgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      AWS_REGION: "us-east-1",
    },
    rcloneRemote: `:s3,provider=Ceph,endpoint='${rgw.endpoint}',access_key_id=test,secret_access_key=testsecret,force_path_style=true:${BUCKET}`,
    serverPids: async () => {
      const files = (await readdir(join(rgw.dir, "run"))).filter((name) => name.endsWith(".pid"));
      return await Promise.all(
        files.map(async (name) => Number(await readFile(join(rgw.dir, "run", name), "utf8"))),
      );
    },
    stop: () => stopRadosgw(rgw.dir),
  };
}

export async function azuriteTarget(): Promise<BenchTarget> {
  const azurite = await startAzurite();
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  await service.getContainerClient(BUCKET).createIfNotExists();
  const sas = generateBlobSASQueryParameters(
    {
      containerName: BUCKET,
      permissions: ContainerSASPermissions.parse("racwdl"),
      expiresOn: new Date(Date.now() + 86_400_000),
    },
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  ).toString();
  return {
    name: "azure (azurite)",
    url: `az://${BUCKET}/ours`,
    storageOptions: { connectionString: azurite.connectionString },
    cliEnv: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
    rcloneRemote: `:azureblob,sas_url='${azurite.endpoint}/${BUCKET}?${sas}':${BUCKET}`,
    serverPids: async () => [azurite.pid],
    stop: () => stopAzurite(azurite.pid),
  };
}

export async function gcsFakeTarget(): Promise<BenchTarget> {
  const port = await getFreePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "test/servers/gcs-fake-server.ts", String(port), BUCKET],
    { stdio: "ignore" },
  );
  await waitForPort(port, 30_000, () => child.exitCode === null);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    name: "gcs (fake server)",
    url: `gs://${BUCKET}/ours`,
    storageOptions: { apiEndpoint: endpoint },
    cliEnv: { STORAGE_EMULATOR_HOST: endpoint },
    rcloneRemote: `:gcs,endpoint='${endpoint}/storage/v1/',anonymous=true:${BUCKET}`,
    serverPids: async () => (child.pid === undefined ? [] : [child.pid]),
    stop: async () => {
      child.kill();
    },
  };
}

/**
 * `target` behind a proxy (bench/delay-proxy.ts, its own process) that delays every packet by `delayMs`
 * each way: a round trip of 2 × `delayMs`, as between a machine and a cloud region. Every address of the
 * server in the target (URL, storage options, CLI environment, rclone remote) points at the proxy.
 */
export async function delayedTarget(target: BenchTarget, delayMs: number): Promise<BenchTarget> {
  const { stop, serverPids, ...described } = target;
  const port = /127\.0\.0\.1:(\d+)/.exec(JSON.stringify(described))?.[1];
  if (port === undefined) throw new Error(`${target.name}: no 127.0.0.1 address to put a proxy in front of`);
  const proxyPort = await getFreePort();
  const proxy = spawn(
    process.execPath,
    ["--import", "tsx", "bench/delay-proxy.ts", String(proxyPort), port, String(delayMs)],
    { stdio: "ignore" },
  );
  await waitForPort(proxyPort, 30_000, () => proxy.exitCode === null);
  const moved = JSON.parse(
    JSON.stringify(described).replaceAll(`127.0.0.1:${port}`, `127.0.0.1:${proxyPort}`),
  ) as Omit<BenchTarget, "stop" | "serverPids">;
  return {
    ...moved,
    name: `${target.name} +${2 * delayMs} ms RTT`,
    serverPids,
    stop: async () => {
      proxy.kill();
      await stop();
    },
  };
}
