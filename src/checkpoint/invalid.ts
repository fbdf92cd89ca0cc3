/** The one error every malformed checkpoint produces. */
import { ArtifactError } from "../errors.js";

/** An `ArtifactError("CHECKPOINT_INVALID", …)` naming what is wrong with the file. */
export function invalidCheckpoint(message: string, cause?: unknown): ArtifactError {
  return new ArtifactError(
    "CHECKPOINT_INVALID",
    `invalid checkpoint: ${message}`,
    cause === undefined ? {} : { cause },
  );
}
