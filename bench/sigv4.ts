/**
 * SigV4: SigV4Signer (src/drivers/s3-sigv4.ts, a wrapper of aws4 since 2026-12-07; it was our own signer) against bare aws4,
 * signing the same GETs of S3 objects, in one run. Checks first that both give the same Authorization.
 * Run: npx tsx bench/sigv4.ts [requests]   (numbers in bench/README.md)
 */
import { createRequire } from "node:module";
import { EMPTY_PAYLOAD_SHA256, SigV4Signer } from "../src/drivers/s3-sigv4.js";

const aws4 = createRequire(import.meta.url)("aws4") as {
  sign(
    request: Record<string, unknown>,
    credentials: Record<string, string>,
  ): { headers: Record<string, string> };
};

const N = Number(process.argv[2] ?? 100_000);
const credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const host = "127.0.0.1:9000";
const date = new Date("2026-12-07T08:00:00Z");
const longDate = "20261207T080000Z";
const pathOf = (i: number) => `/am-tests/store/default/model/v3/shard-${i % 1000}.bin`;

function ours(signer: SigV4Signer, i: number): string {
  const headers = signer.sign(
    { method: "GET", path: pathOf(i), query: {}, headers: { host } },
    { credentials, region: "us-east-1", service: "s3", payloadHash: EMPTY_PAYLOAD_SHA256, date },
  );
  return headers.authorization ?? "";
}

function theirs(i: number): string {
  const signed = aws4.sign(
    {
      host,
      path: pathOf(i),
      method: "GET",
      service: "s3",
      region: "us-east-1",
      headers: { "X-Amz-Date": longDate, "X-Amz-Content-Sha256": EMPTY_PAYLOAD_SHA256 },
    },
    credentials,
  );
  return signed.headers.Authorization ?? "";
}

const signer = new SigV4Signer();
if (ours(signer, 7) !== theirs(7)) {
  throw new Error(`the signatures differ:\n  ours  ${ours(signer, 7)}\n  aws4  ${theirs(7)}`);
}
const time = (fn: (i: number) => string) => {
  for (let i = 0; i < 5000; i++) fn(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e6;
};
for (let round = 1; round <= 3; round++) {
  const a = time((i) => ours(signer, i));
  const b = time(theirs);
  console.log(
    `round ${round}: ours ${((a / N) * 1000).toFixed(2)} µs/request, aws4 ${((b / N) * 1000).toFixed(2)} µs/request (${N} GETs)`,
  );
}
