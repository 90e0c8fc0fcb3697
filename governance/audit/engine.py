"""The DuckDB engine: one scan of the verified inventory computes every object-level finding.

The scan runs while the data files' MD5s are still being computed (in other threads); its results
are used only once every checksum has passed, so a mismatch is refused as if it had been found first: no
finding is returned, and a file that cannot be parsed is reported as a checksum mismatch when it is one.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from governance.audit.errors import ManifestError
from governance.audit.files import Inventory
from governance.audit.findings import BucketAudit
from governance.audit.source import VIEW, connect, create_view
from governance.audit.sql import REGISTER_LIMIT, AuditPlan, Dialect, Thresholds


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """Rows as dicts (column names from the cursor)."""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def audit_view(con: duckdb.DuckDBPyConnection, bucket: str, plan: AuditPlan, source: str = "inventory") -> BucketAudit:
    """Run the plan over the view ``inventory`` of one bucket (one scan, register and ages included)."""
    def run(sql: str) -> list[dict[str, Any]]:
        return fetch_dicts(con, sql)

    groups = run(plan.audit_query(VIEW))
    found = plan.summarize(groups, run, VIEW)
    plan.add_orphans(found, run, VIEW)
    return BucketAudit(bucket, plan.thresholds, plan.fields, found, plan.register(groups), source=source,
                       ages=plan.ages(groups))


ARROW_CSV_ERROR = re.compile(r"CSV input source '(?P<path>[^']*)': (?:Invalid: )?(?P<detail>.*)")


def unparsable(inv: Inventory, exc: Exception) -> ManifestError:
    """One sentence for a data file that does not parse: which file, and the reader's first reason."""
    # The reason may quote a value from the file: control characters are shown escaped, not sent to a terminal.
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(exc).strip().splitlines()[0])
    arrow = ARROW_CSV_ERROR.search(text)
    if arrow is None:
        return ManifestError(f"{inv.manifest.location}: a data file cannot be parsed as {inv.manifest.file_format} "
                             f"({text}).")
    # Arrow quotes the offending row after the column counts: the row stays out of the message.
    detail = re.sub(r"(got \d+): .*", r"\1", arrow["detail"])
    # A decompression error comes back through Python with a traceback header: its first sentence is the reason.
    detail = re.sub(r"\.? Detail: Python exception.*", "", detail).removeprefix("IOError: ")
    from governance.audit.gunzip import real_name  # loads Arrow, which a Parquet audit does without

    name = real_name(arrow["path"], inv.paths)
    return ManifestError(f"{inv.manifest.location}: data file {name} cannot be parsed as CSV ({detail}).")


def audit_inventory(inv: Inventory, t: Thresholds, register_limit: int = REGISTER_LIMIT,
                    memory_limit: str = "768MB", threads: int | None = None) -> BucketAudit:
    """Audit one inventory with DuckDB, streaming its files; nothing is returned before they are verified."""
    con = connect(memory_limit, threads)
    try:
        plan = AuditPlan(t, frozenset(create_view(con, inv)), Dialect.DUCKDB, register_limit)
        audit = audit_view(con, inv.manifest.source_bucket, plan)
        inv.verified()
        return audit
    except ManifestError:
        inv.verified()  # an altered file is a checksum mismatch first, whatever else it breaks
        raise
    except duckdb.Error as exc:
        inv.verified()
        # A file that passed its checksum but does not parse was written wrong: refuse it whole.
        raise unparsable(inv, exc) from None
    finally:
        con.close()
