import { describe, expect, it } from "vitest";
import { validateOperationOptions } from "../../src/core/operation-options.js";
import { isArtifactError } from "../../src/errors.js";

function codeOf(options: unknown): string | undefined {
  try {
    validateOperationOptions(options);
  } catch (error) {
    if (isArtifactError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe("validateOperationOptions", () => {
  it("accepts absent options, an AbortSignal and a progress function", () => {
    expect(codeOf(undefined)).toBeUndefined();
    expect(codeOf({})).toBeUndefined();
    expect(codeOf({ signal: new AbortController().signal, onProgress: () => {} })).toBeUndefined();
    expect(codeOf({ signal: AbortSignal.timeout(1000) })).toBeUndefined();
  });

  it("rejects a signal that is not an AbortSignal and an onProgress that is not a function", () => {
    for (const options of [
      { signal: new AbortController() },
      { signal: true },
      { signal: "abort" },
      { signal: null },
      { onProgress: "print" },
      { onProgress: {} },
      { onProgress: null },
      null,
      "options",
    ]) {
      expect(codeOf(options), JSON.stringify(options)).toBe("INVALID_ARGUMENT");
    }
  });
});
