/**
 * A loopback proxy in front of a test server that answers its first `failures` requests with a 503 in
 * S3's XML error format (as a busy S3 or radosgw does), then forwards everything.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { forward } from "../servers/forwarder.js";

/** A running flaky proxy. */
export interface FlakyProxy {
  endpoint: string;
  /** Requests answered with a 503 so far. */
  readonly failed: number;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`http://127.0.0.1:PORT`) whose first `failures` answers are 503s. */
export async function startFlakyProxy(target: string, failures: number): Promise<FlakyProxy> {
  let failed = 0;
  const server = createServer((req, res) => {
    if (failed >= failures) return forward(new URL(target), req, res);
    failed++;
    req.resume();
    res.writeHead(503, { "content-type": "application/xml" });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code>' +
        "<Message>Please reduce your request rate. (test proxy)</Message></Error>",
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get failed() {
      return failed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
