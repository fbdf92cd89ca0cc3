/** The UI's one stylesheet (served as /static/ui.css; no inline styles, so the CSP can forbid them). */
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6474; --bg: #fff; --panel: #f4f6f9;
  --line: #d6dbe3; --accent: #0b5cad; --add: #e3f6e8; --del: #fde8e8; --warn: #8a4b00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #a3acbb; --bg: #15181e; --panel: #1f232b;
  --line: #363c48; --accent: #7ab8ff; --add: #143321; --del: #3d1a1a; --warn: #f0b36a; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible,
[tabindex]:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: .5rem; }
.skip:focus { left: .5rem; }
header.top { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: baseline; padding: .6rem 1rem;
  border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
header.top .store { color: var(--muted); font-family: ui-monospace, monospace; font-size: .85rem; overflow-wrap: anywhere; }
nav.crumbs ol { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem; margin: 0; padding: .5rem 1rem; }
nav.crumbs li + li::before { content: "/"; color: var(--muted); margin-right: .25rem; }
main { padding: 0 1rem 2rem; max-width: 1200px; }
h1 { font-size: 1.4rem; margin: .6rem 0; overflow-wrap: anywhere; }
h1.mono { font-size: 1.25rem; }
h2.mono { font-size: 1.05rem; }
tbody th { background: none; font-weight: 500; white-space: normal; }
h2 { font-size: 1.15rem; margin: 1.4rem 0 .5rem; }
.muted { color: var(--muted); }
.mono, code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .88rem; }
.scroll { overflow-x: auto; max-width: 100%; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.date { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
.tag { display: inline-block; padding: 0 .45rem; margin: 0 .2rem .1rem 0; border-radius: 999px; background: var(--panel);
  border: 1px solid var(--line); font-size: .82rem; }
.tag.latest { border-color: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { background: var(--panel); padding: .75rem; border-radius: 6px; overflow-x: auto; white-space: pre; margin: 0; }
pre.wrap { white-space: pre-wrap; overflow-wrap: anywhere; }
.diff .add { background: var(--add); }
.diff .del { background: var(--del); }
.diff td.ln { color: var(--muted); text-align: right; width: 1%; white-space: nowrap; user-select: none; }
.diff td.code { white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, monospace; font-size: .85rem; }
.pager { display: flex; gap: 1rem; margin: .75rem 0; align-items: center; flex-wrap: wrap; }
form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0; }
label { display: flex; flex-direction: column; gap: .15rem; font-size: .9rem; }
input, select, button { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 5px;
  background: var(--bg); color: var(--fg); }
button { background: var(--accent); color: var(--bg); border-color: var(--accent); cursor: pointer; }
button.secondary { background: var(--panel); color: var(--fg); border-color: var(--line); }
.notice { padding: .6rem .8rem; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); margin: .75rem 0; }
.notice.warn { border-color: var(--warn); }
.tree td.path { font-family: ui-monospace, monospace; font-size: .88rem; overflow-wrap: anywhere; }
.tree .dir { color: var(--muted); }
.indent-1 { padding-left: 1.5rem; } .indent-2 { padding-left: 2.5rem; } .indent-3 { padding-left: 3.5rem; }
.indent-4 { padding-left: 4.5rem; } .indent-5 { padding-left: 5.5rem; }
img.preview { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
ul.collections { padding-left: 1.2rem; }
@media (max-width: 640px) {
  body { font-size: 14px; }
  main { padding: 0 .5rem 1.5rem; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .4rem; }
  th, td { padding: .3rem .4rem; }
  .wide-only { display: none; }
}
`;
