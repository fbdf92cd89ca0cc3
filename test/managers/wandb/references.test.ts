/**
 * Reference entries of W&B manifests (`ref`), as the W&B SDK's `add_reference` records them, fetched
 * from where they point: objects on radosgw (s3://), the GCS fake (gs://), azurite (an Azure https URL,
 * reached through `referenceStorageOptions`), a local file (file://) and a local HTTP server (http://);
 * changed, deleted and unsupported references give clear errors and move nothing.
 */

import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FOLLOW_REFERENCES } from "../../../src/managers/wandb/limits.js";
import type { ManifestEntry } from "../../../src/managers/wandb/manifest.js";
import type { ReferenceStorageOptions } from "../../../src/managers/wandb/references.js";
import type { WandbArtifactManager } from "../../../src/managers/wandb/wandb-artifact-manager.js";
import { createDriver } from "../../../src/storage/create-driver.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { CLOUD_BACKENDS } from "../cloud/stores.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

type Store = Awaited<ReturnType<(typeof CLOUD_BACKENDS)[number]["open"]>>;

let fx: EmulatorFixture;
let m: WandbArtifactManager;
const stores: Store[] = [];
const drivers: StorageDriver[] = [];
/** Per backend: the store's driver and the reference URI of a key in it. */
const buckets: { s3?: Bucket; gcs?: Bucket; azure?: Bucket } = {};
interface Bucket {
  driver: StorageDriver;
  refOf: (key: string) => string;
}
const referenceStorageOptions: ReferenceStorageOptions = {};
let n = 0;

beforeAll(async () => {
  fx = await startFixture();
  for (const backend of CLOUD_BACKENDS) {
    const store = await backend.open();
    stores.push(store);
    const driver = await createDriver(store.url, store.storageOptions);
    drivers.push(driver);
    const [scheme, rest] = store.url.split("://") as [string, string];
    if (scheme === "s3" || scheme === "gs") {
      const kind = scheme === "s3" ? "s3" : "gcs";
      buckets[kind] = { driver, refOf: (key) => `${store.url}/${key}` };
      referenceStorageOptions[kind] = store.storageOptions;
    } else {
      // az://CONTAINER/PREFIX → the Azure URL W&B's AzureHandler records; azurite via the connection string
      buckets.azure = {
        driver,
        refOf: (key) => `https://devstoreaccount1.blob.core.windows.net/${rest}/${key}`,
      };
      referenceStorageOptions.azure = store.storageOptions;
    }
  }
  // file:// references and http servers on loopback are followed only when named (issue 18.12)
  const followReferences = [...DEFAULT_FOLLOW_REFERENCES, "file", "private-addresses"] as const;
  m = fx.manager({ project: "references", referenceStorageOptions, followReferences });
}, 120_000);

afterAll(async () => {
  for (const driver of drivers) await driver.close?.();
  for (const store of stores) {
    await store.cleanup();
    await store.close();
  }
  await fx?.close();
});

const md5 = (bytes: Buffer, encoding: "hex" | "base64") => createHash("md5").update(bytes).digest(encoding);
const unquote = (etag: string | undefined) => (etag ?? "").replace(/^"(.*)"$/, "$1");

/**
 * Puts `bytes` at `key` in every bucket and a local file, and returns manifest entries referencing
 * them the way the W&B SDK's handlers record them (S3 and Azure: the ETag; GCS: the object's etag and
 * its generation as a number, SDK >= 0.17, and under `gcs-md5/` as older SDKs did: base64 md5;
 * file://: base64 md5).
 */
async function referenced(key: string, bytes: Buffer): Promise<Record<string, ManifestEntry>> {
  const entries: Record<string, ManifestEntry> = {};
  for (const [kind, bucket] of Object.entries(buckets)) {
    await bucket.driver.write(key, bytes, { size: bytes.length });
    const info = await bucket.driver.stat(key);
    const ref = bucket.refOf(key);
    const size = bytes.length;
    if (kind === "gcs") {
      const versionID = Number(info?.etag); // the driver's etag is the generation
      entries[`gcs/${key}`] = { ref, digest: info?.serviceEtag ?? "", size, extra: { versionID } };
      entries[`gcs-md5/${key}`] = { ref, digest: md5(bytes, "base64"), size, extra: { versionID } };
    } else
      entries[`${kind}/${key}`] = {
        ref,
        digest: unquote(info?.etag),
        size,
        extra: { etag: unquote(info?.etag) },
      };
  }
  const local = join(fx.dir, "local", key);
  await mkdir(join(local, ".."), { recursive: true });
  await writeFile(local, bytes);
  entries[`local/${key}`] = {
    ref: pathToFileURL(local).href,
    digest: md5(bytes, "base64"),
    size: bytes.length,
  };
  return entries;
}

