"""The HTML report: one self-contained page an auditor opens, reads and prints to PDF.

``render_html(report)`` (``--format html``) shows, in order: the verdict (COMPLIANT, NON-COMPLIANT,
INCOMPLETE or NO RESULTS, as :func:`governance.report.common.verdict` decides) with the counts; when,
by which version and against what the report was made, with the SHA-256 digests of the policy and
of the evidence (:mod:`governance.report.digest`); per purpose, every control with its status, its
sentence, observed versus required value and the rules it cites, with the raw evidence folded under
each; per purpose, the speech analytics and derived data the policy declares
(:mod:`governance.report.html_declared`); charts, the legal-hold register and the data tables when
the report has them (the table shapes are in :mod:`governance.report.html_data`); the rules cited
and the controls applied.

``render_combined(reports)`` puts several reports on one page, for ``recgov demo``: an overall
verdict, a summary row per report, then a section per report in the order given (verify, then the
object audit, then proportionality). The overall verdict is NON-COMPLIANT if any report has a
failure, else INCOMPLETE if any report is incomplete or judged nothing, else COMPLIANT; with no
report at all it is NO RESULTS.

The page fetches nothing and runs nothing: styles are inline, charts are inline SVG, and its
Content-Security-Policy forbids scripts and every remote load. Values from the account are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from governance.model import Report, Summary
from governance.report.common import verdict
from governance.report.html_data import charts_section, data_tables_section, holds_section
from governance.report.html_declared import declared_section
from governance.report.html_sections import (
    controls_catalogue,
    esc,
    failures_first,
    kind_title,
    notices_block,
    provenance,
    purpose_counts,
    purpose_sections,
    purposes_in,
    rules_section,
    verdict_banner,
)
from governance.report.html_style import CSP, CSS


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )


def _report_body(report: Report, anchor: str, level: int) -> str:
    """One report's sections below its banner; headings start at ``level``."""
    purposes = purpose_sections(report, anchor, level + 1)
    names = purposes_in(report.results)
    nav = "".join(f'<li><a href="#{ident}">{esc(heading)}</a> <small>{purpose_counts(report, name)}</small></li>'
                  for (ident, heading, _), name in zip(purposes, names, strict=True))
    if report.results:
        nav = f'<li><a href="#{anchor}-problems">Failures and errors</a></li>' + nav
    parts = [
        notices_block(report),
        failures_first(report, anchor, level),
        f"<h{level}>Provenance</h{level}>",
        provenance(report),
        f"<nav><h{level}>Contents</h{level}><ol>{nav}</ol></nav>" if nav else "",
        f"<h{level}>Controls by purpose</h{level}>" if purposes else "",
        *(html for _, _, html in purposes),
        declared_section(report.tables, level),
        charts_section(report.tables, level),
        holds_section(report.tables, level),
        data_tables_section(report.tables, level),
        rules_section(report, level),
        controls_catalogue(report, level),
    ]
    if not report.results:
        parts.insert(4, "<p><b>Nothing was verified.</b> A run without results is no evidence of compliance.</p>")
    return "\n".join(p for p in parts if p)


def _footer(reports: Sequence[Report]) -> str:
    versions = ", ".join(dict.fromkeys(esc(r.tool_version) for r in reports))
    return (f"<footer>recgov {versions}. This file is self-contained: it loads nothing from the network "
            "and runs no script. Evidence is folded on screen and printed in full.</footer>")


def render_html(report: Report) -> str:
    """The report as a self-contained HTML page."""
    word = verdict(report.summary)
    body = (verdict_banner(report.summary, f"recgov {report.kind} report", 1)
            + _report_body(report, "r0", 2) + _footer([report]))
    return _page(f"recgov {report.kind}: {word}", body)


def combined_verdict(reports: Sequence[Report]) -> str:
    """The verdict over several reports (see the module docstring)."""
    words = [verdict(r.summary) for r in reports]
    if not words:
        return verdict(Summary(0, 0, 0))
    if "NON-COMPLIANT" in words:
        return "NON-COMPLIANT"
    if any(w != "COMPLIANT" for w in words):
        return "INCOMPLETE"
    return "COMPLIANT"


def render_combined(reports: Sequence[Report]) -> str:
    """Several reports (verify, object audit, proportionality) as one page with an overall verdict."""
    total = Summary(
        passed=sum(r.summary.passed for r in reports),
        failed=sum(r.summary.failed for r in reports),
        errors=sum(r.summary.errors for r in reports),
    )
    word = combined_verdict(reports)
    # Not verdict(total): a part that judged nothing makes the whole INCOMPLETE even when the
    # other parts' counts alone would read COMPLIANT.
    banner = verdict_banner(total, "recgov combined report", 1, word)
    rows = "".join(
        f'<tr><td><a href="#r{i}">{esc(kind_title(r.kind))}</a></td><td><b>{esc(verdict(r.summary))}</b></td>'
        f"<td>{r.summary.failed}</td><td>{r.summary.errors}</td><td>{r.summary.passed}</td></tr>"
        for i, r in enumerate(reports)
    )
    overview = ("<h2>Reports</h2><table><thead><tr><th>Report</th><th>Verdict</th><th>Fail</th><th>Error</th>"
                f"<th>Pass</th></tr></thead><tbody>{rows}</tbody></table>") if reports else (
                "<p><b>No report was given.</b> Nothing was verified.</p>")
    sections = "".join(
        f'<section class="report" id="r{i}"><h2>{esc(kind_title(r.kind))}</h2>'
        + verdict_banner(r.summary, f"recgov {r.kind}", 3)
        + _report_body(r, f"r{i}", 3) + "</section>"
        for i, r in enumerate(reports)
    )
    return _page(f"recgov: {word}", banner + overview + sections + _footer(reports))

