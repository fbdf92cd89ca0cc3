/** Shared types and helpers of the manager suite's parts. */
import { expect } from "vitest";
import { isArtifactError } from "../../../src/errors.js";
import type { ArtifactManager } from "../../../src/managers/artifact-manager.js";

/** What a manager suite setup returns. */
export interface ManagerFixture {
  manager: ArtifactManager;
  cleanup: () => Promise<void>;
}

/** Where a test's artifact lives (for hooks). */
export interface ArtifactLocation {
  manager: ArtifactManager;
  collection: string;
  name: string;
  version: string;
  /** Path of a file inside the version. */
  path: string;
}

/** Backend differences and store-specific hooks. */
export interface ManagerSuiteOptions {
  /** The backend supports setAlias / removeAlias / listAliases. @default true */
  aliases?: boolean;
  /** getVersion returns `metadata` as logged. @default true */
  metadata?: boolean;
  /** getVersion lists a hex `sha256` per file. @default true */
  sha256?: boolean;
  /** Replaces a stored file's content (same size); enables the CHECKSUM_MISMATCH and verify cases. */
  corruptFile?: (location: ArtifactLocation) => Promise<void>;
  /** Reads the description the store keeps for the latest log (scaffold: `meta/readme.txt`). */
  readDescription?: (location: Omit<ArtifactLocation, "version" | "path">) => Promise<string | undefined>;
  /** Test timeout in ms for remote backends. @default 60_000 */
  timeout?: number;
}

export interface SuiteContext {
  manager: () => ArtifactManager;
  local: () => string;
  collection: () => string;
  /** Writes a local file under a fresh folder and returns its path. */
  file: (relative: string, content: string | Uint8Array) => Promise<string>;
  options: ManagerSuiteOptions;
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isArtifactError(error), `expected ArtifactError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

/** Registers the manager suite for one backend. */
