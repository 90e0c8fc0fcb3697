"""What one bucket's objects are judged against, derived from the policy by the rendering that deploys it.

Kept apart from the engines so that choosing the limits loads neither DuckDB nor boto3.
"""

from __future__ import annotations

from datetime import datetime

from governance.audit.sql import Thresholds
from lifecycle.legal import LIMITS, Purpose
from lifecycle.policy import Policy, PurposePolicy
from lifecycle.render import derived_prefix, render_bucket
from lifecycle.retention import LIFECYCLE_ROUNDING_DAYS


def derived_rules(p: PurposePolicy) -> tuple[tuple[str, str], ...]:
    """(prefix, pattern) of each derived kind the purpose keeps, as its layout and the policy place it."""
    out = []
    for d in p.derived:
        kind = p.key_layout.derived_kind(d.kind)
        if kind is not None:
            prefix = derived_prefix(p, d.kind)
            out.append((f"{prefix}/", kind.key_pattern(prefix)))
    return tuple(out)


def thresholds_for(policy: Policy, purpose: Purpose, as_of: datetime, sample: int = 10) -> Thresholds:
    """The limits one purpose's objects are judged against, from the same rendering that deploys."""
    spec = render_bucket(policy[purpose])
    # A valid policy always renders a bounded lifecycle; the retention is the fallback if it did not.
    limit = spec.worst_case.days or policy[purpose].retention_days
    return Thresholds(
        purpose=purpose,
        as_of=as_of,
        age_limit_days=limit,
        # A version stays until its retain-until date, then until the lifecycle's next midnight run.
        lock_limit_days=limit - LIFECYCLE_ROUNDING_DAYS,
        legal_max_days=LIMITS[purpose].max_days,
        multipart_limit_days=spec.multipart_worst_case.days or limit,
        sample=sample,
        layout=policy[purpose].layout,
        key_prefix=policy[purpose].key_prefix,
        derived=derived_rules(policy[purpose]),
    )
