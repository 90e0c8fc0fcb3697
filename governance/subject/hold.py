"""Legal holds for a dispute: placed on every version of a call's recordings, released per case.

S3 has one legal-hold flag per version, not one per case, so the case references live in the
receipts (:mod:`governance.subject.receipts`): a hold is released only when no other open case
still holds the version, and ``hold list`` shows each held version with its cases and their age.
Only purposes with a dispute team may hold (``PurposeTraits.legal_hold``): the other buckets' policies
deny ``s3:PutObjectLegalHold`` to everyone (``DenyLegalHoldOutsidePurpose``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance.subject.find import error_code
from governance.subject.stored import StoredVersion
from lifecycle.purposes import traits

Ident = tuple[str, str, str]


def holdable(version: StoredVersion) -> bool:
    """Whether a version can carry a legal hold placed by recgov (not a delete marker, a dispute purpose)."""
    return not version.delete_marker and traits(version.purpose).legal_hold


def not_holdable_reason(version: StoredVersion) -> str:
    """Why a version of the call is left without a hold."""
    if version.delete_marker:
        return "a delete marker has no data to hold"
    return (f"{version.purpose} has no dispute team: its bucket policy denies legal holds to everyone "
            "(DenyLegalHoldOutsidePurpose)")


@dataclass
class HoldOutcome:
    """Versions whose hold was set as asked, kept for another case, or failed (one sentence each)."""

    done: list[StoredVersion] = field(default_factory=list)
    kept: list[tuple[StoredVersion, list[str]]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def set_hold(s3: Any, versions: Sequence[StoredVersion], on: bool,
             keep_for: Mapping[Ident, list[str]] | None = None) -> HoldOutcome:
    """Put the legal hold ON (or OFF) on each version; a version another case holds keeps it."""
    outcome = HoldOutcome()
    for v in versions:
        others = (keep_for or {}).get(v.ident, [])
        if not on and others:
            outcome.kept.append((v, others))
            continue
        try:
            s3.put_object_legal_hold(Bucket=v.bucket, Key=v.key, VersionId=v.version_id,
                                     LegalHold={"Status": "ON" if on else "OFF"})
            outcome.done.append(v)
        except ClientError as err:
            outcome.failed.append(f"s3://{v.bucket}/{v.key} version {v.version_id}: the legal hold was not "
                                  f"{'placed' if on else 'released'} ({error_code(err)}).")
        except BotoCoreError as err:
            outcome.failed.append(f"s3://{v.bucket}/{v.key} version {v.version_id}: the legal hold was not "
                                  f"{'placed' if on else 'released'} ({err}).")
    return outcome


@dataclass(frozen=True)
class CaseHold:
    """One case holding one version, since when."""

    case: str
    since: str
    receipt_id: str


def open_holds(rows: Sequence[Mapping[str, Any]]) -> dict[Ident, list[CaseHold]]:
    """Replay the hold receipts (paired, oldest first): each version's open cases.

    A place counts from its outcome receipt (what was really held); a release closes its case on the
    versions it released or kept for others.
    """
    held: dict[Ident, list[CaseHold]] = {}
    for row in rows:
        outcome = row.get("outcome")
        if not outcome or outcome.get("action") not in ("hold-place", "hold-release"):
            continue
        case = str(outcome.get("case"))
        for v in outcome.get("versions", []):
            if v.get("result") not in ("held", "released", "kept"):
                continue
            ident = (str(v["bucket"]), str(v["key"]), str(v["version_id"]))
            cases = [c for c in held.get(ident, []) if c.case != case]
            if outcome["action"] == "hold-place":
                cases.append(CaseHold(case, str(outcome.get("started_at")), str(outcome.get("receipt_id"))))
            held[ident] = cases
    return {k: v for k, v in held.items() if v}


def age_days(since: str, now: datetime | None = None) -> int | None:
    """Whole days since an ISO 8601 time."""
    try:
        start = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ((now or datetime.now(UTC)) - start).days
