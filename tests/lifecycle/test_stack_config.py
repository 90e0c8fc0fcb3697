"""A stack's recgov: settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.access import principal_arn
from lifecycle.loader import read_stack_config
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
        ({"athena": "inventories"}, "recgov:athena: expected a mapping"),
        ({"athena": {"database": "Inventories-Prod"}}, "recgov:athena.database"),
        ({"athena": {"database": "inventories", "since": "2025"}}, "recgov:athena.since"),
        ({"athena": {"database": "inventories", "table": "x"}}, "recgov:athena.table: unknown setting"),
    ],
)
def test_bad_settings(raw: dict[str, object], fragment: str) -> None:
    with pytest.raises(PolicyError, match=fragment):
        parse_stack_settings(raw, stack="dev")


def test_assumed_role_sessions_become_their_role() -> None:
    session = "arn:aws:sts::123456789012:assumed-role/Deployer/ci"
    assert principal_arn(session) == "arn:aws:iam::123456789012:role/Deployer"
    assert principal_arn("arn:aws:iam::123456789012:user/alice") == "arn:aws:iam::123456789012:user/alice"


def test_athena_settings() -> None:
    assert parse_stack_settings({}, stack="dev").athena is None
    athena = parse_stack_settings({"athena": {"database": "recgov_inventories"}}, stack="dev").athena
    assert athena is not None and (athena.database, athena.since) == ("recgov_inventories", "2025-01-01")


def test_a_stack_file_may_name_the_athena_database(tmp_path: Path) -> None:
    """The CLI reads stack files with the program's keys: recgov:athena is one of them."""
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text("config:\n  recgov:athena:\n    database: recgov_inventories\n", encoding="utf-8")
    settings = parse_stack_settings(read_stack_config(path), stack="prod")
    assert settings.athena is not None and settings.athena.database == "recgov_inventories"
