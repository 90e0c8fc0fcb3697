"""``find`` with Athena: every requested call's versions in one inventory delivery, in one query.

The inventory is the object audit's Athena table (docs/athena.md), read the way its engine reads it:
the table's typing from Glue (:func:`~governance.audit.athena.read_table`), the delivery's ``dt``
partition and data files (:func:`~governance.audit.athena.delivery_filter`), each data file's ETag
checked against the manifest first, every column typed by
:func:`~governance.audit.sql.athena_source`. One statement keeps the rows whose key contains one of
the call ids and counts the delivery's rows beside them, so that a table that does not cover the
delivery is refused instead of reading as "nothing stored"; the few rows returned are matched exactly
by the purpose's key layout, as the DuckDB search does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from governance.audit.athena import (
    PARTITION,
    QUERY_BYTES_LIMIT,
    AthenaQueryError,
    AthenaTarget,
    audited_fields,
    delivery_partition,
    read_table,
    refuse_unread,
    run_query,
    whole_delivery,
)
from governance.audit.errors import ManifestError
from governance.audit.manifest import Manifest
from governance.audit.sql import BOOLEANS, TIMESTAMPS, literal
from governance.subject.find import Found
from governance.subject.inventory import WANTED, found_in_rows
from governance.subject.stored import Scope

ROWS_READ = "rows_read"


def find_statement(source: str, fields: frozenset[str], call_ids: Sequence[str]) -> str:
    """The one statement: the delivery's row count, and its rows whose key contains a call id."""
    chosen = ", ".join(c for c in WANTED if c in fields)
    wanted = " OR ".join(f"strpos(key, {literal(c)}) > 0" for c in call_ids)
    return (f"SELECT delivery.{ROWS_READ}, found.* FROM (SELECT count(*) AS {ROWS_READ} FROM {source}) AS delivery "
            f"LEFT JOIN (SELECT {chosen} FROM {source} WHERE {wanted}) AS found ON true")


def _value(column: str, text: str | None) -> Any:
    """Athena's text of a typed column as the Python value the DuckDB search gives (a CSV inventory's empty
    field, which the table's ``string`` column keeps as '', is absent there too)."""
    if text is None or text == "":
        return None
    if column in BOOLEANS:
        return text.lower() == "true"
    if column in TIMESTAMPS:
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            raise AthenaQueryError(f"Athena returned {text!r} where {column} is a timestamp.") from None
    return text


def parse_rows(rows: Sequence[Mapping[str, str | None]], fields: frozenset[str]) -> tuple[int, list[dict[str, Any]]]:
    """The delivery's row count and the candidate rows, typed."""
    read = int(rows[0][ROWS_READ] or 0) if rows else 0
    chosen = [c for c in WANTED if c in fields]
    return read, [{c: _value(c, r.get(c)) for c in chosen} for r in rows if r.get("key") is not None]


def find_in_athena(athena: Any, glue: Any, target: AthenaTarget, manifest: Manifest, scope: Scope,
                   call_ids: Sequence[str]) -> Found:
    """Every version of the calls in the manifest's delivery, by one Athena query (the audit's input errors)."""
    if not manifest.destination_bucket:
        raise ManifestError(f"{manifest.location}: destinationBucket is missing; Athena needs the files' S3 paths.")
    shape = read_table(glue, target)
    fields = audited_fields(manifest, shape, target)
    partition = delivery_partition(manifest) if PARTITION in shape.partitions else None
    relation = whole_delivery(manifest, target, shape, fields, lambda source: find_statement(source, fields, call_ids),
                              "finding the calls", QUERY_BYTES_LIMIT)
    statement = find_statement(relation, fields, call_ids)
    read, rows = parse_rows(run_query(athena, statement, target), fields)
    refuse_unread(manifest, target, partition, len(manifest.files), sum(f.size for f in manifest.files), read)
    return found_in_rows(scope, rows, call_ids)
