/** One entry per cloud backend: how to get a fresh store on its local test server. */
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { azureStore, type CloudStore, s3Store } from "../../servers/cloud-stores.js";
import { type GcsFake, startGcsFake } from "../../servers/gcs-fake-server.js";

/** A cloud backend under test. */
export interface CloudBackend {
  name: string;
  /** A fresh, empty store (a random prefix); `close` also stops per-file servers. */
  open: () => Promise<CloudStore & { close: () => Promise<void> }>;
  /** The server port behind a store, and storage options that reach it through 127.0.0.1:`proxyPort`. */
  proxied: (
    store: CloudStore,
    proxyPort: number,
  ) => { targetPort: number; storageOptions: Record<string, unknown> };
}

const portOf = (url: string) => Number(new URL(url).port);

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

// In the proxied (failure) tests the SDKs' own retries are off, so that only our retry layer acts.
export const CLOUD_BACKENDS: CloudBackend[] = [
  {
    name: "s3 (radosgw)",
    open: () => noClose(s3Store()),
    proxied: (store, proxyPort) => ({
      targetPort: portOf(store.storageOptions.endpoint as string),
      storageOptions: {
        ...store.storageOptions,
        endpoint: `http://127.0.0.1:${proxyPort}`,
        maxAttempts: 1,
        timeoutMs: 5000,
        readChunkSize: 1024 * 1024,
        readConcurrency: 3,
      },
    }),
  },
  {
    name: "gcs (fake server)",
    open: gcsStore,
    proxied: (store, proxyPort) => ({
      targetPort: portOf(store.storageOptions.apiEndpoint as string),
      storageOptions: {
        apiEndpoint: `http://127.0.0.1:${proxyPort}`,
        retryOptions: { autoRetry: false },
        timeoutMs: 5000,
        readChunkSize: 1024 * 1024,
        readConcurrency: 3,
      },
    }),
  },
  {
    name: "azure (azurite)",
    open: () => noClose(azureStore()),
    proxied: (store, proxyPort) => {
      const connection = store.storageOptions.connectionString as string;
      const targetPort = Number(/BlobEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(connection)?.[1]);
      return {
        targetPort,
        storageOptions: {
          connectionString: connection.replace(`127.0.0.1:${targetPort}`, `127.0.0.1:${proxyPort}`),
          retryOptions: { maxTries: 1 },
          timeoutMs: 5000,
          readChunkSize: 1024 * 1024,
          readConcurrency: 3,
        },
      };
    },
  },
];

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
