"""The calls export (DESIGN section 6): validated before any recording is counted against it.

One row per handled call: ``call_id, agent_id, started_at`` (ISO 8601, UTC) and ``transaction_id``
(empty when the call concluded none). A file that fails validation is refused whole, in one sentence:
a rate computed on a partly-read export would be evidence of nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from governance.audit.errors import CallsFileError
from governance.audit.sql import literal

COLUMNS = ("call_id", "agent_id", "started_at", "transaction_id")
CALLS = "calls"
ISO_UTC = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+]00:?00)$"
"""ISO 8601 with an explicit UTC designator: a local time would shift calls across months."""
EXAMPLE = "2025-03-14T09:30:00Z"


def read_header(path: Path) -> list[str]:
    """The first line's column names (a byte-order mark is tolerated)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [c.strip() for c in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError) as exc:
        raise CallsFileError(f"{path}: cannot read the calls export ({exc}).") from None


def load_calls(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Create the view ``calls`` (typed) over the export after validating it; returns the call count."""
    header = read_header(path)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CallsFileError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the calls export "
            f"has a header with {', '.join(COLUMNS)}."
        )
    source = f"read_csv({literal(str(path))}, header = true, all_varchar = true, delim = ',', quote = '\"')"
    bad_date = f"NOT regexp_full_match(coalesce(started_raw, ''), {literal(ISO_UTC)}) OR started_at IS NULL"
    try:
        # DuckDB reads (and may refuse) the file when the view is bound, e.g. a row shorter than the header.
        con.execute(
            f"CREATE OR REPLACE VIEW {CALLS} AS SELECT trim(call_id) AS call_id, trim(agent_id) AS agent_id, "
            "trim(started_at) AS started_raw, "
            "CAST(TRY_CAST(trim(started_at) AS TIMESTAMPTZ) AS TIMESTAMP) AS started_at, "
            f"nullif(trim(transaction_id), '') AS transaction_id FROM {source}"
        )
        n, no_id, no_agent, bad, example, example_call = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE coalesce(call_id, '') = ''), "
            f"count(*) FILTER (WHERE coalesce(agent_id, '') = ''), count(*) FILTER (WHERE {bad_date}), "
            f"min(coalesce(started_raw, '')) FILTER (WHERE {bad_date}), min(call_id) FILTER (WHERE {bad_date}) "
            f"FROM {CALLS}"
        ).fetchone() or (0, 0, 0, 0, None, None)
        duplicate = con.execute(
            f"SELECT call_id, count(*) FROM {CALLS} GROUP BY call_id HAVING count(*) > 1 ORDER BY call_id LIMIT 1"
        ).fetchone()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise CallsFileError(f"{path}: not a readable CSV file ({first}).") from None
    if not n:
        raise CallsFileError(f"{path}: the calls export has no calls; a rate needs the calls handled.")
    if no_id or no_agent:
        raise CallsFileError(f"{path}: {no_id + no_agent} rows have an empty call_id or agent_id.")
    if bad:
        raise CallsFileError(
            f"{path}: {bad} started_at values are not ISO 8601 UTC dates such as {EXAMPLE} "
            f"(for example {example!r} of call {example_call})."
        )
    if duplicate:
        raise CallsFileError(f"{path}: call_id {duplicate[0]} appears {duplicate[1]} times; one row per call.")
    return int(n)
