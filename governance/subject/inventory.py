"""``find`` over an S3 Inventory: the same exact matching, from the inventory's files through DuckDB.

The inventory is opened and verified as the object audit opens it (``open_inventory``: every data
file's MD5, computed while DuckDB starts) and read through the same view (``create_view``). One scan
keeps the rows whose key contains a requested call id, which DuckDB pushes down into the files'
reading; the few rows left are then matched exactly by the purpose's key layout, so ``C1`` found
inside ``C10`` is dropped there. Lock fields come from the inventory's own columns when configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from governance.audit.sql import literal
from governance.subject.find import Found
from governance.subject.keys import KeyMatcher
from governance.subject.stored import Scope, StoredVersion, lifecycle_end
from lifecycle.legal import Purpose
from lifecycle.policy import Policy

WANTED = ("key", "version_id", "is_latest", "is_delete_marker", "last_modified_date", "object_lock_mode",
          "object_lock_retain_until_date", "object_lock_legal_hold_status")


class InventoryPurposeError(ValueError):
    """The inventoried bucket's purpose cannot be told; one sentence."""


def candidates_sql(call_ids: Sequence[str], columns: Sequence[str], view: str) -> str:
    """The scan: the inventory's rows whose key contains one of the call ids."""
    chosen = [c for c in WANTED if c in columns]
    where = " OR ".join(f"contains(key, {literal(c)})" for c in call_ids)
    return f"SELECT {', '.join(chosen)} FROM {view} WHERE {where}"


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def to_version(scope: Scope, row: dict[str, Any], call_id: str, kind: Any) -> StoredVersion:
    """One inventory row as a stored version."""
    modified = _utc(row.get("last_modified_date")) or datetime.fromtimestamp(0, UTC)
    hold = row.get("object_lock_legal_hold_status")
    fields_missing = [f for f in ("object_lock_retain_until_date", "object_lock_legal_hold_status") if f not in row]
    marker = bool(row.get("is_delete_marker"))
    return StoredVersion(
        bucket=scope.bucket, purpose=scope.purpose, key=str(row["key"]),
        version_id=str(row.get("version_id") or "null"),
        call_id=call_id, kind=kind, is_latest=bool(row.get("is_latest", True)), delete_marker=marker, size=None,
        last_modified=modified, lifecycle_end=lifecycle_end(scope, modified), lock_mode=row.get("object_lock_mode"),
        retain_until=_utc(row.get("object_lock_retain_until_date")),
        legal_hold=None if hold is None and fields_missing else hold == "ON",
        lock_error=(f"{', '.join(fields_missing)} (not in the inventory)" if fields_missing and not marker else None),
    )


def found_in_rows(scope: Scope, rows: Sequence[dict[str, Any]], call_ids: Sequence[str]) -> Found:
    """The candidate rows whose key the layout gives to one of the calls (exactly), as stored versions in order."""
    matcher = KeyMatcher(scope.policy)
    wanted = frozenset(call_ids)
    found = Found()
    for row in rows:
        match = matcher.call_of(str(row["key"]), wanted)
        if match is not None:
            found.versions.append(to_version(scope, row, *match))
    found.versions.sort(key=lambda v: (v.call_id, v.key, v.last_modified, v.version_id))
    return found


def find_in_inventory(location: str, policy: Policy, purpose: Purpose | None, call_ids: Sequence[str],
                      memory_limit: str = "768MB") -> Found:
    """Every version of the calls in one inventoried bucket (raises the audit's input errors)."""
    from governance.audit.files import open_inventory
    from governance.audit.run import infer_purpose
    from governance.audit.source import VIEW, connect, create_view

    wanted = frozenset(call_ids)
    with open_inventory(location, background=True) as inv:
        source = inv.manifest.source_bucket
        chosen = purpose or infer_purpose(source)
        if chosen is None:
            raise InventoryPurposeError(f"{location}: the purpose of bucket {source} cannot be told from its name; "
                                        "give it with --purpose.")
        scope = Scope(source, policy[chosen])
        con = connect(memory_limit)
        columns = create_view(con, inv, VIEW)
        cursor = con.execute(candidates_sql(sorted(wanted), columns, VIEW))
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        inv.verified()  # nothing read from the files is used before their checksums hold
    return found_in_rows(scope, rows, call_ids)
