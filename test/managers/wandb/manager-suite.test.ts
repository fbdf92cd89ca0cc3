/** The shared ArtifactManager suite (test/conformance/manager-suite.ts) against the W&B emulator. */
import { describeManagerSuite } from "../../conformance/manager-suite.js";
import { startFixture } from "./fixtures.js";

let corrupt: ((md5: string) => void) | undefined;

describeManagerSuite(
  "wandb (emulator)",
  async () => {
    const fixture = await startFixture();
    corrupt = (md5) => {
      for (const [key, blob] of fixture.emulator.state.blobs) {
        if (key.endsWith(`/${md5}`)) blob.bytes = Buffer.from(blob.bytes.toString("utf8").toUpperCase());
      }
    };
    return { manager: fixture.manager(), cleanup: fixture.close };
  },
  {
    // W&B keeps base64 md5 per file, not sha256
    sha256: false,
    corruptFile: async ({ manager, collection, name, version, path }) => {
      const record = await manager.getVersion(name, { collection, version });
      const md5 = record.files.find((f) => f.path === path)?.md5;
      if (md5 === undefined || corrupt === undefined) throw new Error(`no md5 for ${path}`);
      corrupt(md5);
    },
  },
);
