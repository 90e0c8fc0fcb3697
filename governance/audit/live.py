"""Live listing where no inventory exists: every version, read-only, into the same DuckDB table.

Listing is paginated and runs concurrently across prefixes (expanded a few levels down, because every
recording key starts with its purpose). A version page carries neither encryption nor lock fields, so
each version gets one HEAD, which also carries the lock fields to a caller allowed to read them;
``GetObjectRetention``/``GetObjectLegalHold`` are called only on buckets with Object Lock, once per
bucket to learn whether HEAD's silence means "absent" or "hidden" (see :class:`LockProbe`).
Only Get/List/Head calls are made. This caps near 10 k versions per second per core: for tens of
millions of recordings use the inventory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import duckdb
from botocore.exceptions import ClientError

from governance.audit.engine import audit_view
from governance.audit.findings import BucketAudit
from governance.audit.source import VIEW
from governance.audit.sql import COLUMNS, REGISTER_LIMIT, AuditPlan, Dialect, Thresholds, sql_type

MAX_DEPTH = 4
"""Prefix levels explored to find parallel work: ``quality/2025/03/14/`` is four levels deep."""
ABSENT = {"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "NoSuchKey"}
DENIED = {"AccessDenied", "AllAccessDisabled", "UnauthorizedAccess"}


PERMISSIONS = {"HeadObject": "s3:GetObject", "GetObjectRetention": "s3:GetObjectRetention",
               "GetObjectLegalHold": "s3:GetObjectLegalHold"}
"""The permission each per-version call needs, for the sentence that says who may make it."""
LOCK_CALLS = {"object_lock_retain_until_date": "GetObjectRetention",
              "object_lock_legal_hold_status": "GetObjectLegalHold"}
"""The call that reads a lock column when HEAD does not carry it."""


class Unreadable(set[str]):
    """Columns the listing could not fill, with the refusal behind each (``why``: column -> call, code)."""

    def __init__(self) -> None:
        super().__init__()
        self.why: dict[str, dict[str, str]] = {}

    def refused(self, column: str, call: str, err: ClientError) -> None:
        """``column`` is unreadable because S3 refused ``call``; the first refusal is kept as evidence."""
        self.add(column)
        status = str(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        self.why.setdefault(column, {"call": call, "code": _code(err) or status, "status": status,
                                     "permission": PERMISSIONS.get(call, "")})


@dataclass
class Listing:
    """What the listing of one bucket gathered."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    uploads: list[tuple[str, datetime]] = field(default_factory=list)
    unreadable: Unreadable = field(default_factory=Unreadable)


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC).replace(tzinfo=None) if value else None


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def lock_enabled(s3: Any, bucket: str) -> bool:
    """Whether the bucket has Object Lock (only then can a version carry lock fields)."""
    try:
        conf = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except ClientError as err:
        if _code(err) in ABSENT:
            return False
        raise
    return conf.get("ObjectLockEnabled") == "Enabled"


def _pages(s3: Any, bucket: str, prefix: str, delimiter: str | None) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if delimiter:
        kwargs["Delimiter"] = delimiter
    yield from s3.get_paginator("list_object_versions").paginate(**kwargs)


def plan_prefixes(s3: Any, bucket: str, want: int) -> tuple[list[str], list[dict[str, Any]]]:
    """Leaf prefixes to list in parallel, and the versions found directly above them on the way."""
    leaves: list[str] = [""]
    found: list[dict[str, Any]] = []
    for _ in range(MAX_DEPTH):
        if len(leaves) >= want:
            break
        # Listing a prefix with a delimiter yields the versions at that level (kept) and the
        # sub-prefixes below it (listed next): nothing is skipped or listed twice.
        deeper: list[str] = []
        for prefix in leaves:
            for page in _pages(s3, bucket, prefix, "/"):
                deeper += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
                found += [dict(v, _marker=False) for v in page.get("Versions", [])]
                found += [dict(m, _marker=True) for m in page.get("DeleteMarkers", [])]
        leaves = deeper
        if not leaves:
            break
    return leaves, found


class LockProbe:
    """Whether HEAD's silence about a lock field means "absent" or "hidden", learnt once per bucket.

    HEAD returns lock fields only to a caller allowed to read them. The first version whose HEAD
    lacks a field is asked with the field's own Get call: denied (or failing) makes the field
    unreadable; absent confirms that HEAD can be trusted; present means HEAD hides it, so every
    version is asked from then on.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state: dict[str, str] = {}

    def ask(self, s3: Any, field_name: str, call: Callable[..., Any], ident: dict[str, Any],
            unreadable: Unreadable) -> dict[str, Any] | None:
        """The Get call's answer when it is needed, else None."""
        with self._lock:
            state = self.state.get(field_name)
            if state in ("trusted", "unreadable"):
                return None
            self.state[field_name] = "probing" if state is None else state
        try:
            answer: dict[str, Any] = call(**ident)
        except ClientError as err:
            if _code(err) in ABSENT:
                self.state[field_name] = "trusted"
                return None
            self.state[field_name] = "unreadable"
            unreadable.refused(field_name, LOCK_CALLS[field_name], err)
            return None
        found = answer.get("Retention") or answer.get("LegalHold")
        self.state[field_name] = "always" if found else "trusted"
        return answer


