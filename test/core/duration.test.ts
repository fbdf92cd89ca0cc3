/** One duration grammar for the library's options and the CLI's --older-than, --since and --timeout. */
import { describe, expect, it } from "vitest";
import { parseDurationText } from "../../src/core/duration.js";

describe("parseDurationText", () => {
  it("reads a number with any unit, in any case, with spaces around", () => {
    expect(parseDurationText("500ms")).toBe(500);
    expect(parseDurationText("90s")).toBe(90_000);
    expect(parseDurationText("30m")).toBe(1_800_000);
    expect(parseDurationText("1.5h")).toBe(5_400_000);
    expect(parseDurationText("7d")).toBe(7 * 86_400_000);
    expect(parseDurationText("2w")).toBe(14 * 86_400_000);
    expect(parseDurationText(" 12 H ")).toBe(12 * 3_600_000);
  });

  it("takes a bare number only in the caller's unit, or 0", () => {
    expect(parseDurationText("0")).toBe(0);
    expect(parseDurationText("30")).toBeUndefined();
    expect(parseDurationText("30", "s")).toBe(30_000);
    expect(parseDurationText("0", "s")).toBe(0);
  });

  it("is undefined for what is not a duration", () => {
    for (const bad of ["", "d", "-1d", "1y", "ten", "1e3s", "2026-11-01", "1d2h"]) {
      expect(parseDurationText(bad), bad).toBeUndefined();
    }
  });
});
