"""The evidence digest: one SHA-256 that pins what a report judged, so a printed copy can be matched
with the archived data it came from.

The digest covers the results and the tables of a report (DESIGN section 6 shapes), serialised as
canonical JSON: keys sorted, no whitespace, ASCII only (``\\uXXXX`` escapes, which also makes any
string, even one holding a lone surrogate, encodable). Anyone can recompute it from the JSON report::

    python -c 'import hashlib, json, sys; d = json.load(sys.stdin);
    e = {"results": d["results"], "tables": d.get("tables", {})};
    print(hashlib.sha256(json.dumps(e, sort_keys=True, separators=(",", ":")).encode()).hexdigest())' < report.json
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from governance.model import Report
from governance.report.common import jsonable


def evidence_document(report: Report) -> dict[str, Any]:
    """What the digest covers: every result and every table row, as the JSON report writes them."""
    return {
        "results": [jsonable(r.as_dict()) for r in report.results],
        "tables": {name: [{str(k): jsonable(v) for k, v in row.items()} for row in rows]
                   for name, rows in report.tables.items()},
    }


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes: sorted keys, no whitespace, ASCII."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def evidence_digest(report: Report) -> str:
    """``sha256:<hex>`` over the canonical JSON of :func:`evidence_document`."""
    return "sha256:" + hashlib.sha256(canonical_json(evidence_document(report))).hexdigest()
