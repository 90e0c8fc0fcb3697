"""The SARIF report: valid SARIF 2.1.0 with what code scanning needs to raise and dedupe alerts."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from governance.model import Report, Result, Severity, Status
from governance.report.sarif import render_sarif, sarif_document

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "data" / "sarif-code-scanning.schema.json").read_text(encoding="utf-8")
)


def validate(doc: Any) -> None:
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)


def run_of(report: Report) -> dict[str, Any]:
    doc = json.loads(render_sarif(report))
    validate(doc)
    run: dict[str, Any] = doc["runs"][0]
    return run


def test_structure_schema_is_itself_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_sample_report_is_valid_sarif_2_1_0(sample_report: Report) -> None:
    doc = json.loads(render_sarif(sample_report))
    validate(doc)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    assert doc["runs"][0]["tool"]["driver"]["name"] == "recgov"
    assert doc["runs"][0]["tool"]["driver"]["version"] == "0.1.0"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["runs"][0]["results"][0].pop("message"),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"].pop("region"),
        lambda d: d["runs"][0]["results"][0].update(level="critical"),
        lambda d: d["runs"][0]["results"][0].update(partialFingerprints={}),
        lambda d: d["runs"][0]["tool"]["driver"]["rules"][0].pop("help"),
        lambda d: d["runs"][0]["tool"]["driver"]["rules"][0]["properties"].update({"security-severity": "high"}),
        lambda d: d["runs"][0]["tool"]["driver"]["rules"][0].update(helpText="x"),
        lambda d: d.update(version="2.0.0"),
    ],
)
def test_structure_schema_rejects_what_code_scanning_would_reject(
    sample_report: Report, mutate: Callable[[dict[str, Any]], Any]
) -> None:
    doc = copy.deepcopy(sarif_document(sample_report))
    mutate(doc)
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_every_result_points_at_a_rule_that_exists(sample_report: Report) -> None:
    run = run_of(sample_report)
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_only_failures_and_errors_become_results(sample_report: Report) -> None:
    run = run_of(sample_report)
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("s3.lifecycle.worst-case-age", "error"),
        ("s3.encryption.kms/unverified", "warning"),
    ]
    assert run["properties"]["summary"] == {"pass": 2, "fail": 1, "error": 1}
    assert run["properties"]["verdict"] == "NON-COMPLIANT"


@pytest.mark.parametrize(
    ("severity", "level", "score"),
    [
        (Severity.CRITICAL, "error", "9.5"),
        (Severity.HIGH, "error", "8.0"),
        (Severity.MEDIUM, "warning", "5.5"),
        (Severity.LOW, "warning", "3.0"),
    ],
)
def test_fail_level_and_security_severity_follow_the_check_severity(
    build_report: Callable[..., Report], severity: Severity, level: str, score: str
) -> None:
    run = run_of(build_report((Result("c.x", "b", "quality", Status.FAIL, severity, "m"),), checks=()))
    assert run["results"][0]["level"] == level
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == score


def test_unverifiable_results_use_a_companion_rule_without_security_severity(sample_report: Report) -> None:
    run = run_of(sample_report)
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    companion = rules["s3.encryption.kms/unverified"]
    assert "security-severity" not in companion["properties"]
    assert companion["shortDescription"]["text"].startswith("Could not verify:")
    assert "R10 (GDPR Art. 32)" in companion["help"]["text"]
    error = next(r for r in run["results"] if r["ruleId"].endswith("/unverified"))
    assert error["message"]["text"].startswith("Could not verify: Bucket acme-rec-proof (proof)")
    assert "s3.lifecycle.worst-case-age/unverified" not in rules  # only for checks that had errors


def test_rules_carry_help_with_remediation_citations_and_permissions(sample_report: Report) -> None:
    rules = {r["id"]: r for r in run_of(sample_report)["tool"]["driver"]["rules"]}
    assert set(rules) >= {"s3.lifecycle.worst-case-age", "s3.encryption.kms", "s3.public-access-block"}
    rule = rules["s3.lifecycle.worst-case-age"]
    assert rule["name"] == "RecordingsAreGoneByTheLegalMaximum"
    assert rule["shortDescription"]["text"] == "Recordings are gone by the legal maximum"
    for field in ("text", "markdown"):
        assert "NoncurrentVersionExpiration" in rule["help"][field]
        assert "R4 (CNIL norm NS-57 (délibération 2014-474))" in rule["help"][field]
        assert "s3:GetLifecycleConfiguration" in rule["help"][field]
    assert "security" in rule["properties"]["tags"]


def test_locations_name_the_program_file_and_the_bucket(
    sample_report: Report, build_report: Callable[..., Report], sample_results: tuple
) -> None:
    location = run_of(sample_report)["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.yaml"
    assert location["physicalLocation"]["region"] == {"startLine": 1}
    assert location["logicalLocations"] == [
        {"name": "acme-rec-quality", "fullyQualifiedName": "quality/acme-rec-quality", "kind": "resource"}
    ]
    other = run_of(build_report(sample_results, target={"program": "infra/Pulumi.yaml"}))
    assert other["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/Pulumi.yaml"


def test_fingerprints_are_stable_across_runs_and_distinct_per_resource(
    sample_report: Report, build_report: Callable[..., Report]
) -> None:
    def prints(report: Report) -> list[dict[str, str]]:
        return [r["partialFingerprints"] for r in run_of(report)["results"]]

    later = build_report(sample_report.results, generated_at="2026-06-01T00:00:00+00:00", target={})
    assert prints(sample_report) == prints(later)
    same_check = build_report(
        tuple(Result("c", bucket, "quality", Status.FAIL, Severity.HIGH, "m") for bucket in ("a", "b")), checks=()
    )
    first, second = prints(same_check)
    assert first["primaryLocationLineHash"] != second["primaryLocationLineHash"]


def test_hostile_strings_stay_valid_and_exact(hostile_report: Report) -> None:
    run = run_of(hostile_report)
    names = [r["locations"][0]["logicalLocations"][0]["name"] for r in run["results"]]
    assert names == [r.resource for r in hostile_report.results if r.status is not Status.PASS]
    assert len({r["partialFingerprints"]["recgovFinding/v1"] for r in run["results"]}) == len(run["results"])


def test_empty_report_is_valid_with_no_results_and_says_so(empty_report: Report) -> None:
    run = run_of(empty_report)
    assert run["results"] == []
    assert run["properties"]["verdict"] == "NO RESULTS"
    assert "not evidence of compliance" in run["properties"]["summaryText"]


def test_tables_travel_in_the_run_properties(sample_report: Report) -> None:
    rows = [{"agent_id": "a-1", "month": "2026-10", "calls": 40, "recordings": 18, "rate": 0.45}]
    run = run_of(dataclasses.replace(sample_report, tables={"agent_months": rows}))
    assert run["properties"]["tables"] == {"agent_months": rows}
