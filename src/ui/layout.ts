/** The page shell: header with the store, breadcrumbs, a skip link, the main content. */
import { type Html, html } from "./html.js";

/** One breadcrumb; the last one is the current page (no link). */
export interface Crumb {
  label: string;
  href?: string;
}

/** What {@link renderPage} needs. */
export interface PageOptions {
  title: string;
  /** The store as shown to the user (already without secrets). */
  store: string;
  crumbs: Crumb[];
  body: Html;
}

/** A whole HTML document. */
export function renderPage(options: PageOptions): string {
  const crumbs = options.crumbs.map((crumb, i) =>
    i === options.crumbs.length - 1 || crumb.href === undefined
      ? html`<li aria-current="page">${crumb.label}</li>`
      : html`<li><a href="${crumb.href}">${crumb.label}</a></li>`,
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${options.title} · artifacts</title>
<link rel="stylesheet" href="/static/ui.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/">artifacts</a><span class="store" title="store">${options.store}</span></header>
<nav class="crumbs" aria-label="Breadcrumb"><ol>${crumbs}</ol></nav>
<main id="main" tabindex="-1">
${options.body}
</main>
</body>
</html>
`.value;
}
