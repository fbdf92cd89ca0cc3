/** SDK-style retry rules: which statuses retry, Retry-After parsing, and the retry loop. */
import { describe, expect, it } from "vitest";
import { ArtifactError } from "../../../src/errors.js";
import {
  errorForStatus,
  isRetryableStatus,
  parseRetryAfter,
  withRetry,
} from "../../../src/managers/wandb/retry.js";

describe("W&B retry policy", () => {
  it("retries 408, 425, 429 and 5xx except 501 (as wandb-core), never other 4xx; 409 only when asked (upsertBucket)", () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504, 0]) expect(isRetryableStatus(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 410, 413, 422, 501])
      expect(isRetryableStatus(status)).toBe(false);
    expect(isRetryableStatus(409, { retry409: true })).toBe(true);
  });

  it("maps 408 to TIMEOUT and 425 to UNAVAILABLE, both retryable", () => {
    expect(errorForStatus(408, "m", {})).toMatchObject({ code: "TIMEOUT", retryable: true });
    expect(errorForStatus(425, "m", {})).toMatchObject({ code: "UNAVAILABLE", retryable: true });
  });

  it("maps statuses to codes", () => {
    const codes = [401, 403, 404, 409, 429, 503, 400].map((s) => errorForStatus(s, "m", {}).code);
    expect(codes).toEqual([
      "UNAUTHENTICATED",
      "PERMISSION_DENIED",
      "NOT_FOUND",
      "CONFLICT",
      "RATE_LIMITED",
      "UNAVAILABLE",
      "INVALID_ARGUMENT",
    ]);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", Date.parse("2026-01-01T00:00:00Z"))).toBe(10_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  it("retries retryable errors until success, and stops at the first non-retryable one", async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        if (++calls < 3) throw new ArtifactError("UNAVAILABLE", "x", { retryable: true });
        return "ok";
      },
      { minDelayMs: 1, maxDelayMs: 2 },
    );
    expect([result, calls]).toEqual(["ok", 3]);
    calls = 0;
    const fail = withRetry(
      async () => {
        calls++;
        throw new ArtifactError("CONFLICT", "x");
      },
      { minDelayMs: 1 },
    );
    await expect(fail).rejects.toMatchObject({ code: "CONFLICT" });
    expect(calls).toBe(1);
  });

  it("gives up after `retries` and honours abort with the signal's reason", async () => {
    let calls = 0;
    const always = () => {
      calls++;
      return Promise.reject(new ArtifactError("RATE_LIMITED", "x", { retryable: true }));
    };
    await expect(withRetry(always, { retries: 2, minDelayMs: 1 })).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
    expect(calls).toBe(3);
    const controller = new AbortController();
    const reason = new Error("stop");
    const waiting = withRetry(always, { minDelayMs: 60_000, signal: controller.signal });
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});
