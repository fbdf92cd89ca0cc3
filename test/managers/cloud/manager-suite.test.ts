/** The whole ArtifactManager suite against FileSystemArtifactManager on every cloud backend. */
import { describeManagerSuite } from "../../conformance/manager-suite.js";
import { CLOUD_BACKENDS, DRIVER_HOOKS, openManager } from "./stores.js";

for (const backend of CLOUD_BACKENDS) {
  describeManagerSuite(`filesystem on ${backend.name}`, () => openManager(backend), DRIVER_HOOKS);
}
