"""The retention policy: a typed, validated document, one entry per purpose.

Every refusal is one sentence that names the purpose, the value, the limit and the rule, because the
person reading it is a platform engineer in front of a failed ``pulumi up`` or a CI log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from lifecycle.analytics import Analytics, DerivedPolicy
from lifecycle.layouts import DEFAULT_LAYOUT, LAYOUTS, KeyLayout, prefix_problems
from lifecycle.legal import LIMITS, MAX_SAMPLING_RATE, RULES, LockMode, Purpose, RetentionLimit
from lifecycle.purposes import Proportion, traits
from lifecycle.retention import LIFECYCLE_ROUNDING_DAYS

MIN_RETENTION_DAYS = 4
"""The shortest retention a versioned bucket can honour: expire after 1 day, remove the noncurrent
version 1 day later, each rounded up to the next midnight (1 + 1 + 1 + 1)."""


class PolicyError(ValueError):
    """A policy or stack setting was refused; ``problems`` holds one sentence per refusal."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class PurposePolicy:
    """How long and how one purpose's objects are kept.

    ``retention_days`` is the age by which an object's bytes are gone, rounding included: the
    rendered lifecycle and lock are chosen so that their effective worst-case age fits under it.
    """

    purpose: Purpose
    retention_days: int
    legal_basis: str
    readers: str
    writers: str
    lock_mode: LockMode | None = None
    lock_days: int | None = None
    sampling_rate: float | None = None
    erasure: str | None = None
    layout: str = DEFAULT_LAYOUT
    """How the platform that records names the objects (:mod:`lifecycle.layouts`); recording purposes only."""
    key_prefix: str | None = None
    """Where the platform writes recordings (``connect/acme/CallRecordings``); None: the layout's default."""
    derived: tuple[DerivedPolicy, ...] = ()
    """Derived objects kept beside the recordings (transcripts, analysis, redacted copies)."""
    analytics: Analytics | None = None
    """What is computed from the recordings (speech analytics), when declared."""

    @property
    def limit(self) -> RetentionLimit:
        """The legal limits for this purpose."""
        return LIMITS[self.purpose]

    def derived_retention(self, derived: DerivedPolicy) -> int:
        """How long a derived kind is kept: its own retention, else the recordings'."""
        return derived.retention_days if derived.retention_days is not None else self.retention_days

    @property
    def key_layout(self) -> KeyLayout:
        """The key layout of this purpose's recordings."""
        return LAYOUTS[self.layout]

    @property
    def recording_prefix(self) -> str:
        """The key prefix recordings are written under ('' where the layout has none)."""
        return self.key_layout.prefix(self.key_prefix, str(self.purpose))


