/** The data model shared by every backend: artifacts, commit records, progress events, options. */

/** A logged (or resolved) artifact version. */
export interface Artifact {
  name: string;
  collection: string;
  /** Always a concrete version, `"v0"`, `"v1"`, … */
  version: string;
  /** Set by a log with `ifUnchanged: "reuse"` that found the content unchanged and returned the latest version. */
  reused?: boolean;
}

/** One file of a version, as the commit record lists it. */
export interface FileEntry {
  /** Relative POSIX path inside the version. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Hex sha256 of the content; absent for a legacy version whose file was not hashed yet. */
  sha256?: string;
  /** Backend-specific digest (W&B: base64 md5). */
  md5?: string;
  /** W&B reference entries: the URI the file is fetched from (its bytes are not in the store). */
  ref?: string;
}

/** Who wrote a version. */
export interface Producer {
  name: string;
  version: string;
}

/** Who and what produced a version, collected by the log that made it (docs/store-format.md). */
export interface Provenance {
  /** Host name of the machine that logged. */
  host: string;
  /** User name of the logging process (`unknown` when the system has none for it). */
  user: string;
  /** The process's command line as `process.argv`: the runtime, the script, then its arguments. */
  command: string[];
  /** Working folder of the logging process. */
  cwd: string;
  /** The git commit of the repository holding `cwd`, when there is one and `git` runs. */
  git?: {
    commit: string;
    /** Tracked files differ from the commit (untracked files do not count). */
    dirty: boolean;
    /** Current branch; absent on a detached HEAD. */
    branch?: string;
  };
}

/** The commit record of a version (`meta/versions/v<N>.json` on file stores). */
export interface VersionRecord {
  format: 1;
  name: string;
  collection: string;
  version: string;
  /** ISO 8601; absent for legacy versions. */
  createdAt?: string;
  description?: string;
  metadata?: Record<string, unknown>;
  producer?: Producer;
  /** Sorted by path in Unicode code point order. */
  files: FileEntry[];
  /** sha256 of `"<path>\t<sha256>\t<size>\n"` lines; absent for legacy versions. */
  digest?: string;
  /** True when the version has no commit record (written by Python scaffold or older tools). */
  legacy?: boolean;
  /** Random, unique to the write that committed the record (tells two writers' bytes apart). */
  nonce?: string;
  /** Who and what logged the version; absent on older records and with `provenance: false`. */
  provenance?: Provenance;
  /**
   * Artifacts this version was made from, as concrete versions: `"name:vN"` in the same collection,
   * `"collection/name:vN"` in another one. Absent when none were given.
   */
  inputs?: string[];
}

/** What {@link ArtifactManager.verify} found. Never thrown: a mismatch is data. */
export interface VerifyResult {
  ok: boolean;
  /** Files in the record that are not in the store. */
  missing: string[];
  /** Files in the store that the record does not list. */
  extra: string[];
  /** Files whose size or digest differs from the record. */
  changed: string[];
}

/** A progress event of a long operation (upload, download, verify). */
export type ProgressEvent =
  | { type: "start"; operation: "upload" | "download" | "verify"; files: number; totalBytes: number }
  | { type: "file"; path: string; bytes: number; totalBytes: number }
  /** `copied`: the file was copied inside the store from an earlier version, not uploaded. */
  | { type: "file-done"; path: string; size: number; copied?: boolean }
  | { type: "done"; operation: "upload" | "download" | "verify"; files: number; bytes: number };

/** Callback that receives {@link ProgressEvent}s. */
export type ProgressListener = (event: ProgressEvent) => void;

/** Options every long operation takes. */
export interface OperationOptions {
  /** Cancels the operation; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Receives progress events. */
  onProgress?: ProgressListener;
}

/** A version selector: `"vN"`, `N`, `"latest"` or an alias name. @default "latest" */
export type VersionSelector = string | number;

/** The `collection` option every call on an artifact takes. */
export interface CollectionOption {
  /** Collection to use. @default the manager's `activeCollection` */
  collection?: string;
}

/**
 * Options of `logFiles(name, localPath, options)`: where the version goes, what it says about itself,
 * and cancellation / progress. Validated up front (`INVALID_ARGUMENT` naming the option).
 */
