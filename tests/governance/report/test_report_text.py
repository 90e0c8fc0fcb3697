"""The text report: a readable table, nothing truncated, summary and verdict last."""

from __future__ import annotations

import re
from collections.abc import Callable

from governance.model import Report, Result, Severity, Status
from governance.report.text import format_table, render_text


def test_summary_and_verdict_are_the_last_line(sample_report: Report) -> None:
    last = render_text(sample_report).rstrip("\n").splitlines()[-1]
    assert last == "Summary: 4 results: 2 pass, 1 fail, 1 error. Verdict: NON-COMPLIANT."


def test_table_lists_every_result_failures_first(sample_report: Report) -> None:
    text = render_text(sample_report)
    header = next(line for line in text.splitlines() if line.startswith("STATUS"))
    assert header.split() == ["STATUS", "SEVERITY", "CHECK", "RESOURCE", "PURPOSE", "MESSAGE"]
    statuses = [line.split()[0] for line in text.splitlines() if re.match(r"^(PASS|FAIL|ERROR) ", line)]
    assert statuses == ["FAIL", "ERROR", "PASS", "PASS"]
    for purpose in ("quality", "proof", "evaluations"):
        assert purpose in text
    assert "Rules behind the findings:" in text and "R4 (CNIL norm NS-57" in text


def test_long_messages_are_wrapped_not_truncated(build_report: Callable[..., Report]) -> None:
    message = " ".join(f"word{n}" for n in range(80))
    text = render_text(build_report((Result("c", "b", "quality", Status.FAIL, Severity.HIGH, message),)))
    table_lines = [line for line in text.splitlines() if "word" in line]
    assert len(table_lines) > 1
    assert all(len(line) <= 160 for line in table_lines)
    assert " ".join(" ".join(line.split()[-20:]) for line in table_lines).count("word") == 80
    for n in range(80):
        assert re.search(rf"\bword{n}\b", text), f"word{n} was lost"


def test_a_very_long_name_is_never_broken(hostile_report: Report) -> None:
    text = render_text(hostile_report)
    assert any("x" * 300 in line for line in text.splitlines())  # whole on one line: grep finds it


def test_identifiers_stay_whole_and_the_table_aligned() -> None:
    arn = "arn:aws:iam::123456789012:role/recgov-prod-quality-erasure"
    rows = [["RG-OBJECT-LOCK-COMPLIANCE-MAX", "recgov-prod-quality-1a2b3c4", f"denied to {arn} when reading"]]
    lines = format_table(["CHECK", "RESOURCE", "MESSAGE"], rows, [28, 20, 30])
    text = "\n".join(lines)
    for identifier in ("RG-OBJECT-LOCK-COMPLIANCE-MAX", "recgov-prod-quality-1a2b3c4", arn):
        assert any(identifier in line for line in lines), text
    starts = {line.index("recgov-prod") for line in lines if "recgov-prod-quality-1a2b3c4 " in line}
    assert starts == {len("RG-OBJECT-LOCK-COMPLIANCE-MAX  ")}


def test_hostile_values_cannot_forge_lines_or_drive_the_terminal(hostile_report: Report) -> None:
    text = render_text(hostile_report)
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text and "\r" not in text
    assert "\\x1b[31mred" in text
    for line in text.splitlines():
        # A value's line break must not start a new log line (CI runners act on "::error" lines).
        assert not line.startswith("::"), line
        assert not line.startswith("line two"), line
        assert not line.startswith("| injected"), line
    assert "écoute-enregistrée-日本語-✓" in text
    assert '=HYPERLINK("http://evil.example/x","click")' in text


def test_empty_report_says_no_results(empty_report: Report) -> None:
    text = render_text(empty_report)
    assert "No results: no check was run against any resource." in text
    assert text.rstrip().endswith("Verdict: NO RESULTS.")
    assert "COMPLIANT" not in text


def test_tables_are_rendered_after_the_results(build_report: Callable[..., Report], sample_results: tuple) -> None:
    rows = [{"key": "quality/2025/01/01/c1.wav", "age_days": 200}, {"key": "quality/x.wav", "extra": True}]
    text = render_text(build_report(sample_results, tables={"objects": rows}))
    assert "objects (2 rows)" in text
    header = next(line for line in text.splitlines() if line.startswith("key"))
    assert header.split() == ["key", "age_days", "extra"]
    assert "quality/2025/01/01/c1.wav" in text and "true" in text


def test_format_table_pads_columns_and_wraps_at_the_limit() -> None:
    lines = format_table(["A", "B"], [["1", "abcd efghij"]], [5, 6])
    assert lines == ["A  B", "-  ------", "1  abcd", "   efghij"]
    # A word longer than the column widens it rather than being split.
    assert format_table(["A", "B"], [["1", "abcdefghij"]], [5, 4]) == ["A  B", "-  ----------", "1  abcdefghij"]
