"""Verdicts, ordering, evidence as JSON data and safe text, shared by every format."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import pytest

from governance.model import Report, Result, Severity, Status, Summary
from governance.report.common import (
    cited,
    jsonable,
    one_line,
    rule_info,
    summary_sentence,
    triage_order,
    verdict,
    visible,
)


@pytest.mark.parametrize(
    ("summary", "word"),
    [
        (Summary(0, 0, 0), "NO RESULTS"),
        (Summary(3, 0, 0), "COMPLIANT"),
        (Summary(3, 1, 0), "NON-COMPLIANT"),
        (Summary(3, 1, 2), "NON-COMPLIANT"),
        (Summary(3, 0, 2), "INCOMPLETE"),
        (Summary(0, 0, 1), "INCOMPLETE"),
    ],
)
def test_verdict_follows_the_exit_code_but_never_calls_an_empty_run_compliant(summary: Summary, word: str) -> None:
    assert verdict(summary) == word


def test_summary_sentence_counts_and_warns_when_empty() -> None:
    assert summary_sentence(Summary(2, 1, 1)) == "4 results: 2 pass, 1 fail, 1 error"
    assert summary_sentence(Summary(1, 0, 0)) == "1 result: 1 pass, 0 fail, 0 error"
    assert "not evidence of compliance" in summary_sentence(Summary(0, 0, 0))


def test_triage_order_puts_failures_then_errors_then_passes_by_severity(sample_results: tuple[Result, ...]) -> None:
    low_fail = Result("c", "r", "quality", Status.FAIL, Severity.LOW, "m")
    ordered = triage_order((*sample_results, low_fail))
    assert [(r.status, r.severity) for r in ordered] == [
        (Status.FAIL, Severity.CRITICAL),
        (Status.FAIL, Severity.LOW),
        (Status.ERROR, Severity.HIGH),
        (Status.PASS, Severity.CRITICAL),
        (Status.PASS, Severity.MEDIUM),
    ]


class Colour(Enum):
    RED = "red"


class WithDict:
    def as_dict(self) -> dict[str, int]:
        return {"b": 2, "a": 1}


def test_jsonable_turns_evidence_into_plain_sorted_json_data() -> None:
    value = {
        "z": {3, 1, 2},
        "a": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "m": (Colour.RED, None, 1.5, True),
        "o": WithDict(),
        "x": complex(1, 2),
        7: "int key",
    }
    out = jsonable(value)
    assert list(out) == ["7", "a", "m", "o", "x", "z"]
    assert out["z"] == [1, 2, 3]
    assert out["a"] == "2025-01-02T03:04:05+00:00"
    assert out["m"] == ["red", None, 1.5, True]
    assert out["o"] == {"a": 1, "b": 2} and list(out["o"]) == ["a", "b"]
    assert out["x"] == "(1+2j)"


def test_visible_escapes_controls_and_bidi_overrides_but_keeps_text() -> None:
    assert visible("a\x1b[31mb\x00") == "a\\x1b[31mb\\x00"
    assert visible("\u202eevil") == "\\u202eevil"
    assert visible("écoute 日本語 ✓\tok\nnext") == "écoute 日本語 ✓\tok\nnext"


def test_one_line_makes_any_line_break_visible() -> None:
    assert one_line("a\nb\r\nc\rd\te") == "a\\nb\\nc\\nd e"


def test_rule_info_uses_metadata_and_synthesises_checks_without_it(sample_report: Report) -> None:
    extra = Result("unlisted.check", "b", "proof", Status.FAIL, Severity.LOW, "m", citations=("R5 (x)",))
    infos = rule_info(Report((*sample_report.results, extra), {}, "d", "t", "v", checks=sample_report.checks))
    assert list(infos) == sorted(infos)
    lifecycle = infos["s3.lifecycle.worst-case-age"]
    assert lifecycle.remediation.startswith("Add a NoncurrentVersionExpiration")
    assert lifecycle.citations[0].startswith("R4 (CNIL norm NS-57")
    assert infos["unlisted.check"].citations == ("R5 (x)",)
    assert infos["unlisted.check"].severity is Severity.LOW


def test_cited_orders_by_rule_number_not_by_text() -> None:
    rs = [
        Result("c", "r", "p", Status.FAIL, Severity.LOW, "m", citations=("R10 (GDPR Art. 32)", "R4 (NS-57)")),
        Result("c", "s", "p", Status.FAIL, Severity.LOW, "m", citations=("R4 (NS-57)", "other source")),
    ]
    assert cited(rs) == ["R4 (NS-57)", "R10 (GDPR Art. 32)", "other source"]


def test_rates_read_as_percentages_and_counts_agree_in_number() -> None:
    from governance.model import Summary
    from governance.report.common import counts, plural, shown_cell

    assert shown_cell("rate", 0.125) == "12.5%" and shown_cell("max_rate", 0.2) == "20%"
    assert shown_cell("calls", 8) == 8 and shown_cell("rate", None) is None
    assert plural(1, "key") == "1 key" and plural(2, "key") == "2 keys" and plural(0, "error") == "0 errors"
    assert counts(Summary(3, 0, 1)) == "3 passed, 0 failed, 1 error"
