"""The JUnit report parses back as XML with the right counts, one test case per check and resource."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from governance.model import Report, Status
from governance.report.common import visible
from governance.report.junit import render_junit


def parse(report: Report) -> ET.Element:
    text = render_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def test_counts_match_the_results(sample_report: Report) -> None:
    root = parse(sample_report)
    suite = root.find("testsuite")
    assert suite is not None
    for element in (root, suite):
        assert element.get("tests") == "4"
        assert element.get("failures") == "1"
        assert element.get("errors") == "1"
        assert element.get("skipped") == "0"
    cases = suite.findall("testcase")
    assert len(cases) == 4
    assert len(suite.findall("testcase/failure")) == 1
    assert len(suite.findall("testcase/error")) == 1
    # One timestamp style in every report, whichever way generated_at was written: UTC with Z.
    assert suite.get("timestamp") == sample_report.generated_at.replace("+00:00", "Z")


def test_each_case_names_check_resource_and_purpose_with_evidence(sample_report: Report) -> None:
    suite = parse(sample_report).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        (r.check, f"{r.resource} ({r.purpose})") for r in sample_report.results
    ]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == sample_report.results[0].message
    assert failure.get("type") == "critical"
    assert failure.text is not None
    assert 'Observed: {"expiration_days": 90, "noncurrent_expiration_days": null}' in failure.text
    assert 'Expected: {"max_days": 181}' in failure.text
    assert "Rule: R4 (CNIL norm NS-57" in failure.text
    error = cases[1].find("error")
    assert error is not None and error.get("type") == "unverifiable"
    assert cases[2].find("failure") is None and cases[2].find("error") is None


def test_properties_carry_verdict_policy_and_target(sample_report: Report) -> None:
    suite = parse(sample_report).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props == {
        "verdict": "NON-COMPLIANT",
        "policy_digest": sample_report.policy_digest,
        "tool_version": "0.1.0",
        "target.region": "eu-west-3",
        "target.stack_outputs": "outputs.json",
    }


def test_hostile_strings_give_well_formed_xml_that_reads_back(hostile_report: Report) -> None:
    root = parse(hostile_report)
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(hostile_report.results)
    for case, result in zip(cases, hostile_report.results, strict=True):
        # Characters XML cannot hold are shown as escapes; everything else reads back unchanged.
        assert case.get("name") == visible(f"{result.resource} ({result.purpose})")
        child = case.find("failure" if result.status is Status.FAIL else "error")
        if result.status is Status.PASS:
            assert child is None
        else:
            assert child is not None and child.get("message") == visible(result.message)
    assert root.get("failures") == "6" and root.get("errors") == "5" and root.get("tests") == "12"
    props = {p.get("name"): p.get("value") for p in root.findall("testsuite/properties/property")}
    assert props["target.note"] == "<script>alert(1)</script>"


def test_empty_report_is_zero_tests_and_says_no_results(empty_report: Report) -> None:
    root = parse(empty_report)
    assert root.get("tests") == "0"
    assert root.findall("testsuite/testcase") == []
    props = {p.get("name"): p.get("value") for p in root.findall("testsuite/properties/property")}
    assert props["verdict"] == "NO RESULTS"
    out = root.find("testsuite/system-out")
    assert out is not None and out.text is not None and "Verdict: NO RESULTS" in out.text


def test_tables_are_in_the_suite_output(sample_report: Report) -> None:
    holds = [{"key": "proof/2026/01/02/c-9.wav", "version_id": "v1", "age_days": 300}]
    xml = render_junit(dataclasses.replace(sample_report, tables={"legal_holds": holds}))
    out = ET.fromstring(xml.split("\n", 1)[1]).find("testsuite/system-out")
    assert out is not None and out.text is not None
    assert "legal_holds (1 row)" in out.text and "proof/2026/01/02/c-9.wav" in out.text


def test_timestamps_have_one_style() -> None:
    from governance.report.junit import junit_timestamp

    assert junit_timestamp("2026-12-04T18:23:53+00:00") == junit_timestamp("2026-12-04T18:23:53Z")
    assert junit_timestamp("2026-12-04T19:23:53+01:00") == "2026-12-04T18:23:53Z"
