/** How the CLI classifies an error after Ctrl-C: a log whose commit is unknown says so (issue 17.1). */
import { expect, it } from "vitest";
import { describeError } from "../../src/cli/output/print.js";
import { ArtifactError } from "../../src/errors.js";

it("a plain cancellation is one line, exit 130", () => {
  const report = describeError(new DOMException("aborted", "AbortError"), "SIGINT");
  expect(report).toEqual({ exitCode: 130, code: "INTERRUPTED", message: "cancelled by SIGINT (Ctrl-C)" });
});

it("a log whose commit could not be confirmed after Ctrl-C keeps its message", () => {
  const error = new ArtifactError("UNAVAILABLE", "could not learn whether 'm' v3 was committed …", {
    context: { operation: "log", commit: "unknown" },
  });
  const report = describeError(error, "SIGINT");
  expect(report.exitCode).toBe(130);
  expect(report.message).toBe(
    "cancelled by SIGINT (Ctrl-C), but could not learn whether 'm' v3 was committed …",
  );
});
