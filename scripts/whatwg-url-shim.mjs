/**
 * Stands in for the `whatwg-url` package in the CLI bundle (scripts/bundle-cli.mjs). Its one user there,
 * node-fetch 2 (under the GCS SDK's gaxios), takes `URL` from `node:url` and falls back to whatwg-url's
 * only where Node has none; Node 20 has it. The real package is ~350 KB, mostly tr46's Unicode tables,
 * which the CLI compiled and ran on every GCS command for nothing.
 */
export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;
export default { URL, URLSearchParams };
