/** The S3 SDK's retries, announced: the strategy's decisions and the events it gives onRetry. */
import { describe, expect, it } from "vitest";
import { announcingRetryStrategy } from "../../src/drivers/s3-retry-strategy.js";
import type { RetryEvent } from "../../src/storage/layers/retry-event.js";

const busy = {
  errorType: "SERVER_ERROR" as const,
  error: {
    name: "ServiceUnavailable",
    message: "Please reduce your request rate.",
    $metadata: { httpStatusCode: 503 },
  },
};

describe("announcingRetryStrategy", () => {
  it("retries server errors up to its count, announcing each retry with its delay; then gives the error back", async () => {
    const events: RetryEvent[] = [];
    const strategy = announcingRetryStrategy((e) => events.push(e), 2);
    let token = await strategy.acquireInitialRetryToken("");
    token = await strategy.refreshRetryTokenForRetry(token, busy);
    token = await strategy.refreshRetryTokenForRetry(token, busy);
    expect(token.getRetryCount()).toBe(2);
    await expect(strategy.refreshRetryTokenForRetry(token, busy)).rejects.toBe(busy.error);
    expect(events).toMatchObject([
      {
        type: "retry",
        attempt: 1,
        max: 2,
        reason: "HTTP 503 ServiceUnavailable: Please reduce your request rate.",
      },
      { type: "retry", attempt: 2, max: 2 },
    ]);
    expect(events[1]?.delayMs).toBe(token.getRetryDelay());
  });

  it("never retries a client error, and retries nothing with a count of 0", async () => {
    const events: RetryEvent[] = [];
    const strategy = announcingRetryStrategy((e) => events.push(e));
    const client = { errorType: "CLIENT_ERROR" as const, error: { name: "AccessDenied" } };
    await expect(
      strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(""), client),
    ).rejects.toBe(client.error);
    const none = announcingRetryStrategy((e) => events.push(e), 0);
    await expect(none.refreshRetryTokenForRetry(await none.acquireInitialRetryToken(""), busy)).rejects.toBe(
      busy.error,
    );
    expect(events).toEqual([]);
  });
});
