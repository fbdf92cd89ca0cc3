/**
 * Server-side copies on Azure Blob Storage: one synchronous Copy Blob From URL up to
 * `maxSyncCopyBytes` (Azure's limit: 256 MiB), else an asynchronous Copy Blob polled until it is done
 * (cancelled with Abort Copy Blob when the caller aborts).
 * https://learn.microsoft.com/rest/api/storageservices/copy-blob-from-url
 * https://learn.microsoft.com/rest/api/storageservices/copy-blob
 * The source URL carries a read-only SAS made with the account key when the client has one; with a
 * SAS-token client the URL already carries it; with a login (DefaultAzureCredential) the copy is
 * asynchronous, authorised by the destination request (same account).
 *
 * Checked: the copy is of the source's etag (`x-ms-source-if-match`: else CONFLICT), its copy status
 * is "success", and the new blob's size is the source's. A blob's Content-MD5 is a property copied
 * along, not a hash of the bytes copied, so it proves nothing and is not compared. A mismatch deletes
 * the new blob and throws CHECKSUM_MISMATCH.
 */
import type { BlobGetPropertiesResponse, BlockBlobClient } from "@azure/storage-blob";
import { ArtifactError } from "../errors.js";
import type { CopyOptions, CopyResult } from "../storage/driver.js";
import type { AzureErrorSubject } from "./azure-errors.js";
import { loadSdk } from "./load-sdk.js";

/** Poll interval of an asynchronous copy. */
const POLL_INTERVAL_MS = 500;

/** What a copy needs from the driver. */
export interface AzureCopyContext {
  source: BlockBlobClient;
  target: BlockBlobClient;
  maxSyncCopyBytes: number;
  /** Whether the client signs with the account key (it can make a SAS for the source). */
  sharedKey: boolean;
  fail(
    error: unknown,
    subject: Omit<AzureErrorSubject, "container" | "url" | "auth">,
    signal?: AbortSignal,
  ): never;
}

/** Copies `from` to `to` (see the file's doc for what is checked). */
export async function copyAzure(
  ctx: AzureCopyContext,
  from: string,
  to: string,
  options: CopyOptions,
): Promise<CopyResult> {
  const { signal } = options;
  const abort = signal ? { abortSignal: signal } : {};
  let source: BlobGetPropertiesResponse;
  try {
    source = await ctx.source.getProperties(abort);
  } catch (error) {
    return ctx.fail(error, { operation: "copy", key: from }, signal);
  }
  const etag = source.etag as string;
  // Listings give etags bare, Get Blob Properties quoted.
  if (options.ifSourceMatch !== undefined && unquote(options.ifSourceMatch) !== unquote(etag))
    ctx.fail(
      { statusCode: 412, code: "ConditionNotMet" },
      { operation: "copy", key: from, condition: "ifMatch" },
    );
  const size = source.contentLength ?? 0;
  const sync = size <= ctx.maxSyncCopyBytes && (ctx.sharedKey || /[?&]sig=/.test(ctx.source.url));
  try {
    const status = sync ? await copySync(ctx, etag, signal) : await copyAsync(ctx, etag, signal);
    if (status !== "success") throw new Error(`Azure reported copy status '${status}'`);
  } catch (error) {
    await ctx.target.deleteIfExists().catch(() => undefined);
    return ctx.fail(error, { operation: "copy", key: from, condition: "ifMatch" }, signal);
  }
  const copied = await ctx.target.getProperties(abort);
  if (copied.contentLength !== size) {
    await ctx.target.deleteIfExists().catch(() => undefined);
    throw new ArtifactError(
      "CHECKSUM_MISMATCH",
      `the copy of '${from}' to '${to}' holds ${copied.contentLength} bytes, the source ${size}`,
      { context: { backend: "azure", operation: "copy", key: to } },
    );
  }
  return { key: to, size, ...(copied.etag ? { etag: copied.etag } : {}) };
}

/** Copy Blob From URL: done when it answers. */
async function copySync(
  ctx: AzureCopyContext,
  etag: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const url = ctx.sharedKey ? await readSas(ctx.source) : ctx.source.url;
  const out = await ctx.target.syncCopyFromURL(url, {
    sourceConditions: { ifMatch: etag },
    ...(signal ? { abortSignal: signal } : {}),
  });
  return out.copyStatus;
}

/** Copy Blob, polled until done; an abort cancels it on the service (Abort Copy Blob). */
async function copyAsync(
  ctx: AzureCopyContext,
  etag: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const url = ctx.sharedKey ? await readSas(ctx.source) : ctx.source.url;
  const poller = await ctx.target.beginCopyFromURL(url, {
    sourceConditions: { ifMatch: etag },
    intervalInMs: POLL_INTERVAL_MS,
    ...(signal ? { abortSignal: signal } : {}),
  });
  try {
    const out = await poller.pollUntilDone();
    return out.copyStatus;
  } catch (error) {
    if (!poller.isDone()) await poller.cancelOperation().catch(() => undefined);
    throw error;
  }
}

/** The source's URL with a read-only SAS valid for an hour (made locally with the account key). */
async function readSas(source: BlockBlobClient): Promise<string> {
  const sdk = await loadSdk("@azure/storage-blob", () => import("@azure/storage-blob"));
  return source.generateSasUrl({
    permissions: sdk.BlobSASPermissions.parse("r"),
    expiresOn: new Date(Date.now() + 60 * 60 * 1000),
  });
}

function unquote(etag: string): string {
  return etag.replace(/^"(.*)"$/, "$1");
}