/** The committed emulator artifact of `name` (its latest version). */
function committed(name: string) {
  const artifacts = [...fx.emulator.state.artifacts.values()].filter(
    (a) => a.sequence.name === name && a.state === "COMMITTED",
  );
  const artifact = artifacts.at(-1);
  if (artifact?.manifest?.bytes === undefined) throw new Error(`no committed manifest for ${name}`);
  return artifact as typeof artifact & { manifest: { bytes: Buffer } };
}

/** Logs `name` with one stored file, then adds `entries` to its manifest (as `add_reference` would have). */
async function logWithReferences(name: string, entries: Record<string, ManifestEntry>): Promise<void> {
  await m.logFiles(name, await oneFile("stored.txt", "stored by W&B"));
  const artifact = committed(name);
  const manifest = JSON.parse(artifact.manifest.bytes.toString("utf8")) as {
    contents: Record<string, unknown>;
  };
  Object.assign(manifest.contents, entries);
  artifact.manifest.bytes = Buffer.from(JSON.stringify(manifest));
}

/** A fresh download target holding `keep.txt` (which a failed download must leave alone). */
async function folder(): Promise<string> {
  return await oneFile("keep.txt", "keep");
}

/** A fresh folder holding one file `name` with `text`. */
async function oneFile(name: string, text: string): Promise<string> {
  const dir = join(fx.dir, `dir-${++n}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), text);
  return dir;
}

describe("W&B reference entries", () => {
  it("downloads s3://, gs://, Azure and file:// references byte-exact next to the stored files; verify is ok", async () => {
    const bytes = randomBytes(300_000);
    const entries = await referenced("data/a.bin", bytes);
    // A reference logged with checksum=False records its URI as the digest: checked by its size only.
    const unchecked = buckets.s3?.refOf("data/a.bin") ?? "";
    entries["unchecked/data/a.bin"] = { ref: unchecked, digest: unchecked, size: bytes.length };
    await logWithReferences("refs", entries);
    const to = await folder();
    await m.downloadArtifact("refs", { to });
    expect((await readdir(to)).sort()).toEqual([
      "azure",
      "gcs",
      "gcs-md5",
      "keep.txt",
      "local",
      "s3",
      "stored.txt",
      "unchecked",
    ]);
    for (const dir of ["s3", "gcs", "gcs-md5", "azure", "local", "unchecked"]) {
      expect((await readFile(join(to, dir, "data", "a.bin"))).equals(bytes), dir).toBe(true);
    }
    expect(await readFile(join(to, "stored.txt"), "utf8")).toBe("stored by W&B");
    expect(await m.verify("refs")).toEqual({ ok: true, missing: [], extra: [], changed: [] });
    // getVersion lists references with their size and URI; their digest is no md5 (an ETag, or the URI)
    const files = (await m.getVersion("refs")).files;
    expect(files.find((f) => f.path === "s3/data/a.bin")).toEqual({
      path: "s3/data/a.bin",
      size: bytes.length,
      ref: buckets.s3?.refOf("data/a.bin"),
    });
    expect(files.find((f) => f.path === "stored.txt")?.md5).toMatch(/==$/);
  });

  it("a referenced object that changed since it was logged is CHECKSUM_MISMATCH naming it; nothing moves; verify: changed", async () => {
    const entries = await referenced("data/b.bin", randomBytes(5000));
    await logWithReferences("changing", entries);
    const other = randomBytes(5000);
    for (const bucket of Object.values(buckets))
      await bucket.driver.write("data/b.bin", other, { size: other.length });
    await writeFile(join(fx.dir, "local", "data", "b.bin"), other);
    for (const path of Object.keys(entries)) {
      const to = await folder();
      const error = await m.downloadArtifact("changing", { to, paths: [path] }).catch((e: unknown) => e);
      expect(error, path).toMatchObject({ code: "CHECKSUM_MISMATCH" });
      expect((error as Error).message).toContain(
        `'${path}' of changing is a reference to ${entries[path]?.ref}`,
      );
      expect((error as Error).message).toContain("changed since it was logged");
      expect(await readdir(to)).toEqual(["keep.txt"]);
    }
    const gcs = (await m
      .downloadArtifact("changing", { to: await folder(), paths: ["gcs/data/b.bin"] })
      .catch((e) => e)) as Error;
    expect(gcs.message).toContain("W&B recorded its version");
    const result = await m.verify("changing");
    expect(result).toMatchObject({ ok: false, missing: [], changed: Object.keys(entries).sort() });
  });

  it("a deleted referenced object is NOT_FOUND naming the reference; verify: missing", async () => {
    const entries = await referenced("data/c.bin", randomBytes(100));
    await logWithReferences("deleted", entries);
    await buckets.s3?.driver.delete("data/c.bin");
    const to = await folder();
    const error = await m.downloadArtifact("deleted", { to }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "NOT_FOUND" });
    expect((error as Error).message).toContain(buckets.s3?.refOf("data/c.bin"));
    expect(await readdir(to)).toEqual(["keep.txt"]);
    expect(await m.verify("deleted")).toMatchObject({ ok: false, missing: ["s3/data/c.bin"], changed: [] });
  });

  it("http:// references follow redirects and are checked by the ETag their server sends", async () => {
    const bytes = randomBytes(70_000);
    let etag = '"v1"';
    const server = createServer((req, res) => {
      if (req.url === "/moved") return void res.writeHead(302, { location: "/data.bin" }).end();
      if (req.url !== "/data.bin") return void res.writeHead(404).end();
      res.writeHead(200, { etag, "content-length": bytes.length }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await logWithReferences("web", {
        "web/data.bin": { ref: `${base}/moved`, digest: '"v1"', size: bytes.length, extra: { etag: '"v1"' } },
      });
      const to = await folder();
      await m.downloadArtifact("web", { to });
      expect((await readFile(join(to, "web", "data.bin"))).equals(bytes)).toBe(true);
      etag = '"v2"';
      const error = await m.downloadArtifact("web", { to: await folder() }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "CHECKSUM_MISMATCH" });
      expect((error as Error).message).toContain(`'web/data.bin' of web is a reference to ${base}/moved`);
      expect(await m.verify("web")).toMatchObject({ ok: false, changed: ["web/data.bin"] });
      await logWithReferences("web-gone", {
        "gone.bin": { ref: `${base}/gone`, digest: `${base}/gone`, size: 1 },
      });
      await expect(m.downloadArtifact("web-gone", { to: await folder() })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
    } finally {
      server.close();
    }
  });

  it("wandb-artifact:// references fetch the other artifact's file (through references in a row); checked by its md5", async () => {
    await m.logFiles("dependency", await oneFile("x.txt", "a file of another artifact"));
    const dependency = committed("dependency");
    const hex = Buffer.from(dependency.id, "base64").toString("hex");
    const bytes = Buffer.from("a file of another artifact");
    const entry = { digest: md5(bytes, "base64"), size: bytes.length };
    await logWithReferences("user", { "dep/x.txt": { ref: `wandb-artifact://${hex}/x.txt`, ...entry } });
    const userHex = Buffer.from(committed("user").id, "base64").toString("hex");
    await logWithReferences("user-of-user", {
      "x.txt": { ref: `wandb-artifact://${userHex}/dep/x.txt`, ...entry },
    });
    for (const [name, path] of [
      ["user", "dep/x.txt"],
      ["user-of-user", "x.txt"],
    ] as const) {
      const to = await folder();
      await m.downloadArtifact(name, { to });
      expect(await readFile(join(to, path), "utf8")).toBe("a file of another artifact");
      expect(await m.verify(name)).toMatchObject({ ok: true });
    }
    await logWithReferences("user-missing", {
      "y.txt": { ref: `wandb-artifact://${hex}/nope.txt`, ...entry },
    });
    const missing = await m.downloadArtifact("user-missing", { to: await folder() }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: "NOT_FOUND" });
    expect((missing as Error).message).toContain(`a file that W&B artifact ${dependency.id} does not have`);
    for (const [key, blob] of fx.emulator.state.blobs)
      if (key.endsWith(`/${entry.digest}`)) blob.bytes = Buffer.from("changed");
    const changed = await m.downloadArtifact("user-of-user", { to: await folder() }).catch((e: unknown) => e);
    expect(changed).toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect(await m.verify("user")).toMatchObject({ ok: false, changed: ["dep/x.txt"] });
  });

  it("other references (ftp://, unresolved wandb-client-artifact://) are UNSUPPORTED before anything is downloaded", async () => {
    for (const ref of ["ftp://example.com/data.csv", "wandb-client-artifact://abc123/x.txt"]) {
      const name = `unsupported-${++n}`;
      await logWithReferences(name, { "web/x": { ref, digest: ref, size: 3 } });
      const to = await folder();
      const error = await m.downloadArtifact(name, { to }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UNSUPPORTED" });
      expect((error as Error).message).toContain(`'web/x' in v0 is a reference to ${ref}`);
      expect(await readdir(to)).toEqual(["keep.txt"]);
      await expect(m.verify(name)).rejects.toMatchObject({ code: "UNSUPPORTED" });
    }
  });
});

