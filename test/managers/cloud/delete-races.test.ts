/** Delete races (downloads, prunes, aliases, crashes stopped at each step) on every cloud backend. */
import { describeDeleteRaces } from "../delete-races.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

for (const backend of CLOUD_BACKENDS)
  describeDeleteRaces(
    `filesystem on ${backend.name}`,
    async () => {
      const { manager, cleanup } = await openManager(backend);
      return { driver: await manager.getDriver(), cleanup };
    },
    { timeout: 120_000 },
  );