@dataclass(frozen=True)
class Policy:
    """The effective retention policy: every purpose, validated."""

    purposes: tuple[PurposePolicy, ...]

    def __iter__(self) -> Iterator[PurposePolicy]:
        return iter(self.purposes)

    def __getitem__(self, purpose: Purpose | str) -> PurposePolicy:
        wanted = Purpose(purpose)
        for p in self.purposes:
            if p.purpose is wanted:
                return p
        raise KeyError(str(wanted))

    def as_dict(self) -> dict[str, dict[str, object]]:
        """Plain data for JSON output and digests."""
        return {str(p.purpose): _plain(p) for p in self.purposes}

    @property
    def digest(self) -> str:
        """SHA-256 of the effective policy, so a report names exactly what it judged against."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _plain(p: PurposePolicy) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in asdict(p).items():
        if k == "purpose":
            continue
        if k == "analytics":
            v = p.analytics.as_dict() if p.analytics else None
        out[k] = str(v) if isinstance(v, (Purpose, LockMode)) else v
    return out


def _derived_problems(p: PurposePolicy) -> list[str]:
    name = str(p.purpose)
    problems = []
    floor = (p.lock_days + LIFECYCLE_ROUNDING_DAYS) if p.lock_days is not None else MIN_RETENTION_DAYS
    for d in p.derived:
        days = p.derived_retention(d)
        kind = p.key_layout.derived_kind(d.kind)
        if kind is None:
            known = ", ".join(k.kind for k in p.key_layout.derived) or "none"
            problems.append(f"{name}: derived kind {d.kind!r} is unknown to the {p.layout} layout; its kinds are "
                            f"{known}.")
            continue
        if days > p.retention_days:
            problems.append(
                f"{name}: derived {d.kind} retentionDays {days} is longer than the recordings' "
                f"{p.retention_days} days: no derived copy may outlive its recording under "
                f"{RULES['R8'].citation} and {RULES[p.limit.rule].id}."
            )
        elif d.retention_days is not None and days < floor:
            problems.append(
                f"{name}: derived {d.kind} retentionDays {days} is shorter than the {floor} days the "
                "bucket's default Object Lock and the lifecycle's midnight run keep every object; use at least "
                f"{floor}."
            )
        if d.prefix is not None:
            problems.extend(prefix_problems(f"{name}: derived {d.kind}", d.prefix))
    return problems


def validate_purpose(p: PurposePolicy) -> list[str]:
    """Every refusal for one purpose, each a sentence naming purpose, value, limit and rule."""
    problems: list[str] = []
    limit = p.limit
    rule = RULES[limit.rule]
    name = str(p.purpose)
    if p.retention_days > limit.max_days:
        problems.append(
            f"{name}: retentionDays {p.retention_days} exceeds the legal maximum of "
            f"{limit.max_days} days ({limit.max_text}) under {rule.citation}."
        )
    if p.retention_days < max(limit.min_days, MIN_RETENTION_DAYS):
        if limit.min_days > MIN_RETENTION_DAYS:
            assert limit.min_rule is not None
            problems.append(
                f"{name}: retentionDays {p.retention_days} is below the minimum of "
                f"{limit.min_days} days under {RULES[limit.min_rule].citation}."
            )
        else:
            problems.append(
                f"{name}: retentionDays {p.retention_days} is below {MIN_RETENTION_DAYS} days, "
                "the shortest retention a versioned bucket's lifecycle can honour "
                f"(expiry and noncurrent removal, each rounded to midnight UTC; {rule.id})."
            )
    if p.lock_days is not None:
        worst = p.lock_days + LIFECYCLE_ROUNDING_DAYS
        if p.lock_days < 1:
            problems.append(
                f"{name}: objectLockDays {p.lock_days} must be at least 1 day (S3 Object Lock)."
            )
        elif worst > p.retention_days:
            problems.append(
                f"{name}: objectLockDays {p.lock_days} keeps locked versions up to {worst} days "
                f"(retain-until plus the lifecycle's next midnight run), longer than the retention "
                f"of {p.retention_days} days; use at most {p.retention_days - LIFECYCLE_ROUNDING_DAYS} "
                f"({rule.id})."
            )
    kind = traits(p.purpose)
    if p.lock_mode is not None and p.lock_mode not in kind.lock_modes:
        if kind.log_target:
            problems.append(
                f"{name}: objectLockMode {p.lock_mode} is not allowed: S3 cannot deliver server access "
                f"logs to a bucket with Object Lock default retention ({RULES['R7'].id})."
            )
        else:
            problems.append(
                f"{name}: objectLockMode {p.lock_mode} would make erasure on objection impossible before "
                f"expiry; only GOVERNANCE lets the erasure role act under {RULES['R8'].citation}."
            )
    if kind.lock_required and p.lock_mode is None:
        problems.append(
            f"{name}: objectLockMode is required: what this purpose keeps must be write-once under "
            f"{RULES[kind.limit.rule].citation}."
        )
    if kind.proportion is Proportion.SAMPLE:
        rate = p.sampling_rate
        if rate is None or not (0 < rate <= MAX_SAMPLING_RATE):
            problems.append(
                f"{name}: samplingRate {rate} is outside (0, {MAX_SAMPLING_RATE:.2f}]: quality "
                f"recording must be a sample of calls under {RULES['R2'].citation} and "
                f"{RULES['R1'].id}."
            )
    problems.extend(_layout_problems(p, kind.recordings))
    if (p.derived or p.analytics) and not kind.recordings:
        problems.append(f"{name}: derived and analytics apply only to buckets of call recordings.")
    elif p.layout in LAYOUTS:
        problems.extend(_derived_problems(p))
    if p.analytics is not None:
        problems.extend(p.analytics.problems(name))
    if kind.proportion is not Proportion.SAMPLE and p.sampling_rate is not None:
        problems.append(
            f"{name}: samplingRate applies only to quality recording; proof recordings follow the "
            f"transactions ({RULES['R3'].id})."
        )
    return problems


def _layout_problems(p: PurposePolicy, recordings: bool) -> list[str]:
    name = str(p.purpose)
    if p.layout not in LAYOUTS:
        unknown = [f"{name}: layout {p.layout!r} is unknown; use one of {', '.join(LAYOUTS)}."]
        return unknown + (prefix_problems(name, p.key_prefix) if p.key_prefix is not None else [])
    if not recordings:
        if p.layout != DEFAULT_LAYOUT or p.key_prefix is not None:
            return [f"{name}: layout and keyPrefix apply only to buckets of call recordings "
                    f"({', '.join(str(q) for q in Purpose if traits(q).recordings)})."]
        return []
    if p.key_prefix is not None:
        return prefix_problems(name, p.key_prefix)
    if p.key_layout.prefix_required:
        return [f"{name}: layout {p.layout} needs keyPrefix, the prefix the platform writes recordings under "
                "(for example connect/<instance-alias>/CallRecordings)."]
    return []


def validate(policy: Policy, known_problems: list[str] | None = None) -> Policy:
    """Return ``policy`` if every purpose is valid and all four are present, else raise PolicyError.

    ``known_problems`` (found while loading) are raised together with the validation's own.
    """
    problems: list[str] = list(known_problems or [])
    present = {p.purpose for p in policy}
    for missing in sorted(set(Purpose) - present, key=str):
        problems.append(f"{missing}: the purpose is missing from the policy.")
    for p in policy:
        problems.extend(validate_purpose(p))
    if problems:
        raise PolicyError(problems)
    return policy
