/**
 * The layers of docs/architecture.md hold: every relative import in src/ goes from a layer to one it may
 * use. A new arrow fails here with the file and the import, so the picture stays true.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** What each layer may import (besides itself), as the table of docs/architecture.md says. */
const ALLOWED: Record<string, readonly string[]> = {
  errors: [],
  util: ["errors"],
  core: ["util", "errors"],
  storage: ["drivers", "util", "errors"],
  drivers: ["storage", "util", "errors"],
  checkpoint: ["core", "util", "errors"],
  cache: ["storage", "drivers", "core", "util", "errors"],
  managers: ["cache", "storage", "drivers", "core", "checkpoint", "util", "errors"],
  "model-logger": ["managers", "checkpoint", "storage", "core", "util", "errors"],
  ui: ["managers", "checkpoint", "cache", "storage", "drivers", "core", "util", "errors"],
  index: [
    "errors",
    "util",
    "core",
    "storage",
    "drivers",
    "checkpoint",
    "cache",
    "managers",
    "model-logger",
    "ui",
  ],
  cli: ["index"],
};

/** The layer of a path under src/: its top folder, or the file's name without extension at the top. */
function layerOf(path: string): string {
  const top = relative(SRC, path).split(sep)[0] ?? "";
  return top.replace(/\.(ts|js)$/, "");
}

/** Every relative import (static, `export … from`, dynamic) of a source text. */
function importsOf(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:import|export)\s[^;]*?from\s*"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/gs;
  for (const match of text.matchAll(pattern)) found.push((match[1] ?? match[2]) as string);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The imports that break the table, as `file → import (layer → layer)`. */
function violations(): string[] {
  const wrong: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    const allowed = ALLOWED[from];
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      const to = layerOf(resolve(dirname(file), spec));
      if (to === from) continue;
      if (allowed === undefined || !allowed.includes(to)) {
        wrong.push(`${relative(SRC, file)} → ${spec} (${from} → ${to})`);
      }
    }
  }
  return wrong;
}

describe("layers (docs/architecture.md)", () => {
  it("every import in src/ goes to a layer its layer may use", () => {
    expect(violations()).toEqual([]);
  });

  it("every folder of src/ is a known layer", () => {
    const tops = readdirSync(SRC).map((name) => name.replace(/\.(ts|js)$/, ""));
    expect(tops.filter((top) => ALLOWED[top] === undefined)).toEqual([]);
  });

  it("finds static, export-from and dynamic imports (so a wrong arrow cannot hide)", () => {
    const text = `import { a } from "../core/a.js";\nexport { b } from "./b.js";\nimport type {\n  C,\n} from "../managers/c.js";\nconst d = await import("../drivers/d.js");`;
    expect(importsOf(text)).toEqual(["../core/a.js", "./b.js", "../managers/c.js", "../drivers/d.js"]);
  });
});
