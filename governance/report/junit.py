"""The JUnit XML report: one test case per (check, resource), for CI test dashboards.

``classname`` is the check id and ``name`` the resource with its purpose, so a dashboard groups by
check. A fail is a ``<failure>``, an unverifiable result an ``<error>``; each carries the finding as
its message and the evidence as its body. ElementTree escapes markup; characters XML cannot carry at
all (most control characters) are shown as escapes first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from governance.model import Report, Result, Status
from governance.report.common import compact_json, notices, summary_sentence, verdict, visible
from governance.report.text import tables_text

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _text(value: Any) -> str:
    return visible(value if isinstance(value, str) else compact_json(value))


def _evidence(result: Result) -> str:
    lines = [
        f"Finding: {result.message}",
        f"Severity: {result.severity}",
        f"Observed: {compact_json(result.observed)}",
        f"Expected: {compact_json(result.expected)}",
    ]
    lines += [f"Rule: {c}" for c in result.citations]
    return _text("\n".join(lines))


def _testcase(result: Result) -> ET.Element:
    case = ET.Element(
        "testcase",
        {"classname": _text(result.check), "name": _text(f"{result.resource} ({result.purpose})"), "time": "0"},
    )
    if result.status is Status.FAIL:
        ET.SubElement(case, "failure", {"message": _text(result.message), "type": str(result.severity)}).text = (
            _evidence(result)
        )
    elif result.status is Status.ERROR:
        ET.SubElement(case, "error", {"message": _text(result.message), "type": "unverifiable"}).text = (
            _evidence(result)
        )
    return case


def junit_timestamp(generated_at: str) -> str:
    """One style for every report: UTC, to the second, ``Z`` (``+00:00`` and ``Z`` both arrive)."""
    try:
        moment = datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
    except ValueError:
        return _text(generated_at)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def render_junit(report: Report) -> str:
    """The report as a JUnit XML document (``testsuites`` with one ``testsuite``)."""
    summary = report.summary
    counts = {
        "tests": str(len(report.results)),
        "failures": str(summary.failed),
        "errors": str(summary.errors),
        "skipped": "0",
        "time": "0",
    }
    name = _text(f"recgov {report.kind}")
    root = ET.Element("testsuites", {"name": name, **counts})
    stamp = junit_timestamp(report.generated_at)
    suite = ET.SubElement(root, "testsuite", {"name": name, **counts, "timestamp": stamp})
    props = ET.SubElement(suite, "properties")
    meta: dict[str, Any] = {
        "verdict": verdict(summary),
        "policy_digest": report.policy_digest,
        "tool_version": report.tool_version,
    }
    meta.update({f"target.{k}": v for k, v in sorted(report.target.items())})
    for key, value in meta.items():
        ET.SubElement(props, "property", {"name": _text(key), "value": _text(value)})
    suite.extend(_testcase(r) for r in report.results)
    # Tables (per-agent rates, the legal-hold register) have no test case of their own: they are
    # evidence, carried in the suite's output so that a dashboard shows them beside the verdict.
    out = [*(f"Notice: {visible(n)}" for n in notices(report)),
           f"{summary_sentence(summary)}. Verdict: {verdict(summary)}.", *tables_text(report)]
    ET.SubElement(suite, "system-out").text = "\n".join(out)
    ET.indent(root)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"
