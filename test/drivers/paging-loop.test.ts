/**
 * A listing whose server keeps announcing a next page with a cursor it already gave (issue 18.8): S3
 * (`NextContinuationToken`), GCS (`nextPageToken`) and Azure (`NextMarker`) listings stop with
 * `UNEXPECTED` after the repeat instead of asking for ever. A small server answers every list call
 * with one object and the same cursor; the test counts the list calls it served.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";

let server: Server | undefined;
let driver: StorageDriver | undefined;
afterEach(async () => {
  await driver?.close?.();
  driver = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Starts a server answering list calls with `page(n)` (n = list calls so far); counts them. */
async function loopingServer(
  isList: (req: IncomingMessage) => boolean,
  answer: (res: ServerResponse, n: number) => void,
): Promise<{ url: string; lists: () => number }> {
  let lists = 0;
  server = createServer((req, res) => {
    req.resume();
    if (!isList(req)) return void res.writeHead(404).end();
    lists++;
    answer(res, lists);
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lists: () => lists };
}

/** Lists everything, failing the test past `limit` entries (the old code never stopped). */
async function listAll(d: StorageDriver, limit = 50): Promise<unknown> {
  let n = 0;
  try {
    for await (const _ of d.list("")) if (++n > limit) return `listed more than ${limit} entries`;
    return "ended";
  } catch (error) {
    return isArtifactError(error) ? error.code : error;
  }
}

describe("a listing cursor that repeats is an error (issue 18.8)", () => {
  it("S3: the same NextContinuationToken twice", async () => {
    const fake = await loopingServer(
      (req) => req.method === "GET" && (req.url ?? "").includes("list-type=2"),
      (res, n) =>
        res
          .writeHead(200, { "content-type": "application/xml" })
          .end(
            `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>${n === 1 ? "first" : "loop"}</NextContinuationToken><Contents><Key>k${n}</Key><Size>1</Size></Contents></ListBucketResult>`,
          ),
    );
    driver = await createDriver("s3://b", {
      endpoint: fake.url,
      accessKeyId: "x",
      secretAccessKey: "y",
      region: "us-east-1",
    });
    expect(await listAll(driver)).toBe("UNEXPECTED");
    expect(fake.lists()).toBe(3); // first, loop, loop again: refused
  });

  it("GCS: the same nextPageToken twice", async () => {
    const fake = await loopingServer(
      (req) => req.method === "GET" && /\/b\/b\/o(\?|$)/.test(req.url ?? ""),
      (res, n) =>
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            kind: "storage#objects",
            items: [{ name: `k${n}`, size: "1" }],
            nextPageToken: "loop",
          }),
        ),
    );
    driver = await createDriver("gs://b", { apiEndpoint: fake.url, projectId: "p" });
    expect(await listAll(driver)).toBe("UNEXPECTED");
    expect(fake.lists()).toBe(2);
  });

  it("Azure: the same NextMarker twice", async () => {
    const fake = await loopingServer(
      (req) => req.method === "GET" && (req.url ?? "").includes("comp=list"),
      (res, n) =>
        res
          .writeHead(200, { "content-type": "application/xml", "x-ms-version": "2025-01-05" })
          .end(
            `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://x/" ContainerName="c"><Blobs><Blob><Name>k${n}</Name><Properties><Content-Length>1</Content-Length><Last-Modified>Mon, 07 Dec 2026 00:00:00 GMT</Last-Modified><Etag>"e"</Etag><BlobType>BlockBlob</BlobType></Properties></Blob></Blobs><NextMarker>loop</NextMarker></EnumerationResults>`,
          ),
    );
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=${fake.url}/devstoreaccount1;`;
    driver = await createDriver("az://c", { connectionString });
    expect(await listAll(driver)).toBe("UNEXPECTED");
    expect(fake.lists()).toBe(2);
  });
});
