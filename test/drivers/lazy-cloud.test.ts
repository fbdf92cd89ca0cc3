/** A local or memory store never loads a cloud SDK (they are imported lazily by createDriver). */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const HOOK = fileURLToPath(new URL("../fixtures/storage/forbid-cloud-sdks.mjs", import.meta.url));
const SCRIPT = fileURLToPath(new URL("../fixtures/storage/use-local-store.ts", import.meta.url));

describe("lazy cloud drivers", () => {
  it("importing the package and using local and memory stores loads no cloud SDK", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--import", HOOK, SCRIPT]);
    expect(stdout).toBe("OK\n");
  });

  it("the guard works: opening an s3:// store does load the AWS SDK", async () => {
    const error = await run(process.execPath, ["--import", "tsx", "--import", HOOK, SCRIPT, "cloud"]).catch(
      (e: { stderr: string }) => e,
    );
    expect((error as { stderr?: string }).stderr).toMatch(/cloud SDK imported: @aws-sdk\//);
  });
});
