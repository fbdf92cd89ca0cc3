/**
 * Artifact ids, ported from scaffold's helpers: a new unique id is a prefix, random words and a UTC
 * timestamp (`train-brave-otter-20261126-193000`); checks that a target id is unused or an input id exists.
 */
import { randomInt } from "node:crypto";
import { ArtifactError } from "../errors.js";
import type { ArtifactManager } from "../managers/artifact-manager.js";
import { validateArtifactName } from "./names.js";

const ADJECTIVES = [
  "amber",
  "bold",
  "brave",
  "calm",
  "clever",
  "cosmic",
  "crisp",
  "eager",
  "fancy",
  "gentle",
  "golden",
  "happy",
  "jolly",
  "keen",
  "lively",
  "lucky",
  "mellow",
  "misty",
  "noble",
  "proud",
  "quick",
  "quiet",
  "rapid",
  "shiny",
  "silent",
  "snowy",
  "sunny",
  "swift",
  "tidy",
  "vivid",
  "witty",
  "zesty",
];
const NOUNS = [
  "badger",
  "breeze",
  "cedar",
  "comet",
  "delta",
  "ember",
  "falcon",
  "fjord",
  "forest",
  "garnet",
  "harbor",
  "heron",
  "island",
  "lagoon",
  "lynx",
  "meadow",
  "nebula",
  "orbit",
  "otter",
  "panda",
  "pine",
  "quartz",
  "raven",
  "river",
  "summit",
  "tiger",
  "tundra",
  "valley",
  "walrus",
  "willow",
  "yak",
  "zephyr",
];

/** Options of {@link createArtifactId}. */
export interface CreateArtifactIdOptions {
  /** Leading part, e.g. the experiment name. @default none */
  prefix?: string;
  /** Number of random words. @default 2 */
  words?: number;
  /** Time of the timestamp part (UTC). @default new Date() */
  date?: Date;
  /** Random integer source in [0, max). @default crypto.randomInt */
  randomInt?: (max: number) => number;
}

/** A new artifact id: `[prefix-]word-word-YYYYMMDD-HHMMSS`. The result is a valid artifact name. */
export function createArtifactId(options: CreateArtifactIdOptions = {}): string {
  const words = options.words ?? 2;
  if (!Number.isInteger(words) || words < 1 || words > 8) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`words\` option to be an integer from 1 to 8, got \`${words}\``,
    );
  }
  if (options.prefix !== undefined) validateArtifactName(options.prefix);
  const pick = options.randomInt ?? randomInt;
  const parts = Array.from({ length: words }, (_, i) => {
    const list = i === words - 1 ? NOUNS : ADJECTIVES;
    return list[pick(list.length)] as string;
  });
  const iso = (options.date ?? new Date()).toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 19).replaceAll(":", "")}`;
  const id = [options.prefix, ...parts, stamp].filter((part) => part !== undefined && part !== "").join("-");
  validateArtifactName(id);
  return id;
}

/** Options of the id checks. */
export interface ArtifactIdCheckOptions {
  /** Look only in this collection. @default every collection (as scaffold's `exists`) */
  collection?: string;
}

/** Throws `ALREADY_EXISTS` when `id` is taken (a target id for new output must be unused). */
export async function assertArtifactIdUnused(
  manager: ArtifactManager,
  id: string,
  options: ArtifactIdCheckOptions = {},
): Promise<void> {
  validateArtifactName(id);
  const taken =
    options.collection === undefined
      ? await manager.exists(id)
      : await manager.existsInCollection(id, options.collection);
  if (taken) {
    throw new ArtifactError(
      "ALREADY_EXISTS",
      `artifact id '${id}' is already used${options.collection ? ` in collection '${options.collection}'` : ""}; pick a new id (createArtifactId makes one)`,
    );
  }
}

/** Throws `NOT_FOUND` unless `id` exists (an input id must name a logged artifact). */
export async function assertArtifactIdExists(
  manager: ArtifactManager,
  id: string,
  options: ArtifactIdCheckOptions = {},
): Promise<void> {
  validateArtifactName(id);
  const found =
    options.collection === undefined
      ? await manager.exists(id)
      : await manager.existsInCollection(id, options.collection);
  if (!found) {
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact id '${id}' does not exist${options.collection ? ` in collection '${options.collection}'` : ""}; check the id or log it first`,
    );
  }
}

/** A new id that is not used yet in the manager's store (retries on the rare collision). */
export async function createUniqueArtifactId(
  manager: ArtifactManager,
  options: CreateArtifactIdOptions & ArtifactIdCheckOptions = {},
): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const id = createArtifactId(options);
    const taken =
      options.collection === undefined
        ? await manager.exists(id)
        : await manager.existsInCollection(id, options.collection);
    if (!taken) return id;
  }
  throw new ArtifactError(
    "CONFLICT",
    "could not find an unused artifact id after 20 tries; pass a more specific `prefix`",
    {
      retryable: true,
    },
  );
}
