/**
 * The W&B emulator's in-memory data model (PROTOCOL.md section 7): projects, runs, artifact types,
 * sequences (collections), artifacts (versions), aliases, stored blobs and multipart uploads.
 */

/** An error with the HTTP status the real server answers for it (PROTOCOL.md 5.1). */
export class EmulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface EmuProject {
  id: string;
  name: string;
  entity: string;
  runs: Map<string, EmuRun>;
  types: Map<string, EmuType>;
  sequences: Map<string, EmuSequence>;
}

export interface EmuRun {
  id: string;
  name: string;
  jobType: string | null;
  /** The run's own files (createRunFiles at finish: config, summary, logs), path → bytes. */
  files: Map<string, Buffer>;
}

export interface EmuType {
  id: string;
  name: string;
  createdAt: string;
  project: EmuProject;
}

export interface EmuSequence {
  id: string;
  name: string;
  type: EmuType;
  project: EmuProject;
  createdAt: string;
  /** Every artifact ever created in the sequence (pending ones too). */
  artifacts: EmuArtifact[];
  /** Committed versions; index = version index. */
  versions: EmuArtifact[];
  /** alias → artifact; unique per sequence. */
  aliases: Map<string, EmuArtifact>;
  /** The algorithm of the artifact that created the sequence (wandb-core logs into it with it). */
  digestAlgorithm: DigestAlgorithm;
}

/** The server's `ArtifactDigestAlgorithm`. */
export type DigestAlgorithm = "MANIFEST_MD5" | "MANIFEST_XXH128";

export interface EmuEntry {
  digest: string;
  size: number;
  birthArtifactID?: string;
  /** A reference: the bytes live at this URI, not in the server's storage. */
  ref?: string;
  /** `alg: "XXH128"` marks an xxh3-128 digest (untagged entries are md5). */
  extra?: { alg?: string; [key: string]: unknown };
}

export interface EmuArtifact {
  id: string;
  sequence: EmuSequence;
  state: "PENDING" | "COMMITTED" | "DELETED";
  digest: string;
  digestAlgorithm: DigestAlgorithm;
  description: string | null;
  metadata: string | null;
  versionIndex: number | null;
  createdAt: string;
  runName: string | null;
  /** Aliases requested at createArtifact, applied at commit. */
  pendingAliases: string[];
  manifest?: { id: string; name: string; digest: string; bytes?: Buffer };
  /** The committed manifest's entries. */
  entries: Map<string, EmuEntry>;
  size: number;
}

/** Bytes stored once per project and md5 (file-level dedup), with the artifact that uploaded them. */
export interface EmuBlob {
  bytes: Buffer;
  birth: EmuArtifact;
}

export interface EmuMultipart {
  uploadID: string;
  storagePath: string;
  blobKey: string;
  md5: string;
  birth: EmuArtifact;
  parts: Map<number, { hexMD5: string; bytes?: Buffer; etag?: string }>;
}

/** Everything the emulator holds. */
export class EmulatorState {
  readonly projects = new Map<string, EmuProject>();
  readonly blobs = new Map<string, EmuBlob>();
  readonly artifacts = new Map<string, EmuArtifact>();
  readonly multiparts = new Map<string, EmuMultipart>();
  /** IDs of the versions deleteArtifact deleted, in order (tests look at them). */
  readonly deletes: string[] = [];
  /** Blob key of a non-md5 file digest (`createArtifactFiles`' `digest`), by `blobKey(project, digest)`. */
  readonly digestKeys = new Map<string, string>();
  #ids = 0;

  /** A base64 global ID like the real server's (`"Artifact:42"`). */
  nextId(type: string): string {
    return Buffer.from(`${type}:${++this.#ids}`).toString("base64");
  }

  /** A W&B DateTime: UTC to the second, without a zone designator (`2026-12-07T02:21:30`). */
  now(): string {
    return new Date().toISOString().slice(0, 19);
  }

  project(entity: string, name: string): EmuProject | undefined {
    return this.projects.get(`${entity}/${name}`);
  }

  ensureProject(entity: string, name: string): EmuProject {
    const key = `${entity}/${name}`;
    let project = this.projects.get(key);
    if (!project) {
      project = {
        id: this.nextId("Project"),
        name,
        entity,
        runs: new Map(),
        types: new Map(),
        sequences: new Map(),
      };
      this.projects.set(key, project);
    }
    return project;
  }

  /** Blob key: dedup scope is the project (the real scope is unsure, PROTOCOL.md 7). */
  blobKey(project: EmuProject, md5: string): string {
    return `${project.entity}/${project.name}/${md5}`;
  }

  /** The blob key of a manifest entry's digest (an md5, or a digest given with its md5 at upload). */
  blobKeyOf(project: EmuProject, digest: string): string {
    const key = this.blobKey(project, digest);
    return this.digestKeys.get(key) ?? key;
  }

  artifact(id: string): EmuArtifact {
    const artifact = this.artifacts.get(id);
    if (!artifact) throw new EmulatorError(404, `artifact ${id} not found`, "NOT_FOUND");
    return artifact;
  }

  /** The artifact a version string or alias names in a sequence. */
  member(sequence: EmuSequence, aliasName: string): EmuArtifact | undefined {
    const match = /^v(\d+)$/.exec(aliasName);
    if (match) return sequence.versions[Number(match[1])];
    return sequence.aliases.get(aliasName);
  }

  /** 400 unless `artifact` is committed and `alias` may name it (not `vN`, no `/` or `:`, ≤ 128). */
  checkAlias(artifact: EmuArtifact, alias: string): void {
    if (artifact.state !== "COMMITTED")
      throw new EmulatorError(400, `artifact ${artifact.id} is not committed`);
    if (/^v\d+$/.test(alias) || alias === "" || /[/:]/.test(alias) || alias.length > 128) {
      throw new EmulatorError(400, `invalid alias '${alias}'`);
    }
  }

  /** The highest version of a sequence that is not deleted (what `latest` means to a new log). */
  latestVersion(sequence: EmuSequence): EmuArtifact | undefined {
    return sequence.versions.findLast((a) => a.state === "COMMITTED");
  }

  aliasesOf(artifact: EmuArtifact): string[] {
    return [...artifact.sequence.aliases].filter(([, a]) => a === artifact).map(([alias]) => alias);
  }
}
