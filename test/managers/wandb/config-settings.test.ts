/**
 * W&B's settings file (issue 22 gap 10): `wandb login --host` of the real SDK writes `base_url` to
 * `$WANDB_CONFIG_DIR/settings` and the key to netrc; a manager configured by nothing else reaches that
 * server. The file's entity/project are defaults below the environment; wandb.ai-style base URLs are
 * refused as the SDK refuses them.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWandbSettings, resolveWandbConfig } from "../../../src/managers/wandb/config.js";
import { WandbArtifactManager } from "../../../src/managers/wandb/wandb-artifact-manager.js";
import { type EmulatorFixture, FAST_RETRY, startFixture } from "./fixtures.js";
import { sdkEnv, WANDB_SDK_PYTHON } from "./wandb-sdk.js";

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());

describe("W&B settings file", () => {
  it("a manager uses the server and key `wandb login --host` (the real SDK) saved", async () => {
    const home = join(fx.dir, "login-home");
    await mkdir(home, { recursive: true });
    const env = { ...sdkEnv(fx.emulator, home), WANDB_BASE_URL: undefined, WANDB_API_KEY: undefined };
    const wandb = join(WANDB_SDK_PYTHON, "..", "wandb");
    await promisify(execFile)(wandb, ["login", "--host", fx.emulator.url, fx.emulator.apiKey], {
      env: env as NodeJS.ProcessEnv,
      timeout: 60_000,
    });
    const config = join(home, "config");
    expect(parseWandbSettings(await readFile(join(config, "settings"), "utf8"))).toMatchObject({
      base_url: fx.emulator.url,
    });
    const ours = { WANDB_CONFIG_DIR: config, NETRC: join(home, ".netrc") };
    const m = new WandbArtifactManager({ env: ours, project: "from-settings", retry: FAST_RETRY });
    expect(m.target.baseUrl).toBe(fx.emulator.url);
    const dir = join(fx.dir, "settings-src");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "f.txt"), "f");
    expect((await m.logFiles("via-settings", dir)).version).toBe("v0");
    expect(
      fx.emulator.state.project(fx.emulator.entity, "from-settings")?.sequences.has("via-settings"),
    ).toBe(true);
  }, 90_000);

  it("entity and project come from the file below the environment and options", async () => {
    const config = join(fx.dir, "config-2");
    await mkdir(config, { recursive: true });
    await writeFile(
      join(config, "settings"),
      "; W&B settings\n[other]\nproject = not-this\n[default]\nBase_URL: https://wandb.example.com/\nentity = file-team\nproject = file-proj\n",
    );
    const env = { WANDB_CONFIG_DIR: config, WANDB_API_KEY: "k" };
    expect(resolveWandbConfig({ env })).toEqual({
      apiKey: "k",
      baseUrl: "https://wandb.example.com",
      entity: "file-team",
      project: "file-proj",
    });
    expect(
      resolveWandbConfig({
        env: { ...env, WANDB_PROJECT: "env-proj", WANDB_BASE_URL: "http://127.0.0.1:1" },
      }),
    ).toMatchObject({ baseUrl: "http://127.0.0.1:1", entity: "file-team", project: "env-proj" });
    expect(resolveWandbConfig({ env, entity: "opt" }).entity).toBe("opt");
    // a missing file is no settings, as for the SDK
    expect(resolveWandbConfig({ env: { WANDB_API_KEY: "k" }, settingsPath: join(config, "nope") })).toEqual({
      apiKey: "k",
      baseUrl: "https://api.wandb.ai",
      project: "uncategorized",
    });
  });

  it("refuses the web UI's address as a base URL, and http for wandb.ai, as the SDK does", () => {
    const env = { WANDB_API_KEY: "k" };
    for (const baseUrl of ["https://wandb.ai", "https://app.wandb.ai/", "https://wandb.ai/site"]) {
      expect(() => resolveWandbConfig({ env, baseUrl, settingsPath: "/nonexistent" }), baseUrl).toThrow(
        expect.objectContaining({
          code: "INVALID_ARGUMENT",
          message: expect.stringContaining("api.wandb.ai"),
        }),
      );
    }
    expect(() => resolveWandbConfig({ env, baseUrl: "http://api.wandb.ai" })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining("not secure") }),
    );
    for (const baseUrl of ["https://api.wandb.ai", "https://wandb.example.com", "https://acme.wandb.io"]) {
      expect(resolveWandbConfig({ env, baseUrl, settingsPath: "/nonexistent" }).baseUrl).toBe(baseUrl);
    }
  });
});
