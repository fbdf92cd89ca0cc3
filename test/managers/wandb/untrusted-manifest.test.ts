/**
 * A manifest someone else wrote (issue 18, items 11 and 12), served by a hostile proxy in front of the
 * emulator: paths that land on the same file, and references that reach out of W&B (a local secret,
 * a loopback or private service, a redirect to a scheme not followed). Each is a typed error before
 * any byte of it is read, unless `followReferences` names it.
 */

import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_FOLLOW_REFERENCES, type ReferenceScheme } from "../../../src/managers/wandb/limits.js";
import { isPublicAddress } from "../../../src/managers/wandb/reference-policy.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";
import { type HostileProxy, manifestOf, startHostileProxy } from "./hostile-proxy.js";

let fx: EmulatorFixture;
let proxy: HostileProxy;
let web: Server;
let webUrl: string;
let webRequests = 0;
let secret: string;
beforeAll(async () => {
  fx = await startFixture();
  const dir = join(fx.dir, "data");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "a.txt"), "alpha");
  await fx.manager({ project: "untrusted" }).logFiles("data", dir);
  proxy = await startHostileProxy(fx.emulator.url);
  secret = join(fx.dir, "secret.txt");
  await writeFile(secret, "the secret");
  web = createServer((req, res) => {
    webRequests++;
    if (req.url === "/redirect") return void res.writeHead(302, { location: "https://127.0.0.1:1/x" }).end();
    res.writeHead(200).end("internal service");
  });
  await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});
afterAll(async () => {
  web.closeAllConnections();
  await new Promise<void>((resolve) => web.close(() => resolve()));
  await proxy.close();
  await fx.close();
});
beforeEach(() => {
  proxy.rules.length = 0;
  webRequests = 0;
});

const manager = (followReferences?: readonly ReferenceScheme[]) =>
  fx.manager({
    baseUrl: proxy.url,
    project: "untrusted",
    ...(followReferences ? { followReferences } : {}),
  });

/** A reference entry logged without checksums (its digest is the URI), as the SDK writes them. */
const ref = (uri: string) => ({ digest: uri, ref: uri, size: 0 });

/** Downloads `data` into a fresh folder: the error code (or "ok") and whether the folder appeared. */
async function download(followReferences?: readonly ReferenceScheme[]) {
  const to = join(fx.dir, `out-${Math.random().toString(36).slice(2)}`);
  const outcome = await manager(followReferences)
    .downloadArtifact("data", { to })
    .then(
      () => "ok",
      (error: { code?: string }) => error.code ?? String(error),
    );
  const exists = await stat(to).then(
    () => true,
    () => false,
  );
  return { outcome, to, exists };
}

describe("a manifest someone else wrote (issue 18.11, 18.12)", () => {
  it("paths `a` and `./a` (the same file) are refused, not one silently kept", async () => {
    const digest = "Ajqwj0pKs8B1bAGM8mJwCw==";
    proxy.rules.push(manifestOf({ a: { digest, size: 5 }, "./a": { digest, size: 5 } }));
    const got = await download();
    expect(got.outcome).toBe("UNEXPECTED");
    expect(got.exists).toBe(false);
    await expect(manager().verify("data")).rejects.toMatchObject({ code: "UNEXPECTED" });
  });

  it("a file:// reference (a local secret) is refused by default; followed when 'file' is named", async () => {
    proxy.rules.push(manifestOf({ "copied.txt": ref(pathToFileURL(secret).href) }));
    const refused = await download();
    expect(refused.outcome).toBe("PERMISSION_DENIED");
    expect(refused.exists).toBe(false);
    await expect(manager().verify("data")).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    const followed = await download([...DEFAULT_FOLLOW_REFERENCES, "file"]);
    expect(followed.outcome).toBe("ok");
    expect(await readFile(join(followed.to, "copied.txt"), "utf8")).toBe("the secret");
  });

  it("an http reference to a loopback address is refused by default, before any request", async () => {
    proxy.rules.push(manifestOf({ "internal.txt": ref(`${webUrl}/admin`) }));
    expect((await download()).outcome).toBe("PERMISSION_DENIED");
    expect(webRequests).toBe(0);
    const followed = await download([...DEFAULT_FOLLOW_REFERENCES, "private-addresses"]);
    expect(followed.outcome).toBe("ok");
    expect(await readFile(join(followed.to, "internal.txt"), "utf8")).toBe("internal service");
  });

  it("a name that resolves to loopback (localhost) is refused too, before any request", async () => {
    proxy.rules.push(
      manifestOf({ "internal.txt": ref(`${webUrl.replace("127.0.0.1", "localhost")}/admin`) }),
    );
    expect((await download()).outcome).toBe("PERMISSION_DENIED");
    expect(webRequests).toBe(0);
  });

  it("every redirect hop is checked: a redirect to a scheme not named is refused", async () => {
    proxy.rules.push(manifestOf({ "moved.txt": ref(`${webUrl}/redirect`) }));
    expect((await download(["http", "private-addresses"])).outcome).toBe("PERMISSION_DENIED");
    expect(webRequests).toBe(1);
  });

  it("a scheme left out of followReferences is refused up front (s3:// here)", async () => {
    proxy.rules.push(manifestOf({ "bucket.bin": ref("s3://someone-elses-bucket/key") }));
    expect((await download(["https"])).outcome).toBe("PERMISSION_DENIED");
  });

  it("ARTIFACTS_FOLLOW_REFERENCES sets it when the option is not given ('default' = the defaults)", async () => {
    proxy.rules.push(manifestOf({ "copied.txt": ref(pathToFileURL(secret).href) }));
    const to = join(fx.dir, "env-out");
    const env = { ARTIFACTS_FOLLOW_REFERENCES: "default, file" };
    await fx.manager({ baseUrl: proxy.url, project: "untrusted", env }).downloadArtifact("data", { to });
    expect(await readFile(join(to, "copied.txt"), "utf8")).toBe("the secret");
    const bad = { ARTIFACTS_FOLLOW_REFERENCES: "ftp" };
    expect(() => fx.manager({ env: bad })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("followReferences is validated", () => {
    expect(() => manager(["ftp" as ReferenceScheme])).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("tells public addresses from loopback, private, link-local and mapped ones", () => {
    for (const address of ["8.8.8.8", "2606:4700::1111", "151.101.1.1"])
      expect(isPublicAddress(address)).toBe(true);
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "::ffff:169.254.169.254",
      "not an address",
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });
});
