"""A stack's recgov: settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lifecycle.access import principal_arn
from lifecycle.legal import Purpose
from lifecycle.loader import STACK_KEYS, load_policy, read_stack_config
from lifecycle.policy import PolicyError
from lifecycle.stack_config import parse_stack_settings


def test_defaults_from_the_stack_name() -> None:
    settings = parse_stack_settings({}, stack="Prod")
    assert settings.name_prefix == "recgov-prod"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"namePrefix": "x" * 50}, "namePrefix"),
        ({"principals": {"marketing": {"reader": ["arn:aws:iam::123456789012:role/x"]}}}, "unknown target"),
        ({"principals": {"proof": {"erasure": ["arn:aws:iam::123456789012:role/x"]}}}, "unknown role kind"),
        ({"principals": {"quality": {"reader": []}}}, "non-empty list"),
        ({"deployerArn": "me"}, "recgov:deployerArn"),
        ({"purposes": ["quality"]}, "recgov:purposes"),
    ],
)
def test_bad_settings(raw: dict[str, object], fragment: str) -> None:
    with pytest.raises(PolicyError, match=fragment):
        parse_stack_settings(raw, stack="dev")


def test_assumed_role_sessions_become_their_role() -> None:
    session = "arn:aws:sts::123456789012:assumed-role/Deployer/ci"
    assert principal_arn(session) == "arn:aws:iam::123456789012:role/Deployer"
    assert principal_arn("arn:aws:iam::123456789012:user/alice") == "arn:aws:iam::123456789012:user/alice"


INSTANCE = "arn:aws:connect:eu-central-1:123456789012:instance/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90"
CONNECT = {"instanceArn": INSTANCE, "recordingsPrefix": "connect/acme/CallRecordings"}


def test_amazon_connect_sets_the_quality_layout_and_prefix() -> None:
    settings = parse_stack_settings({"amazonConnect": CONNECT, "purposes": {"quality": {"retentionDays": 60}}},
                                    stack="dev")
    connect = settings.amazon_connect
    assert connect is not None and connect.recordings_prefix == "connect/acme/CallRecordings"
    assert (connect.instance_id, connect.region, connect.account_id) == (
        "6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90", "eu-central-1", "123456789012")
    assert settings.purposes["quality"] == {"retentionDays": 60, "layout": "amazon-connect",
                                            "keyPrefix": "connect/acme/CallRecordings"}
    # The effective policy carries it, so verify, the object audit and the register read the same layout.
    quality = load_policy(None, settings.purposes)[Purpose.QUALITY]
    assert (quality.layout, quality.key_prefix) == ("amazon-connect", "connect/acme/CallRecordings")
    assert load_policy(None, settings.purposes)[Purpose.PROOF].layout == "recgov"


def test_without_amazon_connect_nothing_changes() -> None:
    settings = parse_stack_settings({"purposes": {"quality": {"retentionDays": 60}}}, stack="dev")
    assert settings.amazon_connect is None and settings.purposes == {"quality": {"retentionDays": 60}}


def test_a_consistent_explicit_layout_is_accepted() -> None:
    purposes = {"quality": {"layout": "amazon-connect", "keyPrefix": "connect/acme/CallRecordings"}}
    assert parse_stack_settings({"amazonConnect": CONNECT, "purposes": purposes}, stack="dev").amazon_connect


@pytest.mark.parametrize(
    ("connect", "purposes", "fragment"),
    [
        (["x"], None, "recgov:amazonConnect: expected a mapping"),
        ({**CONNECT, "bucket": "b"}, None, "recgov:amazonConnect: unknown key 'bucket'"),
        ({"recordingsPrefix": "p"}, None, "instanceArn: None is not an Amazon Connect instance ARN"),
        ({**CONNECT, "instanceArn": "arn:aws:iam::123456789012:role/x"}, None, "not an Amazon Connect instance ARN"),
        ({**CONNECT, "instanceArn": "arn:aws:connect:eu-central-1:1234:instance/x"}, None, "instance ARN"),
        ({**CONNECT, "instanceArn": INSTANCE + "/queue/q"}, None, "instance ARN"),
        ({"instanceArn": INSTANCE}, None, "recordingsPrefix: None must be a non-empty key prefix"),
        ({**CONNECT, "recordingsPrefix": ""}, None, "must be a non-empty key prefix"),
        ({**CONNECT, "recordingsPrefix": "/connect/acme"}, None, "must not start with '/'"),
        ({**CONNECT, "recordingsPrefix": "connect/../acme"}, None, "must not contain '..'"),
        ({**CONNECT, "recordingsPrefix": "c" * 129}, None, "at most 128"),
        (CONNECT, {"quality": {"layout": "genesys-cloud"}}, "quality.layout: 'genesys-cloud' contradicts"),
        (CONNECT, {"quality": {"keyPrefix": "other"}}, "quality.keyPrefix: 'other' contradicts"),
    ],
)
def test_bad_amazon_connect_settings(connect: object, purposes: object, fragment: str) -> None:
    raw = {"amazonConnect": connect} | ({"purposes": purposes} if purposes else {})
    with pytest.raises(PolicyError) as err:
        parse_stack_settings(raw, stack="dev")
    assert any(fragment in p for p in err.value.problems), err.value.problems
    assert all(p.count(". ") == 0 and p.endswith(".") for p in err.value.problems), "one sentence per problem"


def test_the_stack_file_accepts_amazon_connect(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(yaml.safe_dump({"config": {"recgov:amazonConnect": CONNECT}}), encoding="utf-8")
    assert "amazonConnect" in STACK_KEYS
    assert read_stack_config(stack) == {"amazonConnect": CONNECT}
