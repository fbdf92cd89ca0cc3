/** Issue 20 reuse suite (identical re-logs, in-store copies, copy fallback) on every cloud backend. */
import { describeReuseSuite } from "../../conformance/reuse-suite.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

for (const backend of CLOUD_BACKENDS) {
  describeReuseSuite(backend.name, () => openManager(backend), 120_000);
}
