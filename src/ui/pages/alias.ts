/**
 * Moving an alias, the UI's only write: a GET shows what will change and a confirm form; the POST
 * (checked for the page's token and the UI's own Origin by the server first) moves it.
 */
import { validateAlias } from "../../core/names.js";
import { ArtifactError } from "../../errors.js";
import type { PageContext, PageResult } from "../context.js";
import { html } from "../html.js";
import { href } from "../paths.js";
import { artifactCrumbs } from "./common.js";

/** `GET …/alias?alias=A&version=vN`: the confirmation page. */
export async function aliasConfirmPage(
  ctx: PageContext,
  collection: string,
  name: string,
): Promise<PageResult> {
  const alias = ctx.query.get("alias")?.trim() ?? "";
  const version = ctx.query.get("version") ?? "";
  validateAlias(alias);
  const options = { collection, signal: ctx.signal };
  const [record, aliases] = await Promise.all([
    ctx.store.manager.getVersion(name, { ...options, version }),
    ctx.store.manager.listAliases(name, options),
  ]);
  const current = aliases[alias];
  const what =
    current === undefined
      ? html`Create alias <strong>${alias}</strong> pointing at <strong>${record.version}</strong>?`
      : current === record.version
        ? html`Alias <strong>${alias}</strong> already points at <strong>${record.version}</strong>. Write it again?`
        : html`Move alias <strong>${alias}</strong> from <strong>${current}</strong> to <strong>${record.version}</strong>?`;
  const body = html`<h1>Confirm alias change</h1>
<p class="notice warn" id="confirm-text">${what} Anyone who loads <code>${name}:${alias}</code> gets the new version from then on.</p>
<form method="post" action="${href.aliasConfirm(collection, name)}" class="inline" aria-describedby="confirm-text">
<input type="hidden" name="token" value="${ctx.token}">
<input type="hidden" name="alias" value="${alias}">
<input type="hidden" name="version" value="${record.version}">
<button type="submit">Yes, point ${alias} at ${record.version}</button>
<a href="${href.version(collection, name, record.version)}">Cancel</a>
</form>`;
  return {
    kind: "page",
    title: `Alias ${alias}`,
    crumbs: artifactCrumbs(collection, name, record.version).concat({ label: "alias" }),
    body,
  };
}

/** `POST …/alias` (token and Origin already checked): sets the alias, then back to the version page. */
export async function moveAlias(
  ctx: PageContext,
  collection: string,
  name: string,
  form: URLSearchParams,
): Promise<PageResult> {
  const alias = form.get("alias") ?? "";
  const version = form.get("version") ?? "";
  validateAlias(alias);
  if (!/^v\d+$/.test(version))
    throw new ArtifactError("INVALID_ARGUMENT", "the form's version must be a concrete version vN");
  const artifact = await ctx.store.manager.setAlias(name, alias, { collection, version, signal: ctx.signal });
  return {
    kind: "redirect",
    location: `${href.version(collection, name, artifact.version)}?moved=${encodeURIComponent(alias)}`,
  };
}
