import { describe, expect, it } from "vitest";
import { mapAzureError } from "../../src/drivers/azure-errors.js";

const subject = {
  operation: "write",
  container: "c",
  url: "az://c/p",
  key: "k",
  auth: "connection string",
  condition: "ifNotExists" as const,
};
const restError = (code: string, statusCode: number) =>
  Object.assign(new Error(code), { name: "RestError", code, statusCode });

describe("mapAzureError on create-only writes", () => {
  it("only 409 BlobAlreadyExists and 412 mean the blob exists", () => {
    expect(mapAzureError(restError("BlobAlreadyExists", 409), subject).code).toBe("ALREADY_EXISTS");
    expect(mapAzureError(restError("ConditionNotMet", 412), subject).code).toBe("ALREADY_EXISTS");
  });

  it("any other 409 (a lease, a pending copy…) is CONFLICT, not ALREADY_EXISTS", () => {
    for (const code of ["LeaseIdMissing", "PendingCopyOperation", "ContainerBeingDeleted"]) {
      const error = mapAzureError(restError(code, 409), subject);
      expect(error.code, code).toBe("CONFLICT");
    }
  });
});
