"""How long recordings survive: Object Lock and the lifecycle, judged by effective worst-case age.

The arithmetic is :mod:`lifecycle.retention`, the same that proves the rendered specification, fed
with the deployed lifecycle rules, versioning state and default lock.
"""

from __future__ import annotations

from typing import Any

from governance.checks.base import Check, Expected, first_unreadable
from governance.collect.observed import Observed
from governance.collect.snapshot import BucketSnapshot
from governance.model import CheckMeta, Result, Severity
from lifecycle.legal import LIMITS, LockMode
from lifecycle.purposes import LOG_TARGET, traits
from lifecycle.retention import (
    LIFECYCLE_ROUNDING_DAYS,
    AgeBound,
    LifecycleRule,
    cleans_expired_delete_markers,
    days,
    multipart_worst_case,
    parse_rules,
    worst_case_age,
)

LONGEST_YEAR_DAYS = 366
"""A lock set in Years can run this many days a year: the worst case counts leap years."""


def default_retention(object_lock: Observed) -> dict[str, Any] | None:
    """The bucket's default retention (Mode, Days or Years), or None."""
    if not object_lock.is_present:
        return None
    rule = (object_lock.value or {}).get("Rule") or {}
    retention = rule.get("DefaultRetention")
    return dict(retention) if isinstance(retention, dict) else None


def lock_days(object_lock: Observed) -> int | None:
    """The default retention in days, Years counted at their longest."""
    retention = default_retention(object_lock)
    if retention is None:
        return None
    # S3 sets one of Days and Years; some answers carry the other as 0, so take the longer.
    in_days = int(retention.get("Days") or 0)
    in_years = int(retention.get("Years") or 0) * LONGEST_YEAR_DAYS
    return max(in_days, in_years) or None


def is_versioned(versioning: Observed) -> bool:
    """Enabled or Suspended: noncurrent versions can exist either way."""
    return versioning.is_present and (versioning.value or {}).get("Status") in ("Enabled", "Suspended")


def observed_rules(snap: BucketSnapshot) -> tuple[LifecycleRule, ...]:
    """The deployed lifecycle rules, parsed (none when the lifecycle is absent)."""
    return parse_rules(snap.lifecycle.value) if snap.lifecycle.is_present else ()


def observed_worst_case(snap: BucketSnapshot) -> AgeBound:
    """The effective worst-case age of the bucket's recordings as deployed."""
    return worst_case_age(observed_rules(snap), versioned=is_versioned(snap.versioning),
                          lock_days=lock_days(snap.object_lock))


def earliest_removal_days(rules: tuple[LifecycleRule, ...]) -> int | None:
    """The youngest age at which any enabled rule may remove an object (None: never).

    A lower bound, the opposite of the worst case: a rule counts even when it covers only some
    keys, and a ``Date`` expiry may remove anything at any age (0).
    """
    ages: list[int] = []
    for r in rules:
        if not r.enabled:
            continue
        if r.expiration_date is not None:
            ages.append(0)
        if r.expiration_days is not None:
            ages.append(r.expiration_days)
    return min(ages) if ages else None


