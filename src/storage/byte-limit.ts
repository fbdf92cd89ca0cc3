/**
 * Reads that stop at a recorded size: a store (or storage URL) that answers with more bytes than the
 * record says a file has is corrupt or hostile, and must not fill the disk before the size check at
 * the end. Every download path counts its bytes and calls {@link checkByteLimit} as they arrive.
 */
import { ArtifactError } from "../errors.js";

/** At most `maxBytes` may arrive for `key` (the size its record gives). */
export interface ByteLimit {
  /** The recorded size, in bytes. */
  maxBytes: number;
  /** The file's key or path, named in the error. */
  key: string;
  /** The store's backend, for the error's context. */
  backend?: string | undefined;
}

/** Throws `CHECKSUM_MISMATCH` naming the file once `received` passes the limit; no limit, no check. */
export function checkByteLimit(received: number, limit: ByteLimit | undefined): void {
  if (limit === undefined || received <= limit.maxBytes) return;
  throw new ArtifactError(
    "CHECKSUM_MISMATCH",
    `file '${limit.key}' is corrupt: the store holds more than the ${limit.maxBytes} bytes its record gives; stopped reading there (the stored copy was changed or damaged)`,
    { context: { ...(limit.backend ? { backend: limit.backend } : {}), operation: "read", key: limit.key } },
  );
}
