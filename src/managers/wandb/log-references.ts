/**
 * `logReferences` on W&B: a version of files W&B does not store, recorded by where they live (the SDK's
 * `artifact.add_reference`). Each URI becomes manifest entries the way the SDK's storage handlers make
 * them, so that the SDK (and `downloadArtifact`, references.ts) can fetch and check them:
 * - `s3://BUCKET/KEY`, `gs://BUCKET/KEY`, Azure `https://ACCOUNT.blob.core.windows.net/CONTAINER/KEY`: the
 *   object KEY (one entry named after its last segment), else every object under `KEY/` (named by their
 *   path below it). Digest: the S3 or Azure ETag (unquoted, in `extra.etag` too), or the GCS
 *   etag (`extra.versionID`: the generation, a number). Buckets are read with this library's drivers, configured as
 *   for downloads (`referenceStorageOptions`, else the environment).
 * - `file:///PATH`: the file, or every file under the folder; digest: base64 md5.
 * - `http(s)://URL`: one entry; digest: the ETag its server sends without its quotes (redirects
 *   followed; `extra.etag` keeps them), else the URL.
 * With `checksum: false` every URI is one entry whose digest is the URI, and nothing is read.
 */
import { basename } from "node:path";
import { pathToFileURL } from "node:url";
import { validateArtifactPath } from "../../core/names.js";
import { validateIfUnchanged } from "../../core/record.js";
import type { LogFolderOptions } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { createDriver } from "../../storage/create-driver.js";
import type { ObjectInfo, StorageDriver } from "../../storage/driver.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { collectLocalFiles, md5File } from "./local-files.js";
import { checkMetadata, type LoggedVersion, logVersion } from "./log-version.js";
import type { ManifestEntry } from "./manifest.js";
import { locateReference, openUrl, unquote } from "./references.js";
import type { WandbSession } from "./session.js";

/** A manifest entry that is a reference. */
export interface ReferenceEntry extends ManifestEntry {
  path: string;
  ref: string;
}

/** One reference to log: a URI, and the path (file) or folder (prefix, folder) it takes in the version. */
export interface ReferenceSpec {
  uri: string;
  name?: string;
  /** This reference's `checksum` (see {@link LogReferencesOptions}). @default the call's */
  checksum?: boolean;
}

/** Options of `logReferences`. */
export interface LogReferencesOptions extends LogFolderOptions {
  /**
   * Record each object's ETag or md5 so that downloads can tell a changed object; `false` records only
   * the URI (the SDK's `checksum=False`): nothing is read, and downloads check nothing (no size is recorded). @default true
   */
  checksum?: boolean;
  /** Most objects one URI may stand for (a prefix or folder); more is `INVALID_ARGUMENT`. @default 10000000 */
  maxObjects?: number;
}

/** A `logReferences` call resolved to a type and name. */
export interface LogReferencesRequest extends LogReferencesOptions {
  type: string;
  name: string;
  references: ReferenceSpec[];
}

const DEFAULT_MAX_OBJECTS = 10_000_000;

/** Logs the references as the next version and returns the version index the server assigned. */
export async function logReferencesToWandb(
  session: WandbSession,
  request: LogReferencesRequest,
): Promise<LoggedVersion> {
  const { signal, onProgress } = request;
  checkMetadata(request.metadata);
  validateIfUnchanged(request.ifUnchanged);
  if (request.references.length === 0) {
    throw new ArtifactError("INVALID_ARGUMENT", "logReferences needs at least one URI");
  }
  await session.entity(signal); // a missing or bad key fails here, before any bucket is read
  const references = await collectReferenceEntries(session, request.references, request);
  onProgress?.({ type: "start", operation: "upload", files: references.length, totalBytes: 0 });
  const logged = await logVersion(session, { ...request, files: [], references });
  onProgress?.({ type: "done", operation: "upload", files: references.length, bytes: 0 });
  return logged;
}

/**
 * The manifest entries of `specs` (each URI read with `options.checksum`, unless the spec says), with
 * their paths checked against each other and against `taken` (the version's stored files).
 */
