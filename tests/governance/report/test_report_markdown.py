"""The Markdown report: a pull-request comment that no value from the account can break or inject into."""

from __future__ import annotations

import re
from collections.abc import Callable

from governance.model import Report
from governance.report.markdown import escape, render_markdown

# A cell separator is a pipe not preceded by an odd number of backslashes.
_SEPARATOR = re.compile(r"(?<!\\)(?:\\\\)*\|")


def cells(row: str) -> list[str]:
    """The cells of one table row, split the way GitHub splits them."""
    parts: list[str] = []
    start = 0
    for m in _SEPARATOR.finditer(row):
        parts.append(row[start : m.end() - 1])
        start = m.end()
    parts.append(row[start:])
    return [p.strip() for p in parts[1:-1]]


def test_sample_report_matches_its_golden_file(sample_report: Report, golden: Callable[[str, str], None]) -> None:
    golden("report.md", render_markdown(sample_report))


def test_hostile_report_matches_its_golden_file(hostile_report: Report, golden: Callable[[str, str], None]) -> None:
    golden("report-hostile.md", render_markdown(hostile_report))


def test_verdict_and_counts_come_first_then_problems_then_folded_passes(sample_report: Report) -> None:
    md = render_markdown(sample_report)
    lines = md.splitlines()
    assert lines[0] == "## recgov verify: NON-COMPLIANT"
    assert "**Verdict: NON-COMPLIANT**: 4 results: 2 pass, 1 fail, 1 error." in md
    problems, details = md.index("### Failures and errors (2)"), md.index("<details>")
    assert problems < details < md.index("acme-rec-evaluations")
    assert md.index("FAIL") < md.index("ERROR") < details
    assert "<summary>Passed (2)</summary>" in md
    assert "### Rules cited" in md and "- R10 (GDPR Art. 32)" in md


def test_every_hostile_row_keeps_its_column_count(hostile_report: Report) -> None:
    md = render_markdown(hostile_report)
    problem_rows = [line for line in md.splitlines() if line.startswith("| FAIL") or line.startswith("| ERROR")]
    assert len(problem_rows) == len(hostile_report.results) - 1
    assert all(len(cells(row)) == 8 for row in problem_rows), [r for r in problem_rows if len(cells(r)) != 8]
    table_lines = [line for line in md.splitlines() if line.startswith("|")]
    # header + rule + rows, for the problems table and the passes table: no row was split by a newline
    assert len(table_lines) == (2 + len(problem_rows)) + (2 + 1)


def test_markup_from_the_account_is_inert(hostile_report: Report) -> None:
    md = render_markdown(hostile_report)
    assert "<script>" not in md and "<b>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert re.search(r"(?<!\\)`", md) is None, "an unescaped backtick could open a code span"
    assert "[link](" not in md and "\\[link\\](http://evil.example)" in md
    assert "**bold**" not in md and "\\*\\*bold\\*\\*" in md
    assert "&amp;amp;" in md  # an entity in a value shows as typed
    assert "\x1b" not in md and "\x00" not in md and "\u202e" not in md and "\r" not in md


def test_values_stay_readable(hostile_report: Report) -> None:
    md = render_markdown(hostile_report)
    assert "écoute-enregistrée-日本語-✓" in md
    assert '=HYPERLINK("http://evil.example/x","click")' in md
    assert "x" * 300 in md
    assert "line one<br>line two<br>\\| injected \\| row \\|" in md


def test_escape_handles_each_special_character() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("`x`") == "\\`x\\`"
    assert escape("\\|") == "\\\\\\|"
    assert escape("a\nb") == "a<br>b"
    assert escape("<i>&") == "&lt;i&gt;&amp;"
    assert escape("_*~[]") == "\\_\\*\\~\\[\\]"
    assert escape({"k": [1, None]}) == '{"k": \\[1, null\\]}'


def test_table_names_in_summary_tags_are_escaped_as_html(
    build_report: Callable[..., Report], sample_results: tuple
) -> None:
    md = render_markdown(build_report(sample_results, tables={"<img src=x onerror=alert(1)>": [{"k|ey": "v`"}]}))
    assert "<summary>&lt;img src=x onerror=alert(1)&gt; (1 row)</summary>" in md
    assert "| k\\|ey |" in md and "| v\\` |" in md


def test_empty_report_says_no_results_not_compliant(empty_report: Report) -> None:
    md = render_markdown(empty_report)
    assert md.splitlines()[0] == "## recgov verify: NO RESULTS"
    assert "nothing was verified, which is not evidence of compliance" in md
    assert "**Verdict: COMPLIANT**" not in md
    assert "<details>" not in md
