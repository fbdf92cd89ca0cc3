/** Issue 20 CLI: log --input/--skip-unchanged/--no-provenance, show's provenance lines, lineage (in process). */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/index.js";

let dir = "";
let store = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "am-lineage-cli-"));
  store = join(dir, "store");
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** The result line of a `--json` transfer command (after its NDJSON progress lines). */
const lastJson = (text: string) => JSON.parse(text.trim().split("\n").at(-1) as string);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["--store", store, ...args], {
    env: {},
    cwd: dir,
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}

describe("lineage on the command line", () => {
  it("log --input records the chain; show prints provenance; lineage prints the tree and --used-by", async () => {
    await writeFile(join(dir, "raw.txt"), "raw");
    await writeFile(join(dir, "data.txt"), "data");
    await writeFile(join(dir, "model.bin"), "model");
    expect((await cli("log", "raw.txt", "raw")).code).toBe(0);
    expect((await cli("log", "data.txt", "dataset", "--input", "raw")).code).toBe(0);
    const logged = await cli("log", "model.bin", "model", "--input", "dataset:v0", "--input", "raw:latest");
    expect(logged.code).toBe(0);
    const show = await cli("show", "model:v0");
    expect(show.out).toContain(`@${hostname()}`);
    expect(show.out).toMatch(/^command: {5}\S/m);
    expect(show.out).toContain("inputs:      dataset:v0, raw:v0");
    const lineage = await cli("lineage", "model");
    expect(lineage.out).toBe(
      "model:v0  (collection 'default')\n├── dataset:v0\n│   └── raw:v0\n└── raw:v0  (see above)\n",
    );
    const used = await cli("lineage", "raw:v0", "--used-by", "--json");
    const result = JSON.parse(used.out) as { usedBy: string[]; root: { inputs: unknown[] } };
    expect(result.usedBy.sort()).toEqual(["dataset:v0", "model:v0"]);
    expect(result.root.inputs).toEqual([]);
  });

  it("a missing --input fails with NOT_FOUND's exit code and logs nothing", async () => {
    await writeFile(join(dir, "x.txt"), "x");
    const run = await cli("log", "x.txt", "orphan", "--input", "nothing:v3");
    expect(run.code).not.toBe(0);
    expect(run.err).toContain("nothing");
    expect((await cli("versions", "orphan")).code).not.toBe(0);
  });

  it("--skip-unchanged prints the existing version and still points --alias at it", async () => {
    await writeFile(join(dir, "same.txt"), "same bytes");
    expect((await cli("log", "same.txt", "same")).code).toBe(0);
    const again = await cli("log", "same.txt", "same", "--skip-unchanged", "--alias", "best");
    expect(again.code).toBe(0);
    expect(again.out).toContain("unchanged: identical to same:v0");
    expect(again.out).toContain("aliases: best");
    const versions = await cli("versions", "same", "--json");
    expect(versions.out).not.toContain("v1");
    const json = lastJson((await cli("log", "same.txt", "same", "--skip-unchanged", "--json")).out);
    expect(json).toMatchObject({ version: "v0", reused: true });
    expect(lastJson((await cli("log", "same.txt", "same", "--json")).out)).toMatchObject({
      version: "v1",
      reused: false,
    });
  });

  it("--no-provenance records none of it", async () => {
    await writeFile(join(dir, "np.txt"), "np");
    expect((await cli("log", "np.txt", "np", "--no-provenance")).code).toBe(0);
    const record = JSON.parse((await cli("show", "np", "--json")).out);
    expect(record.provenance).toBeUndefined();
  });
});
