/** The whole ArtifactManager suite against FileSystemArtifactManager on every cloud backend. */

import { DRIVER_HOOKS } from "../../conformance/driver-hooks.js";
import { describeManagerSuite } from "../../conformance/manager-suite.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

for (const backend of CLOUD_BACKENDS) {
  describeManagerSuite(`filesystem on ${backend.name}`, () => openManager(backend), {
    ...DRIVER_HOOKS,
    timeout: 120_000,
  });
}
