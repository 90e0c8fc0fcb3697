"""Policy validation: every refusal names purpose, value, limit and rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lifecycle.legal import LIMITS, LockMode, Purpose
from lifecycle.loader import load_policy
from lifecycle.policy import PolicyError, validate, validate_purpose


def test_default_policy_is_valid_and_within_good_practice() -> None:
    policy = load_policy()
    assert policy[Purpose.QUALITY].retention_days == 90 == LIMITS[Purpose.QUALITY].good_practice_days
    assert policy[Purpose.PROOF].retention_days == 365 == LIMITS[Purpose.PROOF].good_practice_days
    assert policy[Purpose.EVALUATIONS].retention_days == 360
    assert policy[Purpose.ACCESS_LOGS].retention_days == 360
    assert policy[Purpose.QUALITY].sampling_rate == 0.25


@pytest.mark.parametrize(
    ("purpose", "changes", "fragments"),
    [
        (Purpose.QUALITY, {"retention_days": 182}, ["quality", "182", "181 days", "R4"]),
        (Purpose.PROOF, {"retention_days": 1826, "lock_days": 100}, ["proof", "1826", "1825 days", "R5"]),
        (Purpose.EVALUATIONS, {"retention_days": 366, "lock_days": 100}, ["evaluations", "366", "365 days", "R6"]),
        (Purpose.ACCESS_LOGS, {"retention_days": 400}, ["access-logs", "400", "365 days", "R7"]),
        (Purpose.ACCESS_LOGS, {"retention_days": 90}, ["access-logs", "90", "minimum of 180 days", "R7"]),
        (Purpose.QUALITY, {"retention_days": 3, "lock_days": 1}, ["quality", "below 4 days", "R4"]),
        (Purpose.QUALITY, {"lock_days": 90}, ["objectLockDays 90", "91 days", "retention of 90", "at most 89"]),
        (Purpose.QUALITY, {"lock_days": 0}, ["objectLockDays 0", "at least 1"]),
        (Purpose.QUALITY, {"lock_mode": LockMode.COMPLIANCE}, ["COMPLIANCE", "erasure", "R8"]),
        (Purpose.QUALITY, {"sampling_rate": 0.31}, ["samplingRate 0.31", "(0, 0.30]", "R2"]),
        (Purpose.QUALITY, {"sampling_rate": 0.0}, ["samplingRate 0.0", "R2"]),
        (Purpose.QUALITY, {"sampling_rate": None}, ["samplingRate None", "R2"]),
        (Purpose.PROOF, {"sampling_rate": 0.2}, ["proof", "samplingRate applies only to quality", "R3"]),
        (Purpose.ACCESS_LOGS, {"lock_mode": LockMode.GOVERNANCE}, ["access-logs", "cannot deliver", "R7"]),
        (Purpose.EVIDENCE, {"lock_mode": None, "lock_days": None}, ["evidence", "write-once", "R13"]),
        (Purpose.EVIDENCE, {"retention_days": 1826}, ["evidence", "1826", "1825 days", "R13"]),
    ],
)
def test_refusals_name_purpose_value_limit_and_rule(
    purpose: Purpose, changes: dict[str, object], fragments: list[str]
) -> None:
    entry = replace(load_policy()[purpose], **changes)  # type: ignore[arg-type]
    problems = validate_purpose(entry)
    assert len(problems) == 1, problems
    for fragment in fragments:
        assert fragment in problems[0], f"{fragment!r} missing from: {problems[0]}"


def test_a_policy_missing_a_purpose_is_refused() -> None:
    policy = load_policy()
    partial = replace(policy, purposes=policy.purposes[:2])
    with pytest.raises(PolicyError) as err:
        validate(partial)
    assert "evaluations: the purpose is missing" in str(err.value)


def test_digest_changes_with_any_value() -> None:
    a = load_policy()
    b = load_policy(None, {"quality": {"retentionDays": 60}})
    assert a.digest != b.digest and a.digest.startswith("sha256:")
