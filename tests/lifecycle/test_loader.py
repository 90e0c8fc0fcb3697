"""Loading the policy file and a stack's overrides: unknown keys and bad types are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lifecycle.legal import LockMode, Purpose
from lifecycle.loader import default_policy_text, load_policy, load_policy_file, parse_policy, read_stack_config
from lifecycle.policy import PolicyError


def refusal(text: str | None, overrides: dict[str, Any] | None = None) -> str:
    with pytest.raises(PolicyError) as err:
        load_policy(text, overrides)
    return str(err.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("purposes: [1, 2", "not valid YAML"),
        ("- a list", "expected a mapping"),
        ("version: 2\npurposes: {}", "version 2 is not supported"),
        ("colour: blue\npurposes: {}", "unknown key 'colour'"),
        ("purposes:\n  marketing: {retentionDays: 10}", "marketing: unknown purpose"),
        ("purposes:\n  quality: {retentionDays: 90, retentionMonths: 3}", "unknown key 'retentionMonths'"),
        ("purposes:\n  quality: {retentionDays: ninety}", "must be a whole number of days"),
        ("purposes:\n  quality: {retentionDays: true}", "must be a whole number of days"),
        ("purposes:\n  quality: {objectLockMode: FOREVER, retentionDays: 9}", "GOVERNANCE or COMPLIANCE"),
        ("purposes:\n  quality: {samplingRate: lots, retentionDays: 9}", "must be a number"),
        ("purposes:\n  quality: {legalBasis: '', retentionDays: 9}", "legalBasis must be a non-empty text"),
        ("purposes:\n  quality: {samplingRate: 0.2}", "quality: retentionDays is required"),
    ],
)
def test_malformed_policy_files_are_refused(text: str, fragment: str) -> None:
    assert fragment in refusal(text)


def test_a_stack_may_shorten() -> None:
    overrides = {"quality": {"retentionDays": 30, "samplingRate": "0.2"}, "proof": {"retentionDays": "180"}}
    policy = load_policy(None, overrides)
    assert policy[Purpose.QUALITY].retention_days == 30
    assert policy[Purpose.QUALITY].lock_days == 29, "the lock follows a shortened retention"
    assert policy[Purpose.QUALITY].sampling_rate == 0.2
    assert policy[Purpose.PROOF].retention_days == 180


def test_a_stack_may_not_lengthen_the_policy_file() -> None:
    message = refusal(None, {"proof": {"retentionDays": 400}})
    assert "proof: stack value retentionDays 400 is longer than the policy file's 365" in message


def test_a_stack_beyond_the_law_gets_the_legal_sentence() -> None:
    message = refusal(None, {"quality": {"retentionDays": 365}})
    assert message == (
        "quality: retentionDays 365 exceeds the legal maximum of 181 days (6 months) under "
        "R4 (CNIL norm NS-57 (délibération 2014-474))."
    )


def test_a_stack_may_not_change_texts() -> None:
    assert "unknown key 'legalBasis'" in refusal(None, {"quality": {"legalBasis": "none"}})


def test_proof_lock_mode_may_be_governance() -> None:
    policy = load_policy(None, {"proof": {"objectLockMode": "governance"}})
    assert policy[Purpose.PROOF].lock_mode is LockMode.GOVERNANCE


def test_every_problem_is_reported_at_once() -> None:
    message = refusal(None, {"quality": {"retentionDays": 500, "samplingRate": 0.9}, "proof": {"retentionDays": -5}})
    assert len(message.splitlines()) == 3, message


def test_policy_file_and_stack_file(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(default_policy_text().replace("retentionDays: 90 ", "retentionDays: 60 "))
    assert load_policy_file(policy_file)[Purpose.QUALITY].retention_days == 60
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy_file(tmp_path / "missing.yaml")
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text("config:\n  aws:region: eu-west-3\n  recgov:purposes:\n    quality:\n      retentionDays: 45\n")
    assert read_stack_config(stack) == {"purposes": {"quality": {"retentionDays": 45}}}
    stack.write_text("config:\n  recgov:retention: 3\n")
    with pytest.raises(PolicyError, match="unknown config key recgov:retention"):
        read_stack_config(stack)


def test_default_file_parses_every_purpose() -> None:
    assert set(parse_policy(default_policy_text())) == set(Purpose)


@pytest.mark.parametrize("value", ["¹", "٣٠", "1_0", "+5", " "])
def test_only_ascii_digit_strings_count_as_days(value: str) -> None:
    assert "must be a whole number of days" in refusal(None, {"quality": {"retentionDays": value}})
