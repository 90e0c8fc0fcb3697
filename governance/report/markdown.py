"""The Markdown report: a pull-request comment, failures and errors first, passes folded away.

Every value that comes from the account or the policy goes through :func:`escape`: a bucket name or
an object key can hold ``|``, backticks, line breaks or HTML, and must neither break the table nor
inject markup into the comment.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from governance.model import Report, Result, Status
from governance.report.common import (
    cited,
    compact_json,
    notices,
    one_line,
    plural,
    shown_cell,
    summary_sentence,
    triage_order,
    verdict,
    visible,
)

# Inline Markdown that could start emphasis, code, links, strikethrough or a table cell. Block syntax
# (headings, lists) cannot start inside a cell or after text on a line, which is where values go.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_~\[\]|])")
_RULE_ID = re.compile(r"R\d+\b")


def escape(value: Any) -> str:
    """``value`` as inert inline Markdown text for one table cell: markup shows as typed."""
    text = value if isinstance(value, str) else compact_json(value)
    text = visible(text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    # Quotes stay: values never land inside an attribute, and "quoted" JSON evidence stays legible.
    text = html.escape(text, quote=False)
    text = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    # A raw line break would end the table row; <br> is markup we emit ourselves, after escaping.
    return text.replace("\n", "<br>")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A GitHub-flavoured Markdown table with every cell escaped."""
    lines = ["| " + " | ".join(escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return lines


def _rule_ids(result: Result) -> str:
    """The rule ids a result cites (``R4, R8``); full citations are listed once under the tables."""
    ids = [m.group() if (m := _RULE_ID.match(c)) else c for c in result.citations]
    return ", ".join(dict.fromkeys(ids))


def _evidence(result: Result) -> str:
    return f"observed: {compact_json(result.observed)}; expected: {compact_json(result.expected)}"


PROBLEM_COLUMNS = ("status", "severity", "check", "resource", "purpose", "finding", "evidence", "rules")
PASS_COLUMNS = ("check", "resource", "purpose", "finding")


def _problem_row(r: Result) -> list[Any]:
    return [str(r.status).upper(), r.severity, r.check, r.resource, r.purpose, r.message, _evidence(r), _rule_ids(r)]


def _details(summary: str, body: list[str]) -> list[str]:
    # <summary> sits in an HTML block where Markdown escapes are not read: escape it as HTML only.
    # The blank line after it is what lets GitHub render the Markdown table inside.
    safe = html.escape(one_line(summary), quote=False)
    return ["<details>", f"<summary>{safe}</summary>", "", *body, "", "</details>"]


def render_markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown, suitable for a pull-request comment."""
    summary = report.summary
    word = verdict(summary)
    lines = [
        f"## recgov {escape(report.kind)}: {word}",
        "",
        f"**Verdict: {word}**: {escape(summary_sentence(summary))}.",
        "",
        f"Policy digest {escape(report.policy_digest)}; recgov {escape(report.tool_version)}; "
        f"generated {escape(report.generated_at)}.",
    ]
    if report.target:
        target = ", ".join(f"{escape(k)} = {escape(v)}" for k, v in sorted(report.target.items()))
        lines += ["", f"Target: {target}."]
    for notice in notices(report):
        lines += ["", f"> **Notice:** {escape(notice)}"]
    ordered = triage_order(report.results)
    problems = [r for r in ordered if r.status is not Status.PASS]
    passes = [r for r in ordered if r.status is Status.PASS]
    if report.results:
        lines += ["", f"### Failures and errors ({len(problems)})", ""]
        if problems:
            lines += table(PROBLEM_COLUMNS, [_problem_row(r) for r in problems])
        else:
            lines.append("None.")
        if passes:
            passed = table(PASS_COLUMNS, [[r.check, r.resource, r.purpose, r.message] for r in passes])
            lines += ["", *_details(f"Passed ({len(passes)})", passed)]
        citations = cited(report.results)
        if citations:
            lines += ["", "### Rules cited", ""] + [f"- {escape(c)}" for c in citations]
    for name, rows in sorted(report.tables.items()):
        headers = list(dict.fromkeys(str(k) for row in rows for k in row))
        body = table(headers, [[shown_cell(h, row.get(h, "")) for h in headers] for row in rows]) if rows else [
            "No rows."]
        lines += ["", *_details(f"{name} ({plural(len(rows), 'row')})", body)]
    return "\n".join(lines) + "\n"
