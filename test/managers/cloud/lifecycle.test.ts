/** The delete and retention suite on every cloud backend (radosgw, azurite, the GCS fake). */
import { describeLifecycleSuite } from "../lifecycle-suite.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

for (const backend of CLOUD_BACKENDS)
  describeLifecycleSuite(`filesystem on ${backend.name}`, () => openManager(backend), { timeout: 120_000 });
