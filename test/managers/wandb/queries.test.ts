/** Every GraphQL document the client sends validates against the reconstructed W&B schema. */
import { readFileSync } from "node:fs";
import { buildSchema, parse, printSchema, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { WANDB_DOCUMENTS } from "../../../src/managers/wandb/queries.js";

const schema = buildSchema(
  readFileSync(new URL("../../wandb-emulator/schema.graphql", import.meta.url), "utf8"),
);
const shared = new URL("../../../../shared/wandb/schema.reconstructed.graphql", import.meta.url);

describe("W&B GraphQL documents", () => {
  it.each(Object.entries(WANDB_DOCUMENTS))("%s validates against the schema", (_name, document) => {
    expect(validate(schema, parse(document)).map((e) => e.message)).toEqual([]);
  });

  it("each document is one named operation", () => {
    for (const document of Object.values(WANDB_DOCUMENTS)) {
      const definitions = parse(document).definitions;
      expect(definitions).toHaveLength(1);
      expect(definitions[0]).toMatchObject({ kind: "OperationDefinition", name: { kind: "Name" } });
    }
  });

  it("the validation can fail: a field the SDK never sends is rejected", () => {
    const bad = `mutation M($id: ID!) { createArtifactManifest(input: { artifactID: $id, name: "m", digest: "",
      entityName: "e", projectName: "p", runName: "r", includeUpload: true }) { artifactManifest { id } } }`;
    expect(validate(schema, parse(bad)).length).toBeGreaterThan(0);
  });

  it("the repo's schema copy (biome-formatted) equals the shared reconstructed schema", () => {
    let original: string;
    try {
      original = readFileSync(shared, "utf8");
    } catch {
      return; // CI guarantees ../shared; a bare clone elsewhere only has the copy
    }
    expect(printSchema(schema)).toBe(printSchema(buildSchema(original)));
  });
});
