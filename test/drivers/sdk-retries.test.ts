/**
 * Retries made inside the GCS and Azure SDKs are never silent (issue 19): behind a proxy that fails
 * chosen requests, each retry reaches `onRetry`, the GCS client makes no hidden retries of its own, and
 * `retries: 0` means no retry at all, inside the SDKs too. GCS on our fake, Azure on azurite.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { azureRetryDelay } from "../../src/drivers/azure-retry.js";
import { isArtifactError } from "../../src/errors.js";
import { createDriver } from "../../src/storage/create-driver.js";
import type { RetryEvent } from "../../src/storage/layers/retry-event.js";
import { codeOf } from "../fixtures/driver-codes.js";
import { azureStore, type CloudStore } from "../servers/cloud-stores.js";
import { forward, listenOnLoopback } from "../servers/forwarder.js";
import { type GcsFake, startGcsFake } from "../servers/gcs-fake-server.js";

/** A proxy that answers 503 to the next `times` requests `matches` accepts, and forwards the rest. */
class FaultProxy {
  readonly server: Server;
  endpoint = "";
  requests: string[] = [];
  #faults: { matches: (req: IncomingMessage) => boolean; times: number }[] = [];

  constructor(target: () => string) {
    this.server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      const fault = this.#faults.find((f) => f.times > 0 && f.matches(req));
      if (fault === undefined) return forward(new URL(target()), req, res);
      fault.times--;
      req.resume();
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: 503, message: "Backend Error (test proxy)" } }));
    });
  }

  async start(): Promise<this> {
    this.endpoint = await listenOnLoopback(this.server);
    return this;
  }

  fail(times: number, matches: (req: IncomingMessage) => boolean = () => true): void {
    this.#faults.push({ matches, times });
  }

  reset(): void {
    this.#faults = [];
    this.requests = [];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const recorder = () => {
  const events: RetryEvent[] = [];
  return { events, onRetry: (event: RetryEvent) => events.push(event) };
};

describe("gcs: the SDK's retries", () => {
  let fake: GcsFake;
  let proxy: FaultProxy;
  beforeAll(async () => {
    fake = await startGcsFake({ buckets: ["retry"] });
    proxy = await new FaultProxy(() => fake.endpoint).start();
  });
  afterAll(async () => {
    await proxy.close();
    await fake.close();
  });
  afterEach(() => proxy.reset());

  const open = (options: Record<string, unknown>) =>
    createDriver("gs://retry/p", { apiEndpoint: proxy.endpoint, ...options });

  it("a metadata call is not retried inside the SDK: the retry layer retries it, announced", async () => {
    const { events, onRetry } = recorder();
    const driver = await open({ onRetry });
    try {
      await driver.write("k.txt", "x");
      proxy.reset();
      proxy.fail(1);
      expect((await driver.stat("k.txt"))?.size).toBe(1);
      // One failed request and its one retry: the SDK's retry-request sent nothing of its own.
      expect(proxy.requests).toHaveLength(2);
      expect(events).toEqual([
        expect.objectContaining({ type: "retry", attempt: 1, max: 3, backend: "gcs", code: "UNAVAILABLE" }),
      ]);
    } finally {
      await driver.close?.();
    }
  });

  it("a resumable upload through the SDK's stream keeps its session retries, each one announced", async () => {
    const { events, onRetry } = recorder();
    const driver = await open({ onRetry, directUploads: false, chunkSize: 256 * 1024 });
    try {
      proxy.fail(1, (req) => req.method === "POST" && (req.url ?? "").includes("uploadType=resumable"));
      const body = Buffer.alloc(300 * 1024, 3);
      const result = await driver.write("sdk-stream.bin", Readable.from([body]), { ifNotExists: true });
      expect(result.size).toBe(body.length);
      expect(events).toEqual([
        expect.objectContaining({
          type: "retry",
          attempt: 1,
          max: 3,
          delayMs: 1000,
          backend: "gcs",
          reason: expect.stringContaining("503"),
        }),
      ]);
      const back = Buffer.concat(await (await driver.read("sdk-stream.bin")).toArray());
      expect(back.equals(body)).toBe(true);
    } finally {
      await driver.close?.();
    }
  });

  it("a direct resumable upload announces each retry of a chunk", async () => {
    const { events, onRetry } = recorder();
    const driver = await open({ onRetry, chunkSize: 256 * 1024 });
    try {
      proxy.fail(1, (req) => req.method === "PUT" && (req.url ?? "").includes("upload_id="));
      const body = Buffer.alloc(300 * 1024, 4);
      const result = await driver.write("direct-stream.bin", Readable.from([body]));
      expect(result.size).toBe(body.length);
      expect(events).toEqual([
        expect.objectContaining({
          type: "retry",
          attempt: 1,
          max: 3,
          backend: "gcs",
          operation: "write",
          reason: expect.stringContaining("503"),
        }),
      ]);
    } finally {
      await driver.close?.();
    }
  });

  it("retries: 0 makes no retry inside the SDK either", async () => {
    const { events, onRetry } = recorder();
    const driver = await open({ onRetry, retries: 0, directUploads: false });
    try {
      proxy.fail(1, (req) => (req.url ?? "").includes("uploadType=resumable"));
      const write = driver.write("none.bin", Readable.from([Buffer.alloc(1000)]), { ifNotExists: true });
      expect(await codeOf(write)).toBe("UNAVAILABLE");
      expect(proxy.requests.filter((r) => r.includes("uploadType=resumable"))).toHaveLength(1);
      proxy.fail(1);
      expect(await codeOf(driver.stat("none.bin"))).toBe("UNAVAILABLE");
      expect(events).toEqual([]);
    } finally {
      await driver.close?.();
    }
  });

  it("an unreachable endpoint: every attempt is the retry layer's, announced, then UNAVAILABLE", async () => {
    // A server that drops every connection: each request fails with a network error.
    const sockets: Socket[] = [];
    const dropper = createServer();
    dropper.on("connection", (socket) => {
      sockets.push(socket);
      socket.destroy();
    });
    const endpoint = await listenOnLoopback(dropper);
    const { events, onRetry } = recorder();
    const driver = await createDriver("gs://retry/p", { apiEndpoint: endpoint, onRetry });
    try {
      const error = await driver.stat("k").catch((e: unknown) => e);
      expect(isArtifactError(error, "UNAVAILABLE")).toBe(true);
      // The first try and the layer's 3 retries; the SDK added none (it made 4 tries of each before).
      expect(sockets).toHaveLength(4);
      expect(events.map((e) => e.attempt)).toEqual([1, 2, 3]);
    } finally {
      await driver.close?.();
      dropper.close();
    }
  });
});

describe("azure: the SDK's retries", () => {
  let store: CloudStore;
  let proxy: FaultProxy;
  let options: Record<string, unknown>;
  beforeAll(async () => {
    store = await azureStore();
    const connectionString = String(store.storageOptions.connectionString);
    const target = /BlobEndpoint=(http:\/\/[^/;]+)/.exec(connectionString)?.[1] ?? "";
    proxy = await new FaultProxy(() => target).start();
    options = { connectionString: connectionString.replace(target, proxy.endpoint) };
  });
  afterAll(async () => {
    await proxy?.close();
    await store?.cleanup();
  });
  afterEach(() => proxy.reset());

  it("each retry of the SDK's retry policy is announced before its wait", async () => {
    const { events, onRetry } = recorder();
    const driver = await createDriver(store.url, { ...options, onRetry });
    try {
      await driver.write("k.txt", "x");
      proxy.reset();
      proxy.fail(1);
      expect((await driver.stat("k.txt"))?.size).toBe(1);
      expect(proxy.requests).toHaveLength(2);
      // The SDK's policy waits 0 ms before its first retry, 4 s before the second.
      expect(events).toEqual([
        expect.objectContaining({
          type: "retry",
          attempt: 1,
          max: 3,
          delayMs: 0,
          backend: "azure",
          reason: "HTTP 503",
        }),
      ]);
    } finally {
      await driver.close?.();
    }
  });

  it("the caller's retryOptions set the waits announced", async () => {
    const { events, onRetry } = recorder();
    const retryOptions = { maxTries: 3, retryDelayInMs: 20 };
    const driver = await createDriver(store.url, { ...options, onRetry, retryOptions });
    try {
      proxy.fail(2);
      expect(await driver.stat("missing")).toBeNull();
      expect(events.map(({ attempt, max, delayMs }) => ({ attempt, max, delayMs }))).toEqual([
        { attempt: 1, max: 2, delayMs: 0 },
        { attempt: 2, max: 2, delayMs: 20 },
      ]);
    } finally {
      await driver.close?.();
    }
  });

  it("retries: 0 makes no retry inside the SDK either", async () => {
    const { events, onRetry } = recorder();
    const driver = await createDriver(store.url, { ...options, onRetry, retries: 0 });
    try {
      proxy.fail(1);
      // azurite's 503 reads as a busy server.
      expect(["UNAVAILABLE", "RATE_LIMITED"]).toContain(await codeOf(driver.stat("k.txt")));
      expect(proxy.requests).toHaveLength(1);
      expect(events).toEqual([]);
    } finally {
      await driver.close?.();
    }
  });

  it("the announced decision follows the SDK policy's rules", () => {
    const defaults = {};
    expect(azureRetryDelay(defaults, { attempt: 1, method: "GET", status: 503 })).toBe(0);
    expect(azureRetryDelay(defaults, { attempt: 2, method: "GET", status: 500 })).toBe(4000);
    expect(azureRetryDelay(defaults, { attempt: 3, method: "GET", status: 503 })).toBe(12_000);
    expect(azureRetryDelay(defaults, { attempt: 4, method: "GET", status: 503 })).toBeNull();
    expect(azureRetryDelay(defaults, { attempt: 1, method: "GET", status: 404 })).toBeNull();
    expect(azureRetryDelay(defaults, { attempt: 1, method: "GET", status: 429 })).toBeNull();
    const refused = { name: "RestError", message: "connect ECONNREFUSED 127.0.0.1:9", code: "ECONNREFUSED" };
    expect(azureRetryDelay(defaults, { attempt: 1, method: "GET", error: refused })).toBe(0);
    const aborted = { name: "AbortError", message: "The operation was aborted. TIMEOUT" };
    expect(azureRetryDelay(defaults, { attempt: 1, method: "GET", error: aborted })).toBeNull();
    expect(
      azureRetryDelay({ retryPolicyType: 1, retryDelayInMs: 7 }, { attempt: 2, method: "GET", status: 500 }),
    ).toBe(7);
  });
});
