"""RG-KMS-KEY-POLICY and Amazon Connect: the deployer's scoped grant permission passes, any broader one fails."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from governance.checks.key_policy import expected_grants, judge_key_policy
from lifecycle.access import CONNECT_GRANT_SID, ConnectInstance, Principals, key_policy

ACCOUNT = "123456789012"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/Deployer"
READER = f"arn:aws:iam::{ACCOUNT}:role/recgov-dev-quality-reader"
WRITER = f"arn:aws:iam::{ACCOUNT}:role/recgov-dev-quality-writer"
CONNECT_ROLE = (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/connect.amazonaws.com/"
                "AWSServiceRoleForAmazonConnect_6b3c3a2e")
CONNECT = ConnectInstance(f"arn:aws:connect:eu-central-1:{ACCOUNT}:instance/6b3c3a2e-9f7d", CONNECT_ROLE)
PRINCIPALS = Principals(deployer=(DEPLOYER,), readers=(READER,), writers=(WRITER, CONNECT_ROLE), connect=CONNECT)
RENDERED = key_policy(ACCOUNT, PRINCIPALS)


def problems(document: dict[str, Any], principals: Principals = PRINCIPALS) -> list[str]:
    """What the check would say of a key policy, given the stack's principals."""
    verdict = judge_key_policy(document, ACCOUNT, list(principals.readers), list(principals.writers),
                               expected_grants(principals))
    return verdict.problems


def grant_edited(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The rendered policy with its Connect grant statement changed."""
    document = copy.deepcopy(RENDERED)
    change(next(s for s in document["Statement"] if s["Sid"] == CONNECT_GRANT_SID))
    return document


def test_the_rendered_policy_with_its_connect_grant_passes() -> None:
    assert any(s["Sid"] == CONNECT_GRANT_SID for s in RENDERED["Statement"])
    assert problems(RENDERED) == []


def test_the_same_statement_spelled_differently_passes() -> None:
    def respell(s: dict[str, Any]) -> None:
        s.update(Sid="Other", Action=["KMS:CreateGrant"], Principal={"AWS": DEPLOYER})
        s["Condition"]["Bool"]["kms:GrantIsForAWSResource"] = True
        s["Condition"]["StringEquals"] = {k.upper(): v for k, v in s["Condition"]["StringEquals"].items()}

    assert problems(grant_edited(respell)) == []


BROADER: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("not only when Connect asks", lambda s: s["Condition"].pop("Bool")),
    ("through any service", lambda s: s["Condition"]["StringEquals"].pop("kms:ViaService")),
    ("through Connect in any region", lambda s: s["Condition"].update(
        StringLike={"kms:ViaService": "connect.*.amazonaws.com"})),
    ("for any grantee", lambda s: s["Condition"]["StringEquals"].pop("kms:GranteePrincipal")),
    ("for another grantee", lambda s: s["Condition"]["StringEquals"].update(
        {"kms:GranteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/ops"})),
    ("with every key action", lambda s: s.update(Action="kms:*")),
    ("with Decrypt beside it", lambda s: s.update(Action=["kms:CreateGrant", "kms:Decrypt"])),
    ("by another principal", lambda s: s.update(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops"})),
    ("by the account at large", lambda s: s.update(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"})),
    ("as NotAction", lambda s: (s.pop("Action"), s.update(NotAction="kms:Decrypt"))),
]


@pytest.mark.parametrize("change", [c for _, c in BROADER], ids=[name for name, _ in BROADER])
def test_a_broader_grant_permission_fails(change: Callable[[dict[str, Any]], None]) -> None:
    found = problems(grant_edited(change))
    assert any(p.startswith("lets ") and p.endswith(" decrypt") for p in found), found


def test_the_connect_grant_fails_where_the_stack_has_no_connect_instance() -> None:
    without = dataclasses.replace(PRINCIPALS, connect=None)
    assert problems(RENDERED, without) == [f"lets {DEPLOYER} decrypt"]
    assert problems(key_policy(ACCOUNT, without), without) == []


def test_a_second_grant_statement_beside_the_rendered_one_fails() -> None:
    document = copy.deepcopy(RENDERED)
    document["Statement"].append({"Sid": "Grants", "Effect": "Allow", "Principal": {"AWS": DEPLOYER},
                                  "Action": "kms:CreateGrant", "Resource": "*"})
    assert problems(document) == [f"lets {DEPLOYER} decrypt"]