export async function collectReferenceEntries(
  session: WandbSession,
  specs: readonly ReferenceSpec[],
  options: Pick<LogReferencesOptions, "checksum" | "maxObjects" | "signal">,
  taken: ReadonlySet<string> = new Set(),
): Promise<ReferenceEntry[]> {
  const drivers = new Map<string, Promise<StorageDriver>>();
  try {
    const lists = await mapConcurrent(specs, (spec) => entriesOf(session, spec, options, drivers), {
      concurrency: 4,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const references = lists.flat();
    const seen = new Set<string>();
    for (const { path } of references) {
      if (seen.has(path) || taken.has(path)) {
        const other = taken.has(path) ? "a logged file and a reference take" : "two references take";
        throw new ArtifactError(
          "INVALID_ARGUMENT",
          `${other} the path '${path}' in the version; give the reference another \`name\``,
        );
      }
      seen.add(path);
    }
    return references;
  } finally {
    await Promise.allSettled([...drivers.values()].map(async (driver) => (await driver).close?.()));
  }
}

/** The manifest entries one URI stands for. */
async function entriesOf(
  session: WandbSession,
  spec: ReferenceSpec,
  request: Pick<LogReferencesOptions, "checksum" | "maxObjects" | "signal">,
  drivers: Map<string, Promise<StorageDriver>>,
): Promise<ReferenceEntry[]> {
  const { uri } = spec;
  const location = locateReference(uri, `the reference ${JSON.stringify(uri)}`);
  const named = (path: string) => validateArtifactPath(path, "reference name");
  if ((spec.checksum ?? request.checksum) === false) {
    return [{ path: named(spec.name ?? uncheckedEntryName(location, uri)), ref: uri, digest: uri }];
  }
  const max = request.maxObjects ?? DEFAULT_MAX_OBJECTS;
  const tooMany = () =>
    new ArtifactError(
      "INVALID_ARGUMENT",
      `the reference ${uri} stands for more than ${max} objects; pass a larger \`maxObjects\` or a narrower URI`,
    );
  switch (location.backend) {
    case "artifact":
      throw new ArtifactError(
        "UNSUPPORTED",
        `logging wandb-artifact:// references (${uri}) is not supported`,
      );
    case "http": {
      const res = await openUrl(uri, `the reference ${uri}`, request.signal);
      await res.body.cancel();
      const etag = res.headers.get("etag");
      const length = Number(res.headers.get("content-length") ?? Number.NaN);
      return [
        {
          path: named(spec.name ?? lastSegment(new URL(uri).pathname)),
          ref: uri,
          // as the SDK's HTTPHandler: the ETag without leading/trailing quotes (Python's `strip('"')`);
          // it compares downloads with that, so a quoted digest is a "Digest mismatch" there
          digest: etag === null ? uri : etag.replace(/^"+|"+$/g, ""),
          ...(Number.isSafeInteger(length) ? { size: length } : {}),
          ...(etag === null ? {} : { extra: { etag } }),
        },
      ];
    }
    case "file": {
      const files = await collectLocalFiles(location.file, undefined);
      if (files.length > max) throw tooMany();
      const single = files.length === 1 && files[0]?.localPath === location.file;
      const pathOf = (path: string) => {
        if (spec.name === undefined) return path;
        return named(single ? spec.name : `${spec.name}/${path}`);
      };
      return await mapConcurrent(
        files,
        async (file) => ({
          path: pathOf(file.path),
          ref: pathToFileURL(file.localPath).href,
          digest: (await md5File(file.localPath, { signal: request.signal })).base64,
          size: file.size,
        }),
        { concurrency: session.settings.concurrency, ...(request.signal ? { signal: request.signal } : {}) },
      );
    }
    default: {
      let driver = drivers.get(location.store);
      if (driver === undefined) {
        driver = createDriver(
          location.store,
          session.settings.referenceStorageOptions[location.backend] ?? {},
        );
        drivers.set(location.store, driver);
      }
      const store = await driver;
      const call = request.signal ? { signal: request.signal } : {};
      const folder = location.key === "" || location.key.endsWith("/");
      const one = folder ? null : await store.stat(location.key, call);
      if (one !== null) {
        return [
          objectEntry(
            location.backend,
            `${location.store}/${one.key}`,
            named(spec.name ?? lastSegment(one.key)),
            one,
          ),
        ];
      }
      const prefix = folder ? location.key : `${location.key}/`;
      const entries: ReferenceEntry[] = [];
      for await (const item of store.list(prefix, call)) {
        if (item.type !== "object" || item.key.endsWith("/")) continue;
        // the SDK's S3 handler leaves out empty objects under a prefix (folder markers and the like)
        if (location.backend === "s3" && item.size === 0) continue;
        if (entries.length >= max) throw tooMany();
        const below = item.key.slice(prefix.length);
        const path = named(spec.name === undefined ? below : `${spec.name}/${below}`);
        entries.push(objectEntry(location.backend, `${location.store}/${item.key}`, path, item));
      }
      if (entries.length === 0) {
        throw new ArtifactError(
          "NOT_FOUND",
          `the reference ${uri} names no object and no objects under ${prefix}`,
        );
      }
      return entries;
    }
  }
}

/**
 * An object's entry as the SDK's handler records it: S3/Azure by ETag; GCS by its etag with the
 * generation as a number in `extra.versionID` (SDK >= 0.17; older ones recorded the md5).
 */
function objectEntry(
  backend: "s3" | "gcs" | "azure",
  ref: string,
  path: string,
  info: ObjectInfo,
): ReferenceEntry {
  if (backend === "gcs") {
    if (info.serviceEtag === undefined) {
      throw new ArtifactError("UNEXPECTED", `GCS answered no etag for ${ref}`, {
        context: { backend: "wandb", operation: "logReferences", key: ref },
      });
    }
    const generation = Number(info.etag);
    return {
      path,
      ref,
      digest: info.serviceEtag,
      size: info.size,
      ...(Number.isSafeInteger(generation) ? { extra: { versionID: generation } } : {}),
    };
  }
  const etag = info.etag ?? "";
  const version = info.version === undefined ? {} : { versionID: info.version };
  // the SDK's S3 and Azure handlers keep the ETag without quotes in `extra.etag` too (`e_tag[1:-1]`)
  return { path, ref, digest: unquote(etag), size: info.size, extra: { etag: unquote(etag), ...version } };
}

/** The last non-empty segment of a key or URL path (`data/a.bin` → `a.bin`). */
function lastSegment(path: string): string {
  const segments = path.split("/").filter((s) => s !== "");
  return basename(segments.at(-1) ?? path);
}

/**
 * The entry name of a `checksum: false` reference without a name, as the SDK's storage handlers give
 * it: a bucket object's or blob's full key (`s3://b/data/x.csv` → `data/x.csv`; the bucket's name for a
 * whole S3 bucket), else the URI's last segment.
 */
function uncheckedEntryName(location: ReturnType<typeof locateReference>, uri: string): string {
  if (location.backend === "s3" || location.backend === "gcs") {
    if (location.key !== "") return location.key;
    return location.backend === "s3" ? location.store.replace(/^s3:\/\//i, "") : lastSegment(uri);
  }
  if (location.backend === "azure") return location.key;
  return lastSegment(uri);
}
