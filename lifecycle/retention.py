"""The effective worst-case age of an object's bytes under S3 lifecycle, versioning and Object Lock.

Retention is the age at which a recording's bytes are gone, not the number in one setting:

* on a versioned bucket an ``Expiration`` only adds a delete marker; the bytes live on as a
  noncurrent version until ``NoncurrentVersionExpiration`` removes them, or forever without it;
* an Object Lock retain-until date defers removal until it passes;
* a rule acts only on the keys its filter matches and only while enabled; a ``Date`` expiry is not
  a retention period; where several rules cover every key, the earliest expiry of each kind wins;
* each action runs at the midnight UTC after the object becomes eligible, up to a day late.

The functions here take lifecycle rules in the S3 API's shape (what ``GetBucketLifecycleConfiguration``
returns and ``PutBucketLifecycleConfiguration`` takes), so the same arithmetic judges the rendered
specification and the deployed bucket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LIFECYCLE_ROUNDING_DAYS = 1
"""S3 runs lifecycle actions at the midnight UTC after an object becomes eligible: up to a day late."""


def days(n: int) -> str:
    """``1 day`` or ``n days``."""
    return f"{n} day" if n == 1 else f"{n} days"


@dataclass(frozen=True)
class LifecycleRule:
    """What one lifecycle rule does to the worst-case age, parsed from the API shape."""

    id: str
    enabled: bool
    covers_all_keys: bool
    scope: str
    expiration_days: int | None = None
    expiration_date: str | None = None
    expired_object_delete_marker: bool = False
    noncurrent_days: int | None = None
    newer_noncurrent_versions: int | None = None
    abort_multipart_days: int | None = None


def _filter_scope(rule: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether a rule's filter matches every key, and a description of what it matches."""
    if "Filter" not in rule:
        prefix = rule.get("Prefix")
        return (not prefix, "all keys" if not prefix else f"keys under {prefix!r}")
    flt = rule.get("Filter") or {}
    parts: list[str] = []
    nested = flt.get("And")
    for source in (flt, nested or {}):
        if source.get("Prefix"):
            parts.append(f"prefix {source['Prefix']!r}")
        if source.get("Tag"):
            parts.append(f"tag {source['Tag'].get('Key')}={source['Tag'].get('Value')}")
        for tag in source.get("Tags") or ():
            parts.append(f"tag {tag.get('Key')}={tag.get('Value')}")
        if source.get("ObjectSizeGreaterThan") is not None:
            parts.append(f"size > {source['ObjectSizeGreaterThan']} bytes")
        if source.get("ObjectSizeLessThan") is not None:
            parts.append(f"size < {source['ObjectSizeLessThan']} bytes")
    if not parts:
        return True, "all keys"
    return False, "keys with " + " and ".join(parts)


