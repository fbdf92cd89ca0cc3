/** Our SigV4 signatures: AWS's published example, and the AWS SDK's own signer on the same requests. */
import { S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import {
  EMPTY_PAYLOAD_SHA256,
  type SigV4Request,
  SigV4Signer,
  sha256Hex,
} from "../../src/drivers/s3-sigv4.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const EXAMPLE = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

/** The SDK's signer of an S3 client (the one the client signs its own requests with). */
async function sdkSign(
  request: SigV4Request & { body?: Buffer },
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  date: Date,
): Promise<Record<string, string>> {
  const client = new S3Client({
    region: "eu-west-3",
    credentials,
    endpoint: "http://127.0.0.1:9",
    forcePathStyle: true,
  });
  const config = client.config as unknown as {
    signer: (
      scheme: unknown,
    ) => Promise<{ sign: (r: unknown, o: unknown) => Promise<{ headers: Record<string, string> }> }>;
  };
  const signer = await config.signer({ name: "sigv4", signingName: "s3", signingRegion: "eu-west-3" });
  const signed = await signer.sign(
    { protocol: "http:", hostname: "127.0.0.1", port: 9, ...request },
    { signingDate: date, signingRegion: "eu-west-3", signingService: "s3" },
  );
  client.destroy();
  return signed.headers;
}

describe("SigV4 signer", () => {
  it("signs AWS's example GET Object as AWS's documentation does", () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Example: GET Object"
    const headers = new SigV4Signer().sign(
      {
        method: "GET",
        path: "/test.txt",
        query: {},
        headers: { host: "examplebucket.s3.amazonaws.com", range: "bytes=0-9" },
      },
      {
        credentials: EXAMPLE,
        region: "us-east-1",
        service: "s3",
        payloadHash: EMPTY_PAYLOAD_SHA256,
        date: new Date("2013-05-24T00:00:00Z"),
      },
    );
    expect(headers.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
    expect(headers["x-amz-date"]).toBe("20130524T000000Z");
  });

  const date = new Date("2026-11-27T13:14:15.678Z");
  const cases: { name: string; request: SigV4Request; body?: Buffer; sessionToken?: string }[] = [
    {
      name: "a ranged GET with the SDK's x-id",
      request: {
        method: "GET",
        path: "/bucket/some%20dir/k%28%21%29.bin",
        query: { "x-id": "GetObject" },
        headers: { host: "127.0.0.1:9", range: "bytes=5-" },
      },
    },
    {
      name: "a create-only PUT of bytes, with a session token",
      request: {
        method: "PUT",
        path: "/bucket/a/b%C3%A9.json",
        query: { "x-id": "PutObject" },
        headers: {
          host: "127.0.0.1:9",
          "content-length": "11",
          "content-type": "application/json",
          "if-none-match": "*",
        },
      },
      body: Buffer.from('{"a":  1 }\n'),
      sessionToken: "FwoGZXIvYXdzE//token+with/odd=chars",
    },
    {
      name: "a query with names to escape, and a header with runs of spaces",
      request: {
        method: "GET",
        path: "/bucket/k",
        query: { b: "2", a: "x y", "c*": "(v)" },
        headers: { host: "127.0.0.1:9", "X-Custom": "  two   spaces\there " },
      },
    },
  ];
  for (const { name, request, body, sessionToken } of cases) {
    it(`signs ${name} as the AWS SDK does`, async () => {
      const credentials = { ...EXAMPLE, ...(sessionToken ? { sessionToken } : {}) };
      const ours = new SigV4Signer().sign(request, {
        credentials,
        region: "eu-west-3",
        service: "s3",
        payloadHash: body === undefined ? EMPTY_PAYLOAD_SHA256 : sha256Hex(body),
        date,
      });
      const sdk = await sdkSign({ ...request, ...(body ? { body } : {}) }, credentials, date);
      expect(ours.authorization).toBe(sdk.authorization);
      for (const header of ["x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]) {
        expect(ours[header], header).toBe(sdk[header]);
      }
    });
  }

  it("refuses a query it cannot sign as the SDK does (repeated or valueless names)", () => {
    const sign = (query: SigV4Request["query"]) =>
      new SigV4Signer().sign(
        { method: "GET", path: "/b/k", query, headers: { host: "h" } },
        { credentials: EXAMPLE, region: "us-east-1", service: "s3", payloadHash: EMPTY_PAYLOAD_SHA256, date },
      );
    expect(() => sign({ b: ["2", "1"] })).toThrow(/no single value/);
    expect(() => sign({ empty: null })).toThrow(/no single value/);
  });

  it("keeps the signing key until the day or the credentials change", () => {
    const signer = new SigV4Signer();
    const request: SigV4Request = { method: "GET", path: "/b/k", query: {}, headers: { host: "h" } };
    const signWith = (by: SigV4Signer, secretAccessKey: string, when: string) =>
      by.sign(request, {
        credentials: { accessKeyId: "id", secretAccessKey },
        region: "us-east-1",
        service: "s3",
        payloadHash: EMPTY_PAYLOAD_SHA256,
        date: new Date(when),
      }).authorization;
    for (const [secret, when] of [
      ["s1", "2026-11-27T10:00:00Z"],
      ["s1", "2026-11-27T23:59:59Z"],
      ["s2", "2026-11-27T23:59:59Z"],
      ["s2", "2026-11-28T00:00:00Z"],
    ] as const) {
      // The kept signer (its cached key) against a fresh one (a key derived anew).
      expect(signWith(signer, secret, when)).toBe(signWith(new SigV4Signer(), secret, when));
    }
  });
});