def _lock_fields(s3: Any, bucket: str, v: dict[str, Any], head: dict[str, Any], probe: LockProbe | None,
                 unreadable: Unreadable) -> tuple[Any, Any, Any]:
    mode, until = head.get("ObjectLockMode"), head.get("ObjectLockRetainUntilDate")
    hold = head.get("ObjectLockLegalHoldStatus")
    if probe is None:
        return mode, _utc(until), hold
    ident = {"Bucket": bucket, "Key": v["Key"], "VersionId": v["VersionId"]}
    if until is None:
        answer = probe.ask(s3, "object_lock_retain_until_date", s3.get_object_retention, ident, unreadable)
        if answer and answer.get("Retention"):
            mode, until = answer["Retention"].get("Mode"), answer["Retention"].get("RetainUntilDate")
    if hold is None:
        answer = probe.ask(s3, "object_lock_legal_hold_status", s3.get_object_legal_hold, ident, unreadable)
        if answer and answer.get("LegalHold"):
            hold = answer["LegalHold"].get("Status")
    return mode, _utc(until), hold or "OFF"


def _row(s3: Any, bucket: str, v: dict[str, Any], locked: LockProbe | None, unreadable: Unreadable,
         details: bool = True) -> tuple[Any, ...]:
    if v["_marker"] or not details:
        return (v["Key"], v["VersionId"], v["IsLatest"], v["_marker"], _utc(v["LastModified"]), None, None, None, None)
    try:
        head = s3.head_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
    except ClientError as err:
        if _code(err) not in DENIED and _code(err) != "403":
            raise
        unreadable.refused("encryption_status", "HeadObject", err)
        head = {}
    mode, until, hold = _lock_fields(s3, bucket, v, head, locked, unreadable)
    encryption = {"aws:kms": "SSE-KMS", "aws:kms:dsse": "DSSE-KMS", "AES256": "SSE-S3"}.get(
        head.get("ServerSideEncryption") or "", "NOT-SSE")
    return (v["Key"], v["VersionId"], v["IsLatest"], False, _utc(v["LastModified"]), encryption, until, mode, hold)


def _list_prefix(s3: Any, bucket: str, prefix: str, locked: LockProbe | None, unreadable: Unreadable,
                 details: bool) -> list[tuple[Any, ...]]:
    rows = []
    for page in _pages(s3, bucket, prefix, None):
        for v in page.get("Versions", []):
            rows.append(_row(s3, bucket, dict(v, _marker=False), locked, unreadable, details))
        for m in page.get("DeleteMarkers", []):
            rows.append(_row(s3, bucket, dict(m, _marker=True), locked, unreadable, details))
    return rows


class Progress(Protocol):
    """Told how a listing advances; the command line shows it (a bar on a terminal), the library never does."""

    def start(self, label: str, total: int) -> None:
        """A listing of ``total`` prefixes begins."""

    def advance(self) -> None:
        """One more prefix is listed."""

    def finish(self) -> None:
        """The listing ended, whether or not every prefix was listed."""


def list_bucket(s3: Any, bucket: str, workers: int = 16, *, details: bool = True,
                progress: Progress | None = None) -> Listing:
    """Every version and delete marker, and every incomplete multipart upload, of ``bucket``.

    ``details=False`` skips the per-version HEAD and lock calls (keys and dates are enough to count
    recordings); the encryption and lock columns are then unreadable.
    """
    out = Listing()
    locked = LockProbe() if details and lock_enabled(s3, bucket) else None
    if not details:
        out.unreadable |= {"encryption_status", "object_lock_retain_until_date", "object_lock_legal_hold_status"}
    leaves, above = plan_prefixes(s3, bucket, workers * 2)
    out.rows += [_row(s3, bucket, v, locked, out.unreadable, details) for v in above]
    if progress is not None:
        progress.start(f"listing s3://{bucket}", len(leaves))
    with ThreadPoolExecutor(max(1, workers)) as pool:
        futures = [pool.submit(_list_prefix, s3, bucket, p, locked, out.unreadable, details) for p in leaves]
        try:
            for fut in as_completed(futures):
                out.rows += fut.result()
                if progress is not None:
                    progress.advance()
        finally:
            if progress is not None:
                progress.finish()
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        out.uploads += [(u["Key"], _utc(u["Initiated"]) or datetime.min) for u in page.get("Uploads", [])]
    return out


def load_listing(con: duckdb.DuckDBPyConnection, listing: Listing, name: str = VIEW) -> None:
    """The listing as the table ``name``, in the columns the shared SQL reads."""
    types = ", ".join(f"{c} {sql_type(c)}" for c in COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE {name} ({types})")
    if listing.rows:
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(COLUMNS))})", listing.rows)


def audit_listing(con: duckdb.DuckDBPyConnection, bucket: str, listing: Listing, t: Thresholds,
                  register_limit: int = REGISTER_LIMIT) -> BucketAudit:
    """Run the audit plan over a listing, and judge its incomplete multipart uploads."""
    load_listing(con, listing)
    fields = frozenset(c for c in COLUMNS if c not in listing.unreadable)
    audit = audit_view(con, bucket, AuditPlan(t, fields, Dialect.DUCKDB, register_limit), source="listing")
    cutoff = t.as_of - timedelta(days=t.multipart_limit_days)
    old = sorted(k for k, initiated in listing.uploads if initiated < cutoff)
    aggregates = {**audit.aggregates, "multipart_count": len(old), "multipart_keys": old[: t.sample]}
    return BucketAudit(bucket, t, fields, aggregates, audit.holds, {"uploads": len(listing.uploads)}, "listing",
                       ages=audit.ages, refusals=dict(listing.unreadable.why))