def _count(value: Any) -> int | None:
    """A day or version count as S3 holds it: a whole number, 0 included; anything else is no count."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parse_rule(rule: Mapping[str, Any]) -> LifecycleRule:
    """Parse one API-shaped lifecycle rule."""
    covers_all, scope = _filter_scope(rule)
    expiration = rule.get("Expiration") or {}
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    date = expiration.get("Date")
    return LifecycleRule(
        id=str(rule.get("ID") or "(unnamed)"),
        enabled=rule.get("Status") == "Enabled",
        covers_all_keys=covers_all,
        scope=scope,
        expiration_days=_count(expiration.get("Days")),
        expiration_date=str(date) if date is not None else None,
        expired_object_delete_marker=expiration.get("ExpiredObjectDeleteMarker") is True,
        noncurrent_days=_count(noncurrent.get("NoncurrentDays")),
        newer_noncurrent_versions=_count(noncurrent.get("NewerNoncurrentVersions")),
        abort_multipart_days=_count(abort.get("DaysAfterInitiation")),
    )


def parse_rules(rules: Sequence[Mapping[str, Any]]) -> tuple[LifecycleRule, ...]:
    """Parse every rule of a lifecycle configuration."""
    return tuple(parse_rule(r) for r in rules)


@dataclass(frozen=True)
class AgeBound:
    """An upper bound on how old something can get, with the reasoning an auditor can follow.

    ``days`` is None when nothing bounds the age (the bytes can live forever).
    """

    days: int | None
    reasons: tuple[str, ...]

    @property
    def bounded(self) -> bool:
        """True when some setting guarantees removal."""
        return self.days is not None

    def within(self, limit_days: int) -> bool:
        """True when the bound is known and at most ``limit_days``."""
        return self.days is not None and self.days <= limit_days

    def describe(self) -> str:
        """The bound as text: ``90 days`` or ``unbounded``."""
        return "unbounded" if self.days is None else days(self.days)


def _earliest(rules: Sequence[LifecycleRule], attr: str) -> tuple[int | None, str | None]:
    best: tuple[int | None, str | None] = (None, None)
    for r in rules:
        value = getattr(r, attr)
        if value is not None and (best[0] is None or value < best[0]):
            best = (value, r.id)
    return best


def worst_case_age(
    rules: Sequence[LifecycleRule],
    *,
    versioned: bool,
    lock_days: int | None = None,
) -> AgeBound:
    """The age by which every object version's bytes are gone, for any key, in whole days.

    ``versioned`` is true for versioning Enabled or Suspended (noncurrent versions can exist);
    ``lock_days`` is the default Object Lock retention in days, if any.
    """
    reasons: list[str] = []
    effective = [r for r in rules if r.enabled and r.covers_all_keys]
    for r in rules:
        if not r.enabled:
            reasons.append(f"rule {r.id} is disabled and does nothing")
        elif not r.covers_all_keys:
            reasons.append(f"rule {r.id} covers only {r.scope}; other keys are not expired by it")
        if r.expiration_date is not None:
            reasons.append(
                f"rule {r.id} expires on the date {r.expiration_date}, which is not a retention period"
            )
    rounding = LIFECYCLE_ROUNDING_DAYS
    expiry, expiry_rule = _earliest(effective, "expiration_days")
    if expiry is None:
        reasons.append("no enabled rule covering every key expires current versions after a number of days")
        return AgeBound(None, tuple(reasons))
    age = expiry + rounding
    reasons.append(f"current versions expire after {days(expiry)} (rule {expiry_rule}) + {days(rounding)} rounding")
    if versioned:
        # A retained newer noncurrent version is never removed by days alone.
        capped = [r for r in effective if r.noncurrent_days is not None and not r.newer_noncurrent_versions]
        noncurrent, noncurrent_rule = _earliest(capped, "noncurrent_days")
        if noncurrent is None:
            reasons.append(
                "the bucket is versioned and no enabled rule covering every key removes noncurrent "
                "versions by age, so expired recordings live on as noncurrent versions"
            )
            return AgeBound(None, tuple(reasons))
        age += noncurrent + rounding
        reasons.append(
            f"noncurrent versions are removed {days(noncurrent)} later (rule {noncurrent_rule}) "
            f"+ {days(rounding)} rounding"
        )
    if lock_days is not None:
        locked = lock_days + rounding
        reasons.append(f"Object Lock keeps each version {days(lock_days)} + {days(rounding)} rounding")
        age = max(age, locked)
    reasons.append(f"worst case {days(age)}")
    return AgeBound(age, tuple(reasons))


def multipart_worst_case(rules: Sequence[LifecycleRule]) -> AgeBound:
    """The age by which the parts of an incomplete multipart upload are gone."""
    effective = [r for r in rules if r.enabled and r.covers_all_keys]
    after, rule_id = _earliest(effective, "abort_multipart_days")
    if after is None:
        return AgeBound(None, ("no enabled rule covering every key aborts incomplete multipart uploads",))
    age = after + LIFECYCLE_ROUNDING_DAYS
    return AgeBound(
        age,
        (f"incomplete uploads are aborted after {days(after)} (rule {rule_id}) + "
         f"{days(LIFECYCLE_ROUNDING_DAYS)} rounding", f"worst case {days(age)}"),
    )


def cleans_expired_delete_markers(rules: Sequence[LifecycleRule]) -> bool:
    """True when an enabled rule covering every key removes expired object delete markers."""
    return any(r.enabled and r.covers_all_keys and r.expired_object_delete_marker for r in rules)