export interface LogFilesOptions extends OperationOptions, CollectionOption {
  /** Description of the version (stored in `meta/readme.txt` and the record). */
  description?: string;
  /** For a single file: its path inside the artifact. @default the file's own name */
  artifactPath?: string;
  /** User metadata stored in the commit record (JSON-serialisable). */
  metadata?: Record<string, unknown>;
  /**
   * Of a folder, log only the files whose relative path matches one of these globs (`"*.pt"`,
   * `"weights/**"`; .gitignore's rules: a glob without `/` matches a name in any folder, a matched
   * folder takes its contents). `INVALID_ARGUMENT` when nothing is left. @default every file
   */
  include?: string[];
  /** Leave out the files matching any of these globs (`"*.tmp"`, `"logs"`); wins over `include`. @default none */
  exclude?: string[];
  /**
   * What to do when the new content is identical to the latest version's (same files, paths, sizes and
   * digests): `"reuse"` logs nothing and returns the latest version (with `reused: true`);
   * `"new-version"` always makes a new version. Description, metadata and inputs are not compared: a
   * reused version keeps its own.
   * @default "new-version" on file stores (a new version per log); "reuse" on W&B (as its SDK does)
   */
  ifUnchanged?: "reuse" | "new-version";
  /**
   * Artifacts this version was made from (its lineage): `"name"`, `"name:v3"`, `"name:ALIAS"` or
   * `"collection/name:v3"` (default: the log's collection). Each must exist in this store
   * (`NOT_FOUND` otherwise); aliases and `latest` are resolved and recorded as the concrete version.
   * @default [] (none)
   */
  inputs?: string[];
  /**
   * Record who and what logged the version (host, user, command line, working folder, git commit and
   * dirty flag). `false` records none of it (e.g. when command lines carry secrets).
   * @default true
   */
  provenance?: boolean;
}

/** Options of `logFolder` and `FolderLog.commit`: those of `logFiles` without `artifactPath`. */
export type LogFolderOptions = Omit<LogFilesOptions, "artifactPath">;

/**
 * Options of `downloadArtifact(name, options)`: which version, where to (a temporary folder without
 * `to`), which files, and cancellation / progress. Validated up front (`INVALID_ARGUMENT`).
 */
export interface DownloadOptions extends OperationOptions, CollectionOption {
  /** @default "latest" */
  version?: VersionSelector;
  /** Target folder. Without it, a temporary folder is created and returned as a {@link TmpArtifact}. */
  to?: string;
  /**
   * Relative POSIX paths of files inside the version (`"weights/model.pt"`): only these files are
   * downloaded and verified, each written to `to/<path>`; the rest of the version is not read.
   * Each is checked with `validateArtifactPath` (`INVALID_ARGUMENT` for `..`, absolute or empty
   * paths); a path the version does not hold is `NOT_FOUND` naming the version (list its files with
   * `artifacts show NAME:VERSION` or `getVersion`). Duplicates are ignored.
   * @default undefined (every file of the version)
   */
  paths?: string[];
  /**
   * `false`: this download neither reads nor fills the download cache (docs/cache.md).
   * @default true (the manager's cache: on for object stores and W&B, off for local folders)
   */
  cache?: boolean;
}

/** Options of calls on one version (`getVersion`, `setAlias`): which collection and version. */
export interface VersionOptions extends CollectionOption {
  /** @default "latest" */
  version?: VersionSelector;
  /** Cancels the call; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** Options of `verify`: the version to re-read, and progress events while its files are hashed. */
export interface VerifyOptions extends VersionOptions {
  /** Receives progress events (`operation: "verify"`). */
  onProgress?: ProgressListener;
}

/** Options of listings of one artifact (`listVersions`, `listAliases`). */
export interface ListOptions extends CollectionOption {
  /** Cancels the listing; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** A download into a temporary folder that deletes itself when disposed. */
export interface TmpArtifact extends AsyncDisposable {
  /** Absolute path of the temporary folder holding the version's files. */
  readonly path: string;
  readonly artifact: Artifact;
  /** Deletes the folder (idempotent). */
  cleanup(): Promise<void>;
}