describe("W&B logReferences (the SDK's add_reference)", () => {
  it("records objects, prefixes, folders and URLs as the SDK does; they download byte-exact and verify", async () => {
    const one = randomBytes(20_000);
    const two = randomBytes(30_000);
    const single = randomBytes(1000);
    const uris: Array<string | { uri: string; name?: string }> = [];
    for (const [kind, bucket] of Object.entries(buckets)) {
      await bucket.driver.write("set/one.bin", one, { size: one.length });
      await bucket.driver.write("set/sub/two.bin", two, { size: two.length });
      await bucket.driver.write("single.bin", single, { size: single.length });
      uris.push(
        { uri: bucket.refOf("set"), name: kind },
        { uri: bucket.refOf("single.bin"), name: `${kind}-one.bin` },
      );
    }
    const local = join(fx.dir, `local-set-${++n}`);
    await mkdir(join(local, "sub"), { recursive: true });
    await writeFile(join(local, "one.bin"), one);
    await writeFile(join(local, "sub", "two.bin"), two);
    uris.push({ uri: pathToFileURL(local).href, name: "local" });
    const server = createServer(
      (_req, res) => void res.writeHead(200, { etag: '"w1"', "content-length": single.length }).end(single),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      uris.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/files/web.bin`);
      const logged = await m.logReferences("logged-refs", uris, { description: "references" });
      expect(logged.version).toBe("v0");
      const contents = JSON.parse(committed("logged-refs").manifest.bytes.toString("utf8"))
        .contents as Record<string, ManifestEntry>;
      expect(Object.keys(contents).sort()).toEqual(
        [
          ...["azure", "gcs", "local", "s3"].flatMap((k) => [`${k}/one.bin`, `${k}/sub/two.bin`]),
          ...["azure", "gcs", "s3"].map((k) => `${k}-one.bin`),
          "web.bin",
        ].sort(),
      );
      // The SDK's digests: S3 and Azure the unquoted ETag, GCS its etag, local files the base64 md5, URLs the ETag.
      const s3Etag = (await buckets.s3?.driver.stat("set/one.bin"))?.etag;
      expect(contents["s3/one.bin"]).toEqual({
        ref: buckets.s3?.refOf("set/one.bin"),
        digest: unquote(s3Etag),
        size: one.length,
        extra: { etag: unquote(s3Etag) }, // unquoted in extra too, as the SDK keeps it
      });
      const gcsTwo = await buckets.gcs?.driver.stat("set/sub/two.bin");
      expect(contents["gcs/sub/two.bin"]).toEqual({
        ref: buckets.gcs?.refOf("set/sub/two.bin"),
        digest: gcsTwo?.serviceEtag, // the object's etag, as the SDK >= 0.17 records it
        size: two.length,
        extra: { versionID: Number(gcsTwo?.etag) }, // the generation, a number
      });
      expect(contents["azure-one.bin"]?.digest).toBe(
        unquote((await buckets.azure?.driver.stat("single.bin"))?.etag),
      );
      expect(contents["local/sub/two.bin"]).toEqual({
        ref: pathToFileURL(join(local, "sub", "two.bin")).href,
        digest: md5(two, "base64"),
        size: two.length,
      });
      expect(contents["web.bin"]).toMatchObject({
        digest: "w1",
        size: single.length,
        extra: { etag: '"w1"' },
      });
      const to = await folder();
      await m.downloadArtifact("logged-refs", { to });
      for (const k of ["azure", "gcs", "local", "s3"]) {
        expect((await readFile(join(to, k, "sub", "two.bin"))).equals(two), k).toBe(true);
        expect((await readFile(join(to, k, "one.bin"))).equals(one), k).toBe(true);
      }
      for (const k of ["azure", "gcs", "s3"])
        expect((await readFile(join(to, `${k}-one.bin`))).equals(single)).toBe(true);
      expect((await readFile(join(to, "web.bin"))).equals(single)).toBe(true);
      expect(await m.verify("logged-refs")).toEqual({ ok: true, missing: [], extra: [], changed: [] });
      await buckets.azure?.driver.write("set/one.bin", two, { size: two.length });
      expect(await m.verify("logged-refs")).toMatchObject({ ok: false, changed: ["azure/one.bin"] });
    } finally {
      server.close();
    }
  });

  it("an S3 prefix reference leaves out empty objects, as the SDK's S3 handler does", async () => {
    const data = randomBytes(64);
    await buckets.s3?.driver.write("zero/a.bin", data, { size: data.length });
    await buckets.s3?.driver.write("zero/empty.bin", Buffer.alloc(0), { size: 0 });
    await m.logReferences("zero-prefix", buckets.s3?.refOf("zero") ?? "");
    const contents = JSON.parse(committed("zero-prefix").manifest.bytes.toString("utf8")).contents;
    expect(Object.keys(contents)).toEqual(["a.bin"]);
  });

  it("logFiles with `references` puts stored files and references in one version; a path clash is refused", async () => {
    const dir = await oneFile("model.pt", "weights");
    const data = randomBytes(4000);
    await buckets.gcs?.driver.write("mixed/data.bin", data, { size: data.length });
    const ref = buckets.gcs?.refOf("mixed/data.bin") ?? "";
    const logged = await m.logFiles("mixed", dir, { references: [{ uri: ref, name: "data/data.bin" }] });
    expect(logged.version).toBe("v0");
    const contents = JSON.parse(committed("mixed").manifest.bytes.toString("utf8")).contents;
    const etag = (await buckets.gcs?.driver.stat("mixed/data.bin"))?.serviceEtag;
    expect(contents["data/data.bin"]).toMatchObject({ ref, digest: etag });
    expect(contents["model.pt"].ref).toBeUndefined();
    const to = await folder();
    await m.downloadArtifact("mixed", { to });
    expect(await readFile(join(to, "model.pt"), "utf8")).toBe("weights");
    expect((await readFile(join(to, "data", "data.bin"))).equals(data)).toBe(true);
    const clash = m.logFiles("mixed", dir, { references: [{ uri: ref, name: "model.pt" }] });
    await expect(clash).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("a logged file and a reference take the path 'model.pt'"),
    });
    expect((await m.listVersions("mixed")).length).toBe(1);
  });

  it("on a versioned S3 bucket the object's version is recorded, and that version is downloaded after an overwrite", async () => {
    const options = referenceStorageOptions.s3 as {
      endpoint: string;
      accessKeyId: string;
      secretAccessKey: string;
    };
    const client = new S3Client({
      endpoint: options.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    });
    const bucket = `am-versioned-${++n}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
    );
    client.destroy();
    const driver = await createDriver(`s3://${bucket}`, options);
    drivers.push(driver);
    const first = randomBytes(3000);
    await driver.write("model.bin", first, { size: first.length });
    await m.logReferences("versioned", `s3://${bucket}/model.bin`);
    const entry = JSON.parse(committed("versioned").manifest.bytes.toString("utf8")).contents["model.bin"];
    const version = (await driver.stat("model.bin"))?.version;
    expect(version).toBeTruthy();
    expect(entry.extra).toMatchObject({ versionID: version });
    const second = randomBytes(3000);
    await driver.write("model.bin", second, { size: second.length });
    expect((await driver.stat("model.bin"))?.version).not.toBe(version);
    const to = await folder();
    await m.downloadArtifact("versioned", { to });
    expect((await readFile(join(to, "model.bin"))).equals(first)).toBe(true);
    expect(await m.verify("versioned")).toMatchObject({ ok: true });
    // The same entry without its version names the current object, which changed.
    const { versionID: _, ...unpinned } = entry.extra;
    await logWithReferences("unpinned", { "model.bin": { ...entry, extra: unpinned } });
    const error = await m.downloadArtifact("unpinned", { to: await folder() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CHECKSUM_MISMATCH" });
  });

  it("checksum: false records only the URI, reads nothing, and downloads whatever the object now holds", async () => {
    const ref = buckets.s3?.refOf("nochecksum/a.bin") ?? "";
    await m.logReferences("unchecked-refs", { uri: ref, name: "a.bin" }, { checksum: false });
    const contents = JSON.parse(committed("unchecked-refs").manifest.bytes.toString("utf8")).contents;
    expect(contents).toEqual({ "a.bin": { ref, digest: ref } });
    await buckets.s3?.driver.write("nochecksum/a.bin", Buffer.from("written after the log"), { size: 21 });
    const to = await folder();
    await m.downloadArtifact("unchecked-refs", { to });
    expect(await readFile(join(to, "a.bin"), "utf8")).toBe("written after the log");
  });

  it("checksum: false without a name names the entry by the object's full key, as the SDK's handlers do", async () => {
    const refs = (["s3", "gcs"] as const).map((kind) => buckets[kind]?.refOf("unnamed/deep/b.bin") ?? "");
    await m.logReferences("unchecked-full-keys", refs[0] as string, { checksum: false });
    await m.logReferences("unchecked-full-keys-gs", refs[1] as string, { checksum: false });
    for (const [name, ref] of [
      ["unchecked-full-keys", refs[0]],
      ["unchecked-full-keys-gs", refs[1]],
    ] as const) {
      const contents = JSON.parse(committed(name).manifest.bytes.toString("utf8")).contents;
      const key = (ref as string).replace(/^[a-z0-9]+:\/\/[^/]+\//, "");
      expect(key.endsWith("unnamed/deep/b.bin")).toBe(true);
      expect(contents).toEqual({ [key]: { ref, digest: ref } });
    }
  });

  it("refuses a prefix with no objects (NOT_FOUND), two references on one path and too many objects (INVALID_ARGUMENT)", async () => {
    const s3 = buckets.s3;
    if (s3 === undefined) throw new Error("no s3 bucket");
    await expect(m.logReferences("bad-refs", s3.refOf("no-such-prefix"))).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await s3.driver.write("twice/x.bin", Buffer.from("x"), { size: 1 });
    const twice = m.logReferences("bad-refs", [
      s3.refOf("twice/x.bin"),
      buckets.gcs?.refOf("set/one.bin") ?? "",
    ]);
    await expect(twice).resolves.toMatchObject({ version: "v0" });
    const clash = m.logReferences("bad-refs", [s3.refOf("twice/x.bin"), { uri: s3.refOf("twice/x.bin") }]);
    await expect(clash).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("'x.bin'"),
    });
    await s3.driver.write("twice/y.bin", Buffer.from("y"), { size: 1 });
    const many = m.logReferences("bad-refs", s3.refOf("twice"), { maxObjects: 1 });
    await expect(many).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("maxObjects"),
    });
    // A whole bucket (no key) lists every object in it: the shared test bucket holds more than one.
    const bucketUri = s3.refOf("x").replace(/^(s3:\/\/[^/]+)\/.*$/, "$1");
    const bucket = m.logReferences("bad-refs", bucketUri, { maxObjects: 1 });
    await expect(bucket).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("maxObjects"),
    });
    expect((await m.listVersions("bad-refs")).length).toBe(1);
  });
});
