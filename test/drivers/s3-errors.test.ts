import { describe, expect, it } from "vitest";
import { mapS3Error } from "../../src/drivers/s3-errors.js";

const subject = { operation: "write", bucket: "b", url: "s3://b/p", key: "k" };
const sdkError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, Code: name, $metadata: { httpStatusCode: status } });

describe("mapS3Error", () => {
  it("409 ConditionalRequestConflict (a concurrent conflicting write) is a retryable CONFLICT", () => {
    for (const condition of ["ifNotExists", "ifMatch", undefined] as const) {
      const error = mapS3Error(sdkError("ConditionalRequestConflict", 409), {
        ...subject,
        ...(condition ? { condition } : {}),
      });
      expect(error.code).toBe("CONFLICT");
      expect(error.retryable).toBe(true);
    }
  });

  it("412 PreconditionFailed is ALREADY_EXISTS on a create-only write and CONFLICT on an If-Match one", () => {
    const exists = mapS3Error(sdkError("PreconditionFailed", 412), { ...subject, condition: "ifNotExists" });
    expect([exists.code, exists.retryable]).toEqual(["ALREADY_EXISTS", false]);
    const changed = mapS3Error(sdkError("PreconditionFailed", 412), { ...subject, condition: "ifMatch" });
    expect([changed.code, changed.retryable]).toEqual(["CONFLICT", false]);
  });
});
