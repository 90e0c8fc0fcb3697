"""The JSON report: the machine-readable contract of DESIGN section 6.

Schema: ``governance/schemas/report.schema.json``. Keys come in a fixed order and evidence dicts are
key-sorted, so the same judgement always serialises to the same bytes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from governance.model import Report
from governance.report.common import dump_json, jsonable, verdict

SCHEMA_ID = "urn:recgov:report:1"
"""The versioned id of the JSON document shape; bumped on any incompatible change."""


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of this document, as packaged with ``governance``."""
    text = files("governance").joinpath("schemas/report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def report_document(report: Report) -> dict[str, Any]:
    """The report as JSON data, top-level keys in the order DESIGN section 6 lists them, with the
    run's ``verdict`` (COMPLIANT, NON-COMPLIANT, INCOMPLETE or NO RESULTS) after the summary."""
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "kind": report.kind,
        "generated_at": report.generated_at,
        "tool_version": report.tool_version,
        "policy_digest": report.policy_digest,
        "target": jsonable(report.target),
        "summary": report.summary.as_dict(),
        # The same word the other formats print: a consumer that reads only this key still learns
        # that a run with errors is INCOMPLETE, never compliant.
        "verdict": verdict(report.summary),
        **({"outage": report.outage} if report.outage else {}),
        **({"notices": list(report.notices)} if report.notices else {}),
        "results": [
            {**r.as_dict(), "observed": jsonable(r.observed), "expected": jsonable(r.expected)}
            for r in report.results
        ],
    }
    if report.tables:
        # Table rows keep their column order (it is the order a reader expects); only the table
        # names are sorted.
        doc["tables"] = {
            name: [{str(k): jsonable(v) for k, v in row.items()} for row in rows]
            for name, rows in sorted(report.tables.items())
        }
    return doc


def render_json(report: Report) -> str:
    """The report as an indented JSON document, UTF-8 text kept readable (no ``\\u`` escapes)."""
    return dump_json(report_document(report))
