"""The HTML report's style sheet: inline (the page fetches nothing), legible on screen and on paper.

Print rules matter as much as screen rules: an auditor files the PDF. When printing, folded evidence
is expanded (``::details-content``), table headers repeat on every page, and a result's row stays on
one page with its evidence; colours are kept (``print-color-adjust``) because the verdict is coded
in them, though every status is also spelled out in words.
"""

from __future__ import annotations

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""Nothing may load or run: no script, no font, no remote image. Only this page's own style."""

FORMULA_GUARD = 'td, th, pre, code { mso-number-format: "\\@"; }'
"""Excel opens an HTML report as a workbook and would read a cell such as ``=HYPERLINK(...)``, taken
from an object key or a tag, as a formula. This Office property makes every cell text (``@``);
browsers ignore it, so the page looks the same and the value is shown as it was read."""

CSS = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --soft: #f6f8fa;
  --bad: #b3261e; --bad-bg: #fdecea; --ok: #1a7f37; --ok-bg: #e8f5ec;
  --warn: #9a6700; --warn-bg: #fff8e1; --none: #57606a; --none-bg: #eef1f4; }
* { box-sizing: border-box; }
td, th, pre, code { mso-number-format: "\\@"; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
  "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
h1, h2, h3, h4 { line-height: 1.2; margin: 1.4em 0 .5em; }
h1 { font-size: 30px; margin: 0; letter-spacing: .02em; }
h2 { font-size: 21px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 17px; }
h4 { font-size: 15px; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 12px; }
code { overflow-wrap: anywhere; }
pre { margin: 6px 0 0; padding: 10px; background: var(--soft); border: 1px solid var(--line); border-radius: 4px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
small, .muted { color: var(--muted); }
.banner { border-radius: 8px; padding: 18px 22px; border-left: 10px solid; margin-bottom: 18px; }
.banner p { margin: 4px 0 0; }
.banner .word { margin: 0; }
.report .banner .word { font-size: 22px; }
.banner .kicker { margin: 0 0 4px; text-transform: uppercase; font-size: 12px; letter-spacing: .08em; }
.notices { border: 2px solid #b45309; background: #fffbeb; border-radius: 8px; padding: 10px 18px;
  margin-bottom: 18px; }
pre.kv { margin: 0; padding: 0; background: none; border: 0; white-space: pre-wrap; font-size: 12px; }
table.problems td.msg { min-width: 24em; }
.notices .kicker { margin: 0; font-size: 12px; text-transform: uppercase; letter-spacing: .08em; }
.v-bad { background: var(--bad-bg); border-color: var(--bad); } .v-bad .word { color: var(--bad); }
.v-ok { background: var(--ok-bg); border-color: var(--ok); } .v-ok .word { color: var(--ok); }
.v-warn { background: var(--warn-bg); border-color: var(--warn); } .v-warn .word { color: var(--warn); }
.v-none { background: var(--none-bg); border-color: var(--none); } .v-none .word { color: var(--none); }
.counts { display: flex; gap: 10px; flex-wrap: wrap; margin: 12px 0 0; padding: 0; list-style: none; }
.counts li { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 6px 14px; min-width: 92px; }
.counts b { display: block; font-size: 22px; }
.counts .c-fail b { color: var(--bad); } .counts .c-error b { color: var(--warn); }
.counts .c-pass b { color: var(--ok); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
.meta dt { font-weight: 600; color: var(--muted); }
.meta dd { margin: 0; }
.meta ul { margin: 0; padding: 0; list-style: none; }
nav ol { margin: 0; padding-left: 20px; display: flex; flex-wrap: wrap; gap: 4px 36px; }
table { width: 100%; border-collapse: collapse; margin: 8px 0 12px; }
th, td { border: 1px solid var(--line); padding: 6px 8px; vertical-align: top; text-align: left; }
td { overflow-wrap: anywhere; }
th { background: var(--soft); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
table.controls { table-layout: fixed; }
tbody.result > tr:first-child > td { border-top: 2px solid var(--line); }
tr.evidence > td { border-top: 0; padding-top: 0; background: #fcfcfd; }
.badge { display: inline-block; font-weight: 700; font-size: 12px; padding: 2px 8px; border-radius: 10px;
  color: #fff; letter-spacing: .04em; }
.b-fail { background: var(--bad); } .b-error { background: var(--warn); } .b-pass { background: var(--ok); }
td.msg { white-space: pre-line; }
.sev { display: block; margin-top: 4px; font-size: 12px; color: var(--muted); }
.rule { display: block; margin-bottom: 4px; }
.rule small { display: inline; }
details > summary { cursor: pointer; color: var(--muted); font-size: 12px; padding: 4px 0; }
details[open] > summary { color: var(--ink); }
figure { margin: 12px 0 20px; padding: 12px; border: 1px solid var(--line); border-radius: 6px; }
figcaption { font-size: 13px; margin-bottom: 6px; }
svg.chart { display: block; width: 100%; max-width: 860px; height: auto; font-family: inherit; }
.limit { margin: 0 0 6px; }
.report { margin-top: 36px; padding-top: 4px; border-top: 6px solid var(--line); }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  @page { size: A4; margin: 12mm 10mm; }
  body { font-size: 9.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  details::details-content { content-visibility: visible; display: contents; }
  details > summary { list-style: none; color: var(--ink); }
  thead { display: table-header-group; }
  tbody.result, tr, figure, .banner, .meta, pre { break-inside: avoid; }
  h2, h3, h4, figcaption { break-after: avoid; }
  .report { break-before: page; border-top: 0; }
}
"""
