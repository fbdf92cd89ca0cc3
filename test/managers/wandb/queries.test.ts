/** Every GraphQL document the client sends validates against the reconstructed W&B schema. */
import { readFileSync } from "node:fs";
import {
  buildSchema,
  type GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  parse,
  validate,
} from "graphql";
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

  it("the repo's schema holds all of the shared reconstructed schema, unchanged (and only adds to it)", () => {
    let original: string;
    try {
      original = readFileSync(shared, "utf8");
    } catch {
      return; // CI guarantees ../shared; a bare clone elsewhere only has the copy
    }
    // what the real SDK 0.30 sends beyond it (marked "(SDK 0.30)" in schema.graphql) is added here only
    const missing: string[] = [];
    for (const type of Object.values(buildSchema(original).getTypeMap())) {
      if (type.name.startsWith("__")) continue;
      const ours = schema.getType(type.name);
      for (const member of members(type)) {
        if (!ours || !members(ours).includes(member)) missing.push(`${type.name}: ${member}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

/** A type's fields (with arguments and types), enum values or union members, as comparable strings. */
function members(type: GraphQLNamedType): string[] {
  if (isEnumType(type)) return type.getValues().map((v) => v.name);
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    return Object.values(type.getFields()).map((field) => {
      const args =
        "args" in field
          ? field.args.map((a: { name: string; type: unknown }) => `${a.name}: ${String(a.type)}`).join(", ")
          : "";
      return `${field.name}(${args}): ${field.type}`;
    });
  }
  return [type.toString()];
}
