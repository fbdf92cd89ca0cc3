/** One entry per cloud backend: how to get a fresh store on its local test server. */
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { readAll } from "../../../src/storage/body.js";
import type { ManagerSuiteOptions } from "../../conformance/manager-suite.js";
import { azureStore, type CloudStore, s3Store } from "../../servers/cloud-stores.js";
import { type GcsFake, startGcsFake } from "../../servers/gcs-fake-server.js";

/** A cloud backend under test. */
export interface CloudBackend {
  name: string;
  /** A fresh, empty store (a random prefix); `close` also stops per-file servers. */
  open: () => Promise<CloudStore & { close: () => Promise<void> }>;
}

/** GCS runs against the project's fake, started in the test file's own process. */
async function gcsStore(): Promise<CloudStore & { close: () => Promise<void> }> {
  const fake: GcsFake = await startGcsFake({ buckets: ["am-tests"] });
  const storageOptions = { apiEndpoint: fake.endpoint };
  return {
    url: `gs://am-tests/t-${Date.now().toString(36)}`,
    storageOptions,
    cleanup: async () => {},
    close: () => fake.close(),
  };
}

const noClose = async (store: Promise<CloudStore>) => ({ ...(await store), close: async () => {} });

export const CLOUD_BACKENDS: CloudBackend[] = [
  { name: "s3 (radosgw)", open: () => noClose(s3Store()) },
  { name: "gcs (fake server)", open: gcsStore },
  { name: "azure (azurite)", open: () => noClose(azureStore()) },
];

/** Store hooks of the manager suite that work on any driver. */
export const DRIVER_HOOKS: ManagerSuiteOptions = {
  timeout: 120_000,
  corruptFile: async ({ manager, collection, name, version, path }) => {
    const driver = await (manager as FileSystemArtifactManager).getDriver();
    const key = `${collection}/${name}/${version}/${path}`;
    const original = await readAll(await driver.read(key));
    await driver.write(key, Buffer.from(original.toString("utf8").toUpperCase()));
  },
  readDescription: async ({ manager, collection, name }) => {
    const driver = await (manager as FileSystemArtifactManager).getDriver();
    return (await readAll(await driver.read(`${collection}/${name}/meta/readme.txt`))).toString("utf8");
  },
};

/** A manager on a fresh store of `backend`. */
export async function openManager(backend: CloudBackend) {
  const store = await backend.open();
  const manager = new FileSystemArtifactManager({ url: store.url, storageOptions: store.storageOptions });
  return {
    manager,
    store,
    cleanup: async () => {
      await store.cleanup();
      await (await manager.getDriver()).close?.();
      await store.close();
    },
  };
}
