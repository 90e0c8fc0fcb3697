"""The DuckDB engine: one scan of the verified inventory computes every object-level finding.

The scan runs while the data files' MD5s are still being computed (in other threads); its results
are used only once every checksum has passed, so a mismatch is refused exactly as before: no finding
is returned, and a file that cannot be parsed is reported as a checksum mismatch when it is one.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from governance.audit.errors import ManifestError
from governance.audit.files import Inventory
from governance.audit.findings import BucketAudit, listed_keys
from governance.audit.source import VIEW, connect, create_view
from governance.audit.sql import (
    Dialect,
    Thresholds,
    age_histogram,
    audit_query,
    combine,
    complete_first_keys,
    complete_orphans,
    merge_register,
)

REGISTER_LIMIT = 1000
"""Legal holds listed in the register; the result carries the full count."""


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """Rows as dicts (column names from the cursor)."""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def audit_view(con: duckdb.DuckDBPyConnection, bucket: str, t: Thresholds, fields: frozenset[str],
               register_limit: int = REGISTER_LIMIT, source: str = "inventory") -> BucketAudit:
    """Run the shared audit SQL over the view ``inventory`` of one bucket (one scan, register included)."""
    groups = fetch_dicts(con, audit_query(VIEW, t, fields, Dialect.DUCKDB, register=register_limit, age_bins=True))
    row = combine(groups, t, fields, Dialect.DUCKDB, listed_keys)
    complete_first_keys(row, groups, lambda sql: [k for (k,) in con.execute(sql).fetchall()], VIEW, t, fields,
                        Dialect.DUCKDB, listed_keys)
    complete_orphans(row, lambda sql: fetch_dicts(con, sql), VIEW, t, Dialect.DUCKDB, listed_keys)
    holds: list[dict[str, Any]] = []
    if "object_lock_legal_hold_status" in fields:
        holds = merge_register(groups, register_limit)
    return BucketAudit(bucket, t, fields, row, holds, source=source, ages=age_histogram(groups))


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
        fields = frozenset(create_view(con, inv))
        audit = audit_view(con, inv.manifest.source_bucket, t, fields, register_limit)
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
