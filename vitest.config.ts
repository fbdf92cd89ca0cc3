import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // A shared server's start runs in a beforeAll hook: radosgw may take two attempts (RADOSGW_START_BUDGET_MS).
    hookTimeout: 420_000,
    pool: "forks",
    // Cloud servers (radosgw, azurite) start lazily in the cloud test files; this stops them at the end.
    globalSetup: ["test/servers/global-setup.ts"],
  },
});
