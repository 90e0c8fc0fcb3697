"""The text report: a table for a terminal or a CI log, summary and verdict on the last line.

Long cells are wrapped within their column, never cut, and only between words: a check id, an ARN,
a bucket name or a key stays whole on one line, so that grep finds it; a column is as wide as its
longest word when that is wider than its usual width. Control characters and line breaks in values
are shown as escapes, so a hostile object key cannot forge a log line (CI systems act on lines such
as ``::error::``) or move the terminal cursor.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from governance.model import Report, Status
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
)

RESULT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("STATUS", 6),
    ("SEVERITY", 8),
    ("CHECK", 28),
    ("RESOURCE", 32),
    ("PURPOSE", 12),
    ("MESSAGE", 60),
)
"""Header and maximum width of each column; narrower content makes a narrower column."""

TABLE_CELL_WIDTH = 40
PROSE_WIDTH = 100
WIDEST_COLUMN = 64
"""A column widens to its longest word up to this (a bucket name has at most 63 characters); a longer
word (a hostile key, a long ARN) still stays whole, on a line of its own that runs past the column."""


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_widths: Sequence[int]) -> list[str]:
    """Lines of a left-aligned table whose cells wrap between words at their column's maximum width,
    widened to the column's longest word: an identifier is never split across lines."""
    widths = [
        max(min(limit, max([len(h), *(len(row[i]) for row in rows)])),
            min(WIDEST_COLUMN, max([_longest_word(h), *(_longest_word(row[i]) for row in rows)])))
        for i, (h, limit) in enumerate(zip(headers, max_widths, strict=True))
    ]

    def physical_lines(cells: Sequence[str]) -> list[str]:
        wrapped = [
            textwrap.wrap(c, w, break_long_words=False, break_on_hyphens=False) or [""]
            for c, w in zip(cells, widths, strict=True)
        ]
        height = max(len(w) for w in wrapped)
        return [
            "  ".join(
                (col[i] if i < len(col) else "").ljust(w) for col, w in zip(wrapped, widths, strict=True)
            ).rstrip()
            for i in range(height)
        ]

    lines = physical_lines(headers)
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.extend(physical_lines(row))
    return lines


def _wrap(line: str, indent: str) -> list[str]:
    """A prose line wrapped between words at ``PROSE_WIDTH``; a longer word stays whole on its line."""
    return textwrap.wrap(line, PROSE_WIDTH, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [""]


def _cell(value: Any) -> str:
    return one_line(value if isinstance(value, str) else compact_json(value))


def tables_text(report: Report) -> list[str]:
    """Each of the report's tables (per-agent rates, the legal-hold register ...) as text lines."""
    lines: list[str] = []
    for name, table in sorted(report.tables.items()):
        lines += ["", f"{_cell(name)} ({plural(len(table), 'row')})"]
        if table:
            headers = list(dict.fromkeys(str(k) for row in table for k in row))
            rows = [[_cell(shown_cell(h, row.get(h, ""))) for h in headers] for row in table]
            lines += format_table([_cell(h) for h in headers], rows, [TABLE_CELL_WIDTH] * len(headers))
    return lines


def render_text(report: Report) -> str:
    """The report as plain text."""
    summary = report.summary
    lines = [
        f"recgov {one_line(report.kind)} report",
        f"generated {one_line(report.generated_at)} by recgov {one_line(report.tool_version)}; "
        f"policy {one_line(report.policy_digest)}",
    ]
    if report.target:
        target = ", ".join(f"{_cell(k)}={_cell(v)}" for k, v in sorted(report.target.items()))
        lines += _wrap("target: " + target, "  ")
    lines.append("")
    for notice in notices(report):
        lines += [*_wrap(f"NOTICE: {one_line(notice)}", "  "), ""]
    if report.results:
        headers = [h for h, _ in RESULT_COLUMNS]
        rows = [
            [str(r.status).upper(), str(r.severity)]
            + [_cell(v) for v in (r.check, r.resource, r.purpose, r.message)]
            for r in triage_order(report.results)
        ]
        lines += format_table(headers, rows, [w for _, w in RESULT_COLUMNS])
        citations = cited(r for r in report.results if r.status is not Status.PASS)
        if citations:
            lines += ["", "Rules behind the findings:"]
            for c in citations:
                lines += _wrap(f"  {one_line(c)}", "    ")
    else:
        lines.append("No results: no check was run against any resource.")
    lines += tables_text(report)
    lines += ["", f"Summary: {summary_sentence(summary)}. Verdict: {verdict(summary)}."]
    return "\n".join(lines) + "\n"
