/** Commit records (store format v1): building, digesting, parsing. Pure, no I/O. */
import { createHash } from "node:crypto";
import { ArtifactError } from "../errors.js";
import { compareCodePoints } from "../util/compare.js";
import { validateArtifactPath } from "./names.js";
import type { FileEntry, Producer, Provenance, VersionRecord } from "./types.js";

/** The format number written into every record. */
export const RECORD_FORMAT = 1;

/** Who writes our records. */
export const PRODUCER: Producer = { name: "artifact-manager", version: "0.1.0" };

/** Sorts file entries by path in Unicode code point order (the record's order). */
export function sortFileEntries<T extends { path: string }>(files: T[]): T[] {
  return files.sort((a, b) => compareCodePoints(a.path, b.path));
}

/** The artifact digest: sha256 of `"<path>\t<sha256>\t<size>\n"` lines in record order. */
export function computeArtifactDigest(files: readonly FileEntry[]): string {
  const hash = createHash("sha256");
  for (const file of files) hash.update(`${file.path}\t${file.sha256 ?? ""}\t${file.size}\n`);
  return hash.digest("hex");
}

/** Options of {@link buildRecord}. */
export interface BuildRecordOptions {
  name: string;
  collection: string;
  version: string;
  files: FileEntry[];
  description?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** @default new Date() */
  createdAt?: Date;
  provenance?: Provenance | undefined;
  /** Resolved input refs (see {@link VersionRecord.inputs}); empty = none. */
  inputs?: readonly string[] | undefined;
}

/** Builds the commit record of a new version (files sorted, digest computed). */
export function buildRecord(options: BuildRecordOptions): VersionRecord {
  const files = sortFileEntries(options.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })));
  return {
    format: RECORD_FORMAT,
    name: options.name,
    collection: options.collection,
    version: options.version,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
    producer: PRODUCER,
    files: files as FileEntry[],
    digest: computeArtifactDigest(files as FileEntry[]),
    ...(options.provenance === undefined ? {} : { provenance: options.provenance }),
    ...(options.inputs === undefined || options.inputs.length === 0 ? {} : { inputs: [...options.inputs] }),
  };
}

/** Parses a stored record; throws `UNEXPECTED` naming the key when it is not a v1 record. */
export function parseRecord(text: string, key: string): VersionRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError("UNEXPECTED", `commit record ${key} is not valid JSON`, {
      cause,
      context: { key },
    });
  }
  const record = value as Partial<VersionRecord> | null;
  const filesOk =
    Array.isArray(record?.files) &&
    record.files.every((f) => typeof f?.path === "string" && typeof f.size === "number");
  if (!record || typeof record !== "object" || typeof record.version !== "string" || !filesOk) {
    throw new ArtifactError("UNEXPECTED", `commit record ${key} is malformed (needs version and files)`, {
      context: { key },
    });
  }
  for (const file of record.files as FileEntry[]) checkRecordPath(file.path, key);
  // Readers ignore keys they do not know; later formats only add keys.
  return record as VersionRecord;
}

/**
 * A record's file path must be a clean relative path (what `validateArtifactPath` returns unchanged):
 * a `..`, absolute or unnormalised path would let a corrupt or hostile record write outside a download
 * target. Throws `UNEXPECTED` naming the record.
 */
function checkRecordPath(path: string, key: string): void {
  let clean: string | undefined;
  try {
    clean = validateArtifactPath(path, "path");
  } catch {
    clean = undefined;
  }
  if (clean === path) return;
  throw new ArtifactError(
    "UNEXPECTED",
    `commit record ${key} is corrupt: file path ${JSON.stringify(path)} is not a clean relative path (no '..', absolute, empty or '.' segments); the record was damaged or not written by this tool`,
    { context: { key } },
  );
}

/** Checks that user metadata is JSON-serialisable, naming the option otherwise. */
export function validateMetadata(metadata: unknown): Record<string, unknown> | undefined {
  if (metadata === undefined) return undefined;
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      "the `metadata` option must be a plain object of JSON values",
    );
  }
  try {
    return JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>;
  } catch (cause) {
    throw new ArtifactError("INVALID_ARGUMENT", "the `metadata` option must be JSON-serialisable", { cause });
  }
}

/** Checks the `ifUnchanged` log option. */
export function validateIfUnchanged(value: unknown): "reuse" | "new-version" | undefined {
  if (value === undefined || value === "reuse" || value === "new-version") return value;
  throw new ArtifactError(
    "INVALID_ARGUMENT",
    `Expected the \`ifUnchanged\` option to be "reuse" or "new-version", got \`${String(value)}\``,
  );
}
