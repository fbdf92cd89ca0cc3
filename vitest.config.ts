import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // A shared server's start runs in a beforeAll hook: radosgw may take two attempts (RADOSGW_START_BUDGET_MS).
    hookTimeout: 420_000,
    pool: "forks",
    // The download cache is off unless a test asks for it (test/cache/): a file one test cached would
    // hide another test's tampered store object. Child processes (the CLI) inherit it.
    env: { ARTIFACTS_CACHE: "off" },
    // Cloud servers (radosgw, azurite) start lazily in the cloud test files; this stops them at the end.
    globalSetup: ["test/servers/global-setup.ts"],
  },
});
