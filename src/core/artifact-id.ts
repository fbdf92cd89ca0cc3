/**
 * Artifact ids, ported from scaffold's helpers: a new unique id is a prefix, random words and a UTC
 * timestamp (`train-brave-otter-20261126-193000`). The checks that take a manager (an id is unused, an
 * input id exists) are in managers/artifact-id-checks.ts.
 */
import { randomInt } from "node:crypto";
import { ArtifactError } from "../errors.js";
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
