"""Rendering: for every policy the loader accepts, the lifecycle and lock keep within the law."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.legal import LIMITS, Purpose
from lifecycle.loader import load_policy
from lifecycle.policy import PolicyError
from lifecycle.render import encryption_configuration, render_bucket


def test_defaults_fit_their_retention_exactly() -> None:
    for p in load_policy():
        spec = render_bucket(p)
        assert spec.worst_case.days == p.retention_days, p.purpose
        assert spec.worst_case.days <= LIMITS[p.purpose].max_days
        assert spec.multipart_worst_case.days == 2


def test_encryption_shapes() -> None:
    kms = encryption_configuration("arn:aws:kms:eu-west-3:123456789012:key/k")
    assert kms["Rules"][0]["BucketKeyEnabled"] is True
    assert encryption_configuration(None)["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


override_values = st.fixed_dictionaries(
    {},
    optional={
        "retentionDays": st.integers(-10, 2000) | st.text(max_size=4) | st.floats() | st.none(),
        "objectLockDays": st.integers(-5, 2000),
        "objectLockMode": st.sampled_from(["GOVERNANCE", "COMPLIANCE", "governance", "NONE", ""]),
        "samplingRate": st.floats(-1, 2) | st.just(float("nan")) | st.integers(-1, 2) | st.text(max_size=3),
    },
)
stack_overrides = st.dictionaries(
    st.sampled_from([p.value for p in Purpose] + ["marketing"]), override_values, max_size=4
)


@settings(max_examples=300, deadline=None)
@given(overrides=stack_overrides)
def test_every_accepted_policy_keeps_bytes_within_the_legal_maximum(overrides: dict[str, Any]) -> None:
    try:
        policy = load_policy(None, overrides)
    except PolicyError as err:
        assert err.problems and all(isinstance(p, str) and p.endswith(".") for p in err.problems)
        return
    for p in policy:
        spec = render_bucket(p)
        assert spec.worst_case.days is not None
        assert spec.worst_case.days <= p.retention_days <= LIMITS[p.purpose].max_days
        if spec.lock_days is not None:
            assert spec.lock_days + 1 <= p.retention_days
