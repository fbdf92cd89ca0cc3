import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Cloud servers (radosgw, azurite) start lazily in the cloud test files; this stops them at the end.
    globalSetup: ["test/servers/global-setup.ts"],
  },
});
