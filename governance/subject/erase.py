"""Erase a call's recordings on objection (GDPR Art. 21) or erasure (Art. 17): plan, act, prove.

The plan decides each version and delete marker of the call: removed, or refused with its reason
(proof and evidence are kept for legal claims, Art. 17(3)(e), under COMPLIANCE; a legal hold keeps
anything; a lock or hold that could not be read is not guessed). Acting removes the planned versions
by version id (an ``Expiration``-style delete would only add a marker), bypassing GOVERNANCE
retention where it runs; then the bucket is listed again and every removed version must be gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance.subject.find import error_code, list_call_versions
from governance.subject.stored import Scope, StoredVersion, early_erasure, iso
from lifecycle.legal import RULES, LockMode


class Reason(StrEnum):
    """Why the data subject asked: the right the erasure answers."""

    OBJECTION = "objection"
    ERASURE = "erasure"

    @property
    def article(self) -> str:
        """The GDPR article of the right."""
        return "GDPR Art. 21" if self is Reason.OBJECTION else "GDPR Art. 17"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Step:
    """One version's fate in the plan: removed (``bypass`` when GOVERNANCE retention runs), or refused."""

    version: StoredVersion
    remove: bool
    bypass: bool = False
    refusal: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the plan's output and the receipts."""
        return self.version.as_dict() | {"action": "remove" if self.remove else "keep",
                                         "bypass_governance": self.bypass, "refusal": self.refusal}


def decide(version: StoredVersion, now: datetime) -> Step:
    """Whether one version may be erased now, and how; a refusal says why in one sentence."""
    if not early_erasure(version.purpose):
        lock = (f", locked in {version.lock_mode} mode until {iso(version.retain_until)}"
                if version.locked_at(now) else "")
        return Step(version, False, refusal=(
            f"{version.purpose} is kept for legal claims (GDPR Art. 17(3)(e), {RULES['R8'].id}){lock}; "
            "it is removed at the end of its retention, not on request"))
    if version.delete_marker:
        return Step(version, True)
    if version.lock_error:
        return Step(version, False, refusal=f"its {version.lock_error} could not be read, so it is not known to be "
                                            "free of a legal hold; the erasure role needs s3:GetObjectLegalHold")
    if version.legal_hold:
        return Step(version, False, refusal="it is under legal hold for a dispute; release the hold "
                                            "(recgov hold release) once the case is closed")
    if version.locked_at(now) and version.lock_mode == str(LockMode.COMPLIANCE):
        return Step(version, False, refusal=f"it is locked in COMPLIANCE mode until {iso(version.retain_until)}, "
                                            "which nobody may shorten")
    return Step(version, True, bypass=version.locked_at(now))


def plan(versions: Sequence[StoredVersion], now: datetime) -> list[Step]:
    """The fate of every version: the versions first, then the delete markers (removing a marker
    first would briefly make an older version current again)."""
    ordered = sorted(versions, key=lambda v: (v.delete_marker, v.bucket, v.key, v.version_id))
    return [decide(v, now) for v in ordered]


@dataclass
class Outcome:
    """What acting did: removed versions, failures (one sentence each) and what is still stored."""

    removed: list[StoredVersion] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    remaining: list[StoredVersion] = field(default_factory=list)
    """Versions of the erased objects found by the second listing that the plan meant to remove."""
    unexpected: list[StoredVersion] = field(default_factory=list)
    """Versions of the call the plan never saw (written meanwhile): not erased, not proven gone."""

    @property
    def proven(self) -> bool:
        """Whether every planned removal happened and the second listing shows none of them."""
        return not self.failed and not self.remaining and not self.unexpected


def execute(s3: Any, scopes: Sequence[Scope], steps: Sequence[Step], call_ids: Sequence[str]) -> Outcome:
    """Remove the planned versions, then list again and prove them gone."""
    outcome = Outcome()
    for step in (s for s in steps if s.remove):
        v = step.version
        args: dict[str, Any] = {"Bucket": v.bucket, "Key": v.key, "VersionId": v.version_id}
        if step.bypass:
            args["BypassGovernanceRetention"] = True
        try:
            s3.delete_object(**args)
            outcome.removed.append(v)
        except ClientError as err:
            outcome.failed.append(f"s3://{v.bucket}/{v.key} version {v.version_id} was not removed "
                                  f"({error_code(err)}).")
        except BotoCoreError as err:
            outcome.failed.append(f"s3://{v.bucket}/{v.key} version {v.version_id} was not removed ({err}).")
    planned = {s.version.ident for s in steps if s.remove}
    kept = {s.version.ident for s in steps if not s.remove}
    touched = {s.version.bucket for s in steps if s.remove}
    for scope in (s for s in scopes if s.bucket in touched):
        try:
            after = list_call_versions(s3, scope, frozenset(call_ids))
        except (ClientError, BotoCoreError) as err:
            reason = error_code(err) if isinstance(err, ClientError) else str(err)
            outcome.failed.append(f"s3://{scope.bucket} could not be listed again to prove the erasure ({reason}).")
            continue
        for v in after:
            if v.ident in planned:
                outcome.remaining.append(v)
            elif v.ident not in kept:
                outcome.unexpected.append(v)
    return outcome
