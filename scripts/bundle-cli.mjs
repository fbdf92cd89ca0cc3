/**
 * Bundles the `artifacts` CLI (src/cli/bin.ts) with its dependencies into dist/cli-bundle/, one file per
 * lazily loaded part (each cloud driver with its SDK is a chunk of its own, loaded on first use).
 *
 * Why: loading an SDK from node_modules is hundreds of small ES modules, each resolved, read and
 * compiled; `@azure/storage-blob` alone took 215-250 ms, 40-60 ms bundled, and `artifacts get` of a
 * tiny artifact on azurite went from 350-520 ms to 230-250 ms (bench/README.md). The library (dist/)
 * stays unbundled: a long-lived process pays the load once.
 *
 * Run by `npm run build` after tsc.
 */
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const OUT = "dist/cli-bundle";

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: { bin: "src/cli/bin.ts" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir: OUT,
  chunkNames: "[name]-[hash]",
  // ES module builds first (the AWS SDK's `module`): a CommonJS build imported dynamically would only
  // have a default export in the bundle, where Node gives named ones too.
  mainFields: ["module", "main"],
  // node-fetch 2 (the GCS SDK's) imports whatwg-url only as a fallback for a Node without `URL`.
  alias: { "whatwg-url": fileURLToPath(new URL("./whatwg-url-shim.mjs", import.meta.url)) },
  // A native addon (prebuilt binaries as optional dependencies): loaded from node_modules at run time.
  external: ["@node-rs/crc32"],
  // CommonJS dependencies call `require`, which an ES module does not have.
  banner: {
    js: "import { createRequire as __amCreateRequire } from 'node:module'; const require = __amCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
});
