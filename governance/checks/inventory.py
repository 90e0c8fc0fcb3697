"""The daily S3 Inventory that the object audit reads: every version, with age, lock and encryption."""

from __future__ import annotations

from typing import Any

from governance.checks.base import Check, Expected
from governance.collect.snapshot import BucketSnapshot
from governance.model import CheckMeta, Result, Severity
from lifecycle.render import INVENTORY_FIELDS, INVENTORY_ID, inventory_configuration

AUDITED_FORMATS = ("Parquet", "CSV")
"""What ``recgov audit-objects`` reads (DuckDB here has no ORC reader)."""
AUDITED_FIELDS = ("LastModifiedDate", "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode",
                  "ObjectLockLegalHoldStatus")
"""The optional fields without which an object check can only say "could not be verified"."""


def _problems(config: dict[str, Any], destination: str | None) -> list[str]:
    problems = []
    if config.get("IsEnabled") is not True:
        problems.append("is disabled")
    if config.get("IncludedObjectVersions") != "All":
        problems.append(f"lists {config.get('IncludedObjectVersions') or 'no'} versions instead of All "
                        "(noncurrent versions are where expired recordings survive)")
    frequency = (config.get("Schedule") or {}).get("Frequency")
    if frequency != "Daily":
        problems.append(f"runs {frequency or 'on no schedule'} instead of Daily")
    target = (config.get("Destination") or {}).get("S3BucketDestination") or {}
    if target.get("Format") not in AUDITED_FORMATS:
        problems.append(f"is written as {target.get('Format')}, which the audit does not read (Parquet or CSV)")
    if destination is not None and target.get("Bucket") != destination:
        problems.append(f"is delivered to {target.get('Bucket')} instead of {destination}")
    missing = [f for f in AUDITED_FIELDS if f not in (config.get("OptionalFields") or [])]
    if missing:
        problems.append(f"lacks the fields {', '.join(missing)}")
    return problems


def _inventory(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    destination = f"arn:aws:s3:::{exp.log_bucket}" if exp.log_bucket else None
    required = inventory_configuration(destination or "the access-logs bucket", "(the account)")
    required["OptionalFields"] = list(INVENTORY_FIELDS)
    obs = snap.inventory
    if obs.is_unreadable:
        return check.unreadable(exp, f"inventory configuration {INVENTORY_ID}", obs, required)
    if not obs.is_present:
        return check.failed(exp, f"{exp.label} has no inventory configuration {INVENTORY_ID}; it must have a daily "
                            "inventory of all versions for the object audit.", obs.evidence(), required)
    problems = _problems(dict(obs.value), destination)
    if problems:
        return check.failed(exp, f"{exp.label} has an inventory {INVENTORY_ID} that {'; '.join(problems)}; it must "
                            "be a daily inventory of all versions with age, lock and encryption fields.",
                            obs.value, required)
    return check.passed(exp, f"{exp.label} has a daily inventory {INVENTORY_ID} of all versions with age, lock and "
                        "encryption fields, as required.", obs.value, required)


INVENTORY = Check(
    CheckMeta(
        id="RG-INVENTORY-DAILY",
        title="A daily inventory of every version feeds the object audit",
        severity=Severity.MEDIUM,
        rules=("R8", "R9"),
        permissions=("s3:GetInventoryConfiguration",),
        remediation="Configure the bucket's recgov-daily S3 Inventory: daily, all versions, Parquet, into the "
        "access-logs bucket, with LastModifiedDate, EncryptionStatus and the Object Lock fields.",
        description="An enabled daily S3 Inventory of all versions, in a format the audit reads and with the "
        "age, encryption and Object Lock fields, is delivered to the access-logs bucket, so that "
        "`recgov audit-objects` can prove what is really stored.",
    ),
    _inventory,
    applies=lambda e: e.spec.inventory,
)