def _lock_default(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    required = dict(exp.spec.object_lock) if exp.spec.object_lock else None
    obs = snap.object_lock
    if obs.is_unreadable:
        return check.unreadable(exp, "Object Lock configuration", obs, required)
    retention = default_retention(obs)
    observed = obs.value if obs.is_present else None
    if required is None:
        if retention is not None:
            return check.failed(
                exp,
                f"{exp.label} has default Object Lock retention {retention}; it must have none, because S3 "
                "cannot deliver server access logs to a bucket with default retention.",
                observed, None,
            )
        return check.passed(exp, f"{exp.label} has no default Object Lock retention, as required.", observed, None)
    want_mode, want_days = exp.spec.lock_mode, exp.spec.lock_days
    enabled = obs.is_present and (obs.value or {}).get("ObjectLockEnabled") == "Enabled"
    got_mode = retention.get("Mode") if retention else None
    got_days = lock_days(obs)
    if not enabled or got_mode != str(want_mode) or got_days != want_days:
        shown = "Object Lock disabled" if not enabled else (
            "no default retention" if retention is None else f"default retention {got_mode} for {got_days} days")
        return check.failed(
            exp,
            f"{exp.label} has {shown}; it must have Object Lock enabled with default retention "
            f"{want_mode} for {want_days} days.",
            observed if obs.is_present else obs.evidence(), required,
        )
    return check.passed(
        exp, f"{exp.label} has Object Lock with default retention {got_mode} for {got_days} days, as required.",
        observed, required,
    )


LOCK_DEFAULT = Check(
    CheckMeta(
        id="RG-OBJECT-LOCK-DEFAULT",
        title="Object Lock default retention matches the purpose",
        severity=Severity.HIGH,
        rules=("R5", "R8"),
        permissions=("s3:GetBucketObjectLockConfiguration",),
        remediation="Set the bucket's default Object Lock retention to the purpose's mode and days "
        "(none for the access-logs bucket).",
        description="Object Lock is enabled with the purpose's default mode and days (GOVERNANCE for quality and "
        "evaluations, COMPLIANCE for proof), and absent on the access-logs bucket.",
    ),
    _lock_default,
)


def _compliance_max(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    limit = LIMITS[exp.purpose]
    required = {"COMPLIANCE max days": limit.max_days - LIFECYCLE_ROUNDING_DAYS}
    obs = snap.object_lock
    if obs.is_unreadable:
        return check.unreadable(exp, "Object Lock configuration", obs, required)
    retention = default_retention(obs)
    got = lock_days(obs)
    if retention and retention.get("Mode") == str(LockMode.COMPLIANCE) and got is not None:
        worst = got + LIFECYCLE_ROUNDING_DAYS
        if worst > limit.max_days:
            return check.failed(
                exp,
                f"{exp.label} locks every version in COMPLIANCE mode for {days(got)} (worst case {days(worst)}), "
                f"beyond the legal maximum of {limit.max_days} days ({limit.max_text}), which nobody can undo.",
                obs.value, required, Severity.CRITICAL,
            )
        return check.passed(
            exp, f"{exp.label} has a COMPLIANCE lock of {days(got)}, within the legal maximum of "
            f"{limit.max_days} days.", obs.value, required,
        )
    shown = f"{retention.get('Mode')} lock" if retention else "no default lock"
    return check.passed(
        exp, f"{exp.label} has {shown}, so no COMPLIANCE period can exceed the legal maximum of "
        f"{limit.max_days} days.", obs.value if obs.is_present else None, required,
    )


COMPLIANCE_MAX = Check(
    CheckMeta(
        id="RG-OBJECT-LOCK-COMPLIANCE-MAX",
        title="No COMPLIANCE lock beyond the legal maximum",
        severity=Severity.CRITICAL,
        rules=("R4", "R5", "R6", "R8"),
        permissions=("s3:GetBucketObjectLockConfiguration",),
        remediation="A COMPLIANCE default cannot be shortened on existing versions: lower the bucket default "
        "at once, and plan erasure of the over-retained versions with legal counsel.",
        description="A COMPLIANCE-mode default retention plus the midnight rounding stays within the purpose's "
        "legal maximum; beyond it the over-retention is irreversible.",
    ),
    _compliance_max,
)


def _objects(exp: Expected) -> str:
    return "access logs" if traits(exp.purpose).log_target else "recordings"


def _worst_case(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    limit = LIMITS[exp.purpose]
    ceiling = min(exp.spec.retention_days, limit.max_days)
    required = {"worst_case_days_at_most": ceiling, "retention_days": exp.spec.retention_days,
                "legal_max_days": limit.max_days, "rules": exp.spec.lifecycle["Rules"]}
    blocked = first_unreadable([("lifecycle configuration", snap.lifecycle), ("versioning configuration",
                                snap.versioning), ("Object Lock configuration", snap.object_lock)])
    if blocked:
        return check.unreadable(exp, blocked[0], blocked[1], required)
    bound = observed_worst_case(snap)
    observed = {"worst_case_days": bound.days, "reasoning": list(bound.reasons),
                "rules": snap.lifecycle.value if snap.lifecycle.is_present else None,
                "versioning": (snap.versioning.value or {}).get("Status"), "lock_days": lock_days(snap.object_lock)}
    why = "; ".join(bound.reasons)
    if not bound.within(ceiling):
        beyond_law = not bound.within(limit.max_days)
        return check.failed(
            exp,
            f"{exp.label} keeps {_objects(exp)} {'forever' if bound.days is None else 'up to ' + bound.describe()} "
            f"({why}); the worst case must be at most "
            f"{days(exp.spec.retention_days)}, legal maximum {limit.max_days} days.",
            observed, required, Severity.CRITICAL if beyond_law else Severity.HIGH,
        )
    return check.passed(
        exp, f"{exp.label} keeps {_objects(exp)} at most {bound.describe()} ({why}), within the retention of "
        f"{days(exp.spec.retention_days)} and the legal maximum of {limit.max_days} days.", observed, required,
    )


WORST_CASE = Check(
    CheckMeta(
        id="RG-LIFECYCLE-WORST-CASE",
        title="Effective worst-case age within retention and the legal maximum",
        severity=Severity.CRITICAL,
        rules=("R4", "R5", "R6", "R7", "R8"),
        permissions=("s3:GetLifecycleConfiguration", "s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration"),
        remediation="Deploy the rendered lifecycle: an enabled rule for every key that expires current versions "
        "and removes noncurrent versions, with days that fit the retention.",
        description="The age by which every version's bytes are gone (current expiry, noncurrent expiry on a "
        "versioned bucket, default lock, filters, disabled rules, Date expiry, several rules, midnight rounding) "
        "is within the purpose's retention and legal maximum.",
    ),
    _worst_case,
)


def _delete_markers(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    required = {"ExpiredObjectDeleteMarker": True, "scope": "all keys"}
    if snap.lifecycle.is_unreadable:
        return check.unreadable(exp, "lifecycle configuration", snap.lifecycle, required)
    rules = observed_rules(snap)
    observed = {"rules": snap.lifecycle.value if snap.lifecycle.is_present else None}
    if not cleans_expired_delete_markers(rules):
        return check.failed(
            exp,
            f"{exp.label} has no enabled rule for every key that removes expired delete markers; one must, so "
            "expired recordings leave no trace behind.",
            observed, required,
        )
    return check.passed(exp, f"{exp.label} removes expired delete markers for every key, as required.",
                        observed, required)


DELETE_MARKERS = Check(
    CheckMeta(
        id="RG-LIFECYCLE-DELETE-MARKERS",
        title="Expired delete markers are removed",
        severity=Severity.LOW,
        rules=("R8",),
        permissions=("s3:GetLifecycleConfiguration",),
        remediation="Add an enabled lifecycle rule for every key with Expiration.ExpiredObjectDeleteMarker=true.",
        description="An enabled rule covering every key removes expired object delete markers, the last "
        "trace (key names carry call ids) of an erased recording.",
    ),
    _delete_markers,
)


def _multipart(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    required = {"worst_case_days_at_most": exp.spec.retention_days,
                "rendered_worst_case_days": exp.spec.multipart_worst_case.days}
    if snap.lifecycle.is_unreadable:
        return check.unreadable(exp, "lifecycle configuration", snap.lifecycle, required)
    bound = multipart_worst_case(observed_rules(snap))
    observed = {"worst_case_days": bound.days, "reasoning": list(bound.reasons)}
    if not bound.within(exp.spec.retention_days):
        return check.failed(
            exp,
            f"{exp.label} keeps parts of incomplete uploads {bound.describe()} ({'; '.join(bound.reasons)}); "
            f"they must be aborted within {days(exp.spec.retention_days)}.",
            observed, required,
        )
    return check.passed(exp, f"{exp.label} aborts incomplete uploads within {bound.describe()}, inside the "
                        f"retention of {days(exp.spec.retention_days)}.", observed, required)


MULTIPART = Check(
    CheckMeta(
        id="RG-LIFECYCLE-MULTIPART",
        title="Incomplete multipart uploads are aborted",
        severity=Severity.MEDIUM,
        rules=("R8",),
        permissions=("s3:GetLifecycleConfiguration",),
        remediation="Add AbortIncompleteMultipartUpload (DaysAfterInitiation) to an enabled rule for every key.",
        description="An enabled rule covering every key aborts incomplete multipart uploads, whose parts are "
        "recording bytes too, within the retention.",
    ),
    _multipart,
)


def log_retention_window(snap: BucketSnapshot) -> tuple[int | None, int | None]:
    """The earliest and the worst-case age at which a log bucket's objects are removed."""
    return earliest_removal_days(observed_rules(snap)), observed_worst_case(snap).days


def _logs_minimum(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    limit = LIMITS[LOG_TARGET]
    required = {"earliest_removal_days_at_least": limit.min_days}
    if snap.lifecycle.is_unreadable:
        return check.unreadable(exp, "lifecycle configuration", snap.lifecycle, required)
    earliest = earliest_removal_days(observed_rules(snap))
    observed = {"earliest_removal_days": earliest, "rules": snap.lifecycle.value if snap.lifecycle.is_present else None}
    if earliest is not None and earliest < limit.min_days:
        return check.failed(
            exp,
            f"{exp.label} may remove access logs after {days(earliest)}; they must be kept at least "
            f"{limit.min_days} days.",
            observed, required,
        )
    shown = "never removes access logs" if earliest is None else f"removes access logs no sooner than {days(earliest)}"
    return check.passed(exp, f"{exp.label} {shown}, keeping them at least {limit.min_days} days as required.",
                        observed, required)


LOGS_MINIMUM = Check(
    CheckMeta(
        id="RG-ACCESS-LOGS-MIN-RETENTION",
        title="Access logs are kept at least the minimum",
        severity=Severity.HIGH,
        rules=("R7",),
        permissions=("s3:GetLifecycleConfiguration",),
        remediation="Make every lifecycle rule of the access-logs bucket expire objects after at least 180 days.",
        description="No enabled lifecycle rule of the access-logs bucket removes logs before 180 days (6 months), "
        "the shortest the logging recommendation allows.",
    ),
    _logs_minimum,
    applies=lambda e: traits(e.purpose).log_target,
)
