"""The purpose registry: every purpose has one entry, and every face derives from it."""

from __future__ import annotations

import pytest

from lifecycle.legal import LIMITS, LockMode, Purpose
from lifecycle.loader import load_policy
from lifecycle.policy import PolicyError, validate_purpose
from lifecycle.purposes import LOG_TARGET, PURPOSES, RECORDING_PURPOSES, RoleKind, traits
from lifecycle.stack_config import parse_stack_settings


def test_every_purpose_has_traits_a_legal_limit_and_policy_defaults() -> None:
    assert set(PURPOSES) == set(Purpose)
    assert set(LIMITS) == set(Purpose)
    assert {p.purpose for p in load_policy()} == set(Purpose)


def test_the_design_table_of_purposes() -> None:
    # DESIGN section 3, written out independently of the registry.
    assert {p for p in Purpose if traits(p).early_erasure} == {Purpose.QUALITY, Purpose.EVALUATIONS}
    assert {p for p in Purpose if traits(p).legal_hold} == {Purpose.PROOF}
    assert {p for p in Purpose if traits(p).protect} == {Purpose.PROOF, Purpose.EVIDENCE, Purpose.ACCESS_LOGS}
    assert LOG_TARGET is Purpose.ACCESS_LOGS and not traits(LOG_TARGET).roles
    assert set(RECORDING_PURPOSES) == {Purpose.QUALITY, Purpose.PROOF}
    assert traits(Purpose.EVIDENCE).roles == (RoleKind.WRITER, RoleKind.READER)


@pytest.mark.parametrize("purpose", list(Purpose))
def test_lock_modes_outside_the_traits_are_refused(purpose: Purpose) -> None:
    base = next(p for p in load_policy() if p.purpose is purpose)
    for mode in LockMode:
        changed = type(base)(**{**base.__dict__, "lock_mode": mode, "lock_days": base.retention_days - 1})
        refused = any("objectLockMode" in p for p in validate_purpose(changed))
        assert refused == (mode not in traits(purpose).lock_modes), (purpose, mode)


@pytest.mark.parametrize("purpose", [p for p in Purpose if traits(p).roles])
def test_stack_config_accepts_exactly_the_purposes_role_kinds(purpose: Purpose) -> None:
    arn = "arn:aws:iam::123456789012:role/existing"
    for kind in RoleKind:
        raw = {"principals": {str(purpose): {str(kind): [arn]}}}
        if kind in traits(purpose).roles:
            assert parse_stack_settings(raw, stack="t").principals[str(purpose)][str(kind)] == (arn,)
        else:
            with pytest.raises(PolicyError, match="unknown role kind"):
                parse_stack_settings(raw, stack="t")
