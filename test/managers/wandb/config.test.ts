/** W&B configuration: options > WANDB_* environment > netrc; missing key; wandb:// URLs. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNetrc, resolveWandbConfig } from "../../../src/managers/wandb/config.js";
import { parseWandbUrl } from "../../../src/managers/wandb/from-url.js";

let dir = "";
let netrc = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wandb-config-"));
  netrc = join(dir, "netrc");
  await writeFile(
    netrc,
    "# comment\nmachine api.wandb.ai\n  login user\n  password cloud-key\nmachine 127.0.0.1:8080 login user password local-key\n",
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("resolveWandbConfig", () => {
  it("uses the environment like the SDK, with defaults", () => {
    const env = { WANDB_API_KEY: "env-key", WANDB_ENTITY: "team", WANDB_PROJECT: "proj" };
    expect(resolveWandbConfig({ env, netrcPath: netrc })).toEqual({
      apiKey: "env-key",
      baseUrl: "https://api.wandb.ai",
      entity: "team",
      project: "proj",
    });
    expect(resolveWandbConfig({ env: { WANDB_API_KEY: "k" }, netrcPath: netrc }).project).toBe(
      "uncategorized",
    );
  });

  it("options win over the environment; the base URL loses its trailing slash", () => {
    const env = { WANDB_API_KEY: "env-key", WANDB_BASE_URL: "https://wandb.example.com/" };
    const config = resolveWandbConfig({ env, apiKey: "opt-key", project: "p", netrcPath: netrc });
    expect(config).toMatchObject({ apiKey: "opt-key", baseUrl: "https://wandb.example.com", project: "p" });
    expect(config.entity).toBeUndefined();
  });

  it("falls back to the netrc password of the base URL's host (with port)", () => {
    expect(resolveWandbConfig({ env: {}, netrcPath: netrc }).apiKey).toBe("cloud-key");
    const local = resolveWandbConfig({ env: { WANDB_BASE_URL: "http://127.0.0.1:8080" }, netrcPath: netrc });
    expect(local.apiKey).toBe("local-key");
    expect(resolveWandbConfig({ env: { NETRC: netrc } }).apiKey).toBe("cloud-key");
  });

  it("no key anywhere is UNAUTHENTICATED; a bad base URL is INVALID_ARGUMENT", () => {
    const env = { WANDB_BASE_URL: "http://unknown.example" };
    expect(() => resolveWandbConfig({ env, netrcPath: netrc })).toThrow(
      expect.objectContaining({ code: "UNAUTHENTICATED" }),
    );
    expect(() => resolveWandbConfig({ env: {}, netrcPath: join(dir, "missing") })).toThrow(
      expect.objectContaining({ code: "UNAUTHENTICATED" }),
    );
    expect(() => resolveWandbConfig({ env: {}, apiKey: "k", baseUrl: "ftp://x" })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("parseNetrc reads machine and default entries", () => {
    const entries = parseNetrc(
      "machine a password p1\ndefault login x password p0\nmachine b login y password p2",
    );
    expect([...entries]).toEqual([
      ["a", "p1"],
      ["", "p0"],
      ["b", "p2"],
    ]);
  });
});

describe("parseWandbUrl", () => {
  it("reads wandb://ENTITY/PROJECT and wandb:///PROJECT", () => {
    expect(parseWandbUrl("wandb://my_team/my-proj")).toEqual({ entity: "my_team", project: "my-proj" });
    expect(parseWandbUrl("wandb:///my-proj")).toEqual({ project: "my-proj" });
  });

  it.each(["s3://e/p", "wandb://e", "wandb://e/p/extra", "not a url", "wandb://e/p%3Ax"])(
    "rejects %s with INVALID_ARGUMENT",
    (url) => {
      expect(() => parseWandbUrl(url)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    },
  );
});
