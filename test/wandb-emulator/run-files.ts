/**
 * createRunFiles (SDK 0.30, PROTOCOL.md 8): wandb-core asks for upload URLs of a run's own files
 * (config, summary, output log) at `run.finish()`; one File per path, in request order.
 */
import { type EmulatorContext, findProject } from "./context.js";
import { EmulatorError } from "./model.js";

interface RunFilesInput {
  entityName: string;
  projectName: string;
  runName: string;
  files: string[];
}

export function createRunFiles({ input }: { input: RunFilesInput }, ctx: EmulatorContext) {
  const run = findProject(ctx, input.entityName, input.projectName)?.runs.get(input.runName);
  if (!run) {
    throw new EmulatorError(
      404,
      `run ${input.entityName}/${input.projectName}/${input.runName} not found`,
      "NOT_FOUND",
    );
  }
  const files = input.files.map((name) => ({
    id: Buffer.from(`File:${run.id}:${name}`).toString("base64"),
    name,
    uploadUrl: ctx.signer.uploadUrl({ kind: "run-file", files: run.files, name }),
  }));
  return { runID: run.id, uploadHeaders: [], files };
}
