/** The emulator itself answers like the protocol doc says: auth, validation, signed URLs, digests. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWandbEmulator, type WandbEmulator } from "../../wandb-emulator/server.js";

let emu: WandbEmulator;
beforeAll(async () => {
  emu = await startWandbEmulator({ apiKey: "k".repeat(40) });
});
afterAll(() => emu.close());

/** Loosely typed response: tests read a few known paths. */
interface GraphqlBody {
  data?: Record<string, Record<string, Record<string, Record<string, Record<string, string>>>>>;
  errors?: Array<{ message: string; extensions: { code?: string } }>;
}

async function gql(query: string, variables: Record<string, unknown> = {}, key = emu.apiKey) {
  const response = await fetch(`${emu.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${btoa(`api:${key}`)}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphqlBody };
}

const CREATE = `mutation($d: String!) { createArtifact(input: { entityName: "emulator-user", projectName: "p",
  artifactTypeName: "t", artifactCollectionName: "c", digest: $d, digestAlgorithm: MANIFEST_MD5 }) { artifact { id } } }`;
const MANIFEST = `mutation($id: ID!, $digest: String!) { createArtifactManifest(input: { artifactID: $id,
  name: "wandb_manifest.json", digest: $digest, entityName: "emulator-user", projectName: "p", runName: "r" }) {
  artifactManifest { file { uploadUrl uploadHeaders } } } }`;

describe("W&B emulator", () => {
  it("401 for a bad key, 400 for a document the schema rejects, 403 for a foreign entity", async () => {
    expect((await gql("query { viewer { id } }", {}, "bad")).status).toBe(401);
    const invalid = await gql("query { viewer { apiKeys } }");
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors?.[0]?.message).toContain('Cannot query field "apiKeys" on type "User"');
    const foreign = await gql('query { project(name: "p", entityName: "other") { id } }');
    expect(foreign.status).toBe(403);
    expect(foreign.body.errors?.[0]?.extensions.code).toBe("PERMISSION_ERROR");
    expect((await gql('query { project(name: "nope", entityName: "emulator-user") { id } }')).body).toEqual({
      data: { project: null },
    });
  });

  it("checks Content-MD5 and signatures on storage URLs, and the manifest digest at commit", async () => {
    const created = await gql(CREATE, { d: "64e7c61456b10382e2f3b571ac24b659" });
    const id = created.body.data?.createArtifact?.artifact?.id as unknown as string;
    const manifest =
      '{"version":1,"storagePolicy":"wandb-storage-policy-v1","storagePolicyConfig":{},"contents":{}}';
    const claimed = "AAAAAAAAAAAAAAAAAAAAAA==";
    const answer = await gql(MANIFEST, { id, digest: claimed });
    const url = answer.body.data?.createArtifactManifest?.artifactManifest?.file
      ?.uploadUrl as unknown as string;
    const put = (target: string, headers: Record<string, string> = {}) =>
      fetch(target, { method: "PUT", body: manifest, headers }).then((r) => r.status);
    expect(await put(url, { "content-md5": claimed })).toBe(400);
    const forged = url.replace(/X-Signature=(.)/, (_, c: string) => `X-Signature=${c === "0" ? "1" : "0"}`);
    expect(forged).not.toBe(url);
    expect(await put(forged)).toBe(403);
    expect(await put(url)).toBe(200);
    const commit = await gql(
      `mutation($id: ID!) { commitArtifact(input: { artifactID: $id }) { artifact { id } } }`,
      {
        id,
      },
    );
    expect(commit.status).toBe(400);
    expect(commit.body.errors?.[0]?.message).toContain("invalid artifact manifest digest");
  });
});
