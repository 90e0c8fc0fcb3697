"""What is stored of a call: one row per object version or delete marker, with its retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from governance.subject.keys import Kind
from lifecycle.legal import Purpose
from lifecycle.policy import PurposePolicy
from lifecycle.purposes import traits
from lifecycle.render import render_bucket


@dataclass(frozen=True)
class Scope:
    """One bucket searched, the purpose it serves and that purpose's policy."""

    bucket: str
    policy: PurposePolicy

    @property
    def purpose(self) -> Purpose:
        """The purpose the bucket serves."""
        return self.policy.purpose

    @property
    def worst_case_days(self) -> int | None:
        """The age by which the policy's lifecycle has removed every version (None: unbounded)."""
        return render_bucket(self.policy).worst_case.days


UNREADABLE = "unreadable"
"""A lock field the caller could not read: neither absent nor present."""


@dataclass(frozen=True)
class StoredVersion:
    """One version (or delete marker) of an object that belongs to a requested call.

    ``lock_mode``, ``retain_until`` and ``legal_hold`` are None when absent; ``lock_error`` names
    what could not be read (then they are unknown, not absent). ``size`` is None where the source
    does not give it (the object audit's inventory columns).
    """

    bucket: str
    purpose: Purpose
    key: str
    version_id: str
    call_id: str
    kind: Kind
    is_latest: bool
    delete_marker: bool
    size: int | None
    last_modified: datetime
    lifecycle_end: datetime | None
    lock_mode: str | None = None
    retain_until: datetime | None = None
    legal_hold: bool | None = None
    lock_error: str | None = None

    @property
    def ident(self) -> tuple[str, str, str]:
        """Bucket, key and version id: what S3 removes or holds."""
        return (self.bucket, self.key, self.version_id)

    @property
    def retention_end(self) -> datetime | None:
        """The later of the lock's retain-until and the lifecycle's worst case: when the bytes are gone."""
        ends = [d for d in (self.retain_until, self.lifecycle_end) if d is not None]
        return max(ends) if ends else None

    def locked_at(self, now: datetime) -> bool:
        """Whether a lock retention is still running at ``now``."""
        return self.retain_until is not None and self.retain_until > now

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the JSON output, the manifest and the receipts."""
        return {
            "bucket": self.bucket,
            "purpose": str(self.purpose),
            "key": self.key,
            "version_id": self.version_id,
            "call_id": self.call_id,
            "kind": str(self.kind),
            "is_latest": self.is_latest,
            "delete_marker": self.delete_marker,
            "size": self.size,
            "last_modified": iso(self.last_modified),
            "lock_mode": self.lock_mode,
            "retain_until": iso(self.retain_until),
            "lifecycle_end": iso(self.lifecycle_end),
            "retention_end": iso(self.retention_end),
            "legal_hold": self.legal_hold,
            "lock_error": self.lock_error,
        }


def iso(value: datetime | None) -> str | None:
    """A UTC time as ISO 8601 with ``Z``, or None."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def lifecycle_end(scope: Scope, last_modified: datetime) -> datetime | None:
    """When the policy's lifecycle has removed a version written at ``last_modified`` at the latest."""
    days = scope.worst_case_days
    return last_modified + timedelta(days=days) if days is not None else None


def early_erasure(purpose: Purpose) -> bool:
    """Whether the purpose's recordings may be erased before expiry (its traits have an erasure role)."""
    return traits(purpose).early_erasure
