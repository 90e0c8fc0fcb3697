"""The JSON report keeps the DESIGN section 6 contract, validated against the schema in the repo."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from governance.model import Report, Result, Severity, Status
from governance.report.json_report import SCHEMA_ID, render_json, report_document, report_schema


def validate(doc: Any) -> None:
    jsonschema.Draft202012Validator(report_schema(), format_checker=jsonschema.FormatChecker()).validate(doc)


def test_schema_is_a_valid_draft_2020_12_schema_with_the_same_id() -> None:
    jsonschema.Draft202012Validator.check_schema(report_schema())
    assert report_schema()["$id"] == SCHEMA_ID


def test_sample_report_is_valid_and_matches_its_golden_file(
    sample_report: Report, golden: Callable[[str, str], None]
) -> None:
    text = render_json(sample_report)
    validate(json.loads(text))
    golden("report.json", text)


def test_top_level_keys_in_contract_order(sample_report: Report) -> None:
    doc = json.loads(render_json(sample_report))
    assert list(doc) == [
        "schema", "kind", "generated_at", "tool_version", "policy_digest", "target", "summary", "verdict", "results"
    ]
    assert doc["summary"] == {"pass": 2, "fail": 1, "error": 1}
    assert doc["verdict"] == "NON-COMPLIANT"
    assert list(doc["results"][0]) == [
        "check", "resource", "purpose", "status", "severity", "message", "observed", "expected", "citations"
    ]
    assert doc["results"][1]["status"] == "error"
    assert doc["results"][0]["citations"][0].startswith("R4 (")


def test_results_keep_the_order_the_checks_ran_in(sample_report: Report) -> None:
    doc = report_document(sample_report)
    assert [(r["check"], r["resource"]) for r in doc["results"]] == [
        (r.check, r.resource) for r in sample_report.results
    ]


def test_output_does_not_depend_on_the_order_evidence_arrived_in(build_report: Callable[..., Report]) -> None:
    def one(observed: dict[str, Any]) -> Report:
        return build_report((Result("c", "b", "quality", Status.FAIL, Severity.LOW, "m", observed=observed),))

    first = render_json(one({"zeta": 1, "alpha": {"y": 2, "x": 1}}))
    second = render_json(one({"alpha": {"x": 1, "y": 2}, "zeta": 1}))
    assert first == second
    assert first.index('"alpha"') < first.index('"zeta"')


def test_evidence_that_is_not_json_is_made_json(build_report: Callable[..., Report]) -> None:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    report = build_report((Result("c", "b", "q", Status.PASS, Severity.LOW, "m", observed={"at": when, "s": {2, 1}}),))
    doc = json.loads(render_json(report))
    assert doc["results"][0]["observed"] == {"at": "2025-01-01T00:00:00+00:00", "s": [1, 2]}
    validate(doc)


def test_tables_appear_only_when_present_and_validate(build_report: Callable[..., Report], sample_results: Any) -> None:
    assert "tables" not in report_document(build_report(sample_results))
    rows = [{"key": "quality/2025/01/01/c1.wav", "age_days": 200, "verdict": "fail"}]
    doc = report_document(build_report(sample_results, kind="audit-objects", tables={"objects": rows}))
    assert doc["kind"] == "audit-objects"
    assert doc["tables"] == {"objects": rows}
    assert list(doc["tables"]["objects"][0]) == ["key", "age_days", "verdict"]
    validate(doc)


def test_hostile_strings_round_trip_exactly(hostile_report: Report) -> None:
    text = render_json(hostile_report)
    doc = json.loads(text)
    validate(doc)
    assert [r["resource"] for r in doc["results"]] == [r.resource for r in hostile_report.results]
    assert [r["message"] for r in doc["results"]] == [r.message for r in hostile_report.results]
    assert "écoute-enregistrée-日本語-✓" in text  # readable, not \u-escaped
    assert "\x1b" not in text and "\x00" not in text  # JSON escapes control characters


def test_empty_report_is_valid_with_zero_counts(empty_report: Report) -> None:
    doc = json.loads(render_json(empty_report))
    validate(doc)
    assert doc["results"] == []
    assert doc["summary"] == {"pass": 0, "fail": 0, "error": 0}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(extra=1),
        lambda d: d.pop("policy_digest"),
        lambda d: d["summary"].update(total=4),
        lambda d: d["results"][0].update(status="warn"),
        lambda d: d["results"][0].update(severity="urgent"),
        lambda d: d["results"][0].pop("citations"),
        lambda d: d["results"][0].update(note="x"),
        lambda d: d.update(schema="urn:recgov:report:0"),
        lambda d: d.update(generated_at="yesterday"),
        lambda d: d.update(tables={}),
    ],
)
def test_schema_rejects_documents_outside_the_contract(sample_report: Report, mutate: Callable[[dict], Any]) -> None:
    doc = report_document(sample_report)
    mutate(doc)
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_invisible_and_direction_changing_characters_are_escaped_but_decode_the_same(
    build_report: Callable[..., Report],
) -> None:
    names = ("\u202eevil\u202c", "a\u2028b", "lone\udc80surrogate", "del\x7f")
    report = build_report(tuple(Result("c", n, "quality", Status.FAIL, Severity.LOW, n) for n in names))
    text = render_json(report)
    assert "\\u202e" in text and "\\u2028" in text and "\\udc80" in text and "\\u007f" in text
    assert not any(c in text for c in "\u202e\u2028\udc80\x7f")
    text.encode("utf-8")  # a lone surrogate left raw would make the report unwritable
    assert [r["resource"] for r in json.loads(text)["results"]] == list(names)
