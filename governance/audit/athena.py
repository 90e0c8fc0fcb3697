"""The Athena engine: the same audit SQL over the inventory as an Athena table, beyond one machine.

The table is the one AWS documents for a Parquet (or ORC) inventory: snake_case columns, typed
booleans and timestamps. Queries are restricted to the manifest's own data files with Athena's
``"$path"`` pseudo-column, so the table's other deliveries do not mix in. Athena reads the files in
place; each is checked first against the manifest by its ETag, which S3 computes from the content
(an MD5 for files uploaded in one part, as S3 Inventory writes them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governance.audit.errors import AuditInputError, ChecksumError, ManifestError
from governance.audit.findings import BucketAudit, listed_keys
from governance.audit.manifest import Manifest
from governance.audit.sql import (
    COLUMNS,
    Dialect,
    Thresholds,
    audit_query,
    combine,
    complete_first_keys,
    complete_orphans,
    legal_hold_query,
    literal,
)

POLL_SECONDS = 1.0
TIMEOUT_SECONDS = 1800.0


class AthenaQueryError(AuditInputError):
    """A query did not succeed; the report would be built on nothing."""


@dataclass(frozen=True)
class AthenaTarget:
    """Where the inventory table lives and where Athena writes results."""

    database: str
    table: str
    workgroup: str = "primary"
    output_location: str | None = None

    @property
    def relation(self) -> str:
        """The quoted table name."""
        return f'"{self.database}"."{self.table}"'


def path_filter(manifest: Manifest) -> str:
    """``"$path" IN (...)``: only the data files this manifest lists."""
    bucket = manifest.destination_bucket
    if not bucket:
        raise ManifestError(f"{manifest.location}: destinationBucket is missing; Athena needs the files' S3 paths.")
    paths = ", ".join(literal(f"s3://{bucket}/{f.key}") for f in manifest.files)
    return f'"$path" IN ({paths})' if paths else "false"


def verify_etags(s3: Any, manifest: Manifest) -> None:
    """Each data file's ETag equals the manifest's MD5checksum (HEAD only: Athena reads the bytes)."""
    for f in manifest.files:
        etag = str(s3.head_object(Bucket=manifest.destination_bucket, Key=f.key)["ETag"]).strip('"').lower()
        if etag != f.md5:
            raise ChecksumError(
                f"s3://{manifest.destination_bucket}/{f.key}: ETag {etag} differs from the manifest's {f.md5}; "
                "the inventory is not trusted."
            )


def run_query(client: Any, sql: str, target: AthenaTarget, poll: float = POLL_SECONDS,
              timeout: float = TIMEOUT_SECONDS) -> list[dict[str, str | None]]:
    """Start a query, wait for it, and return its rows as text (Athena's result API is all strings)."""
    args: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": target.database},
        "WorkGroup": target.workgroup,
    }
    if target.output_location:
        args["ResultConfiguration"] = {"OutputLocation": target.output_location}
    qid = client.start_query_execution(**args)["QueryExecutionId"]
    deadline = time.monotonic() + timeout
    while True:
        status = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        state = status["State"]
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            reason = status.get("StateChangeReason", "no reason given")
            raise AthenaQueryError(f"Athena query {qid} {state.lower()}: {reason}.")
        if time.monotonic() > deadline:
            raise AthenaQueryError(f"Athena query {qid} did not finish within {timeout:.0f} s.")
        time.sleep(poll)
    return list(_rows(client, qid))


def _rows(client: Any, qid: str) -> Iterator[dict[str, str | None]]:
    token: str | None = None
    first_page = True
    while True:
        kwargs: dict[str, Any] = {"QueryExecutionId": qid}
        if token:
            kwargs["NextToken"] = token
        page = client.get_query_results(**kwargs)
        names = [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
        rows = page["ResultSet"]["Rows"]
        # The first row of a SELECT's first page repeats the column names.
        for row in rows[1:] if first_page else rows:
            yield {n: cell.get("VarCharValue") for n, cell in zip(names, row["Data"], strict=True)}
        first_page = False
        token = page.get("NextToken")
        if not token:
            return


def _timestamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def audit_athena(client: Any, target: AthenaTarget, manifest: Manifest, t: Thresholds,
                 register_limit: int) -> BucketAudit:
    """Run the shared audit SQL (Athena dialect) over the manifest's files."""
    fields = frozenset(f for f in manifest.fields if f in COLUMNS)
    where = path_filter(manifest)
    groups = run_query(client, audit_query(target.relation, t, fields, Dialect.ATHENA, where), target)
    listed = sum(f.size for f in manifest.files)
    if listed and not sum(int(g["n"] or 0) for g in groups):
        # A table whose LOCATION misses the delivery reads nothing: that is not an empty, compliant bucket.
        raise AthenaQueryError(
            f"{manifest.location}: Athena read no row from the {len(manifest.files)} data files the manifest "
            f"lists ({listed} bytes); table {target.relation} does not cover them (check its LOCATION)."
        )
    row = combine(groups, t, fields, Dialect.ATHENA, listed_keys)
    complete_first_keys(row, groups, lambda sql: [str(r["key"]) for r in run_query(client, sql, target)],
                        target.relation, t, fields, Dialect.ATHENA, listed_keys, where)
    complete_orphans(row, lambda sql: run_query(client, sql, target), target.relation, t, Dialect.ATHENA,
                     listed_keys, where)
    holds: list[dict[str, Any]] = []
    if "object_lock_legal_hold_status" in fields:
        for h in run_query(client, legal_hold_query(target.relation, register_limit, fields, where), target):
            holds.append({**h, "last_modified_date": _timestamp(h["last_modified_date"]),
                          "retain_until": _timestamp(h.get("retain_until"))})
    return BucketAudit(manifest.source_bucket, t, fields, row, holds, source="inventory")
