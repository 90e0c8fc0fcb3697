"""Bucket policies judged by meaning: equivalent texts pass, weaker ones fail with the reason."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from governance.checks.base import unknown_principals
from governance.checks.policy_semantics import judge_deny_requirement, public_allows
from governance.targets import StackOutputs
from lifecycle.access import bucket_policy_document, deny_requirements
from lifecycle.legal import Purpose
from lifecycle.loader import load_policy
from tests.conftest import offline_run

ARN = "arn:aws:s3:::recgov-t-quality"
KEY = "arn:aws:kms:eu-west-3:123456789012:key/k"
QUALITY_DAYS = load_policy()[Purpose.QUALITY].retention_days
QUALITY_PRINCIPALS = StackOutputs.from_dict(offline_run({"namePrefix": "recgov-t"}).outputs).principals(Purpose.QUALITY)
"""The principals the program's quality bucket policy exempts (its roles, its deployer), as verify reads them."""
assert QUALITY_PRINCIPALS is not None
REQS = deny_requirements(Purpose.QUALITY, QUALITY_PRINCIPALS, KEY, QUALITY_DAYS)
RENDERED = bucket_policy_document(ARN, REQS)


def holds_all(doc: dict[str, Any], reqs: Any = REQS) -> list[str]:
    return [f"{r.sid}: {v.problem}" for r in reqs if not (v := judge_deny_requirement(doc, ARN, r)).holds]


def statements() -> list[dict[str, Any]]:
    return copy.deepcopy(RENDERED["Statement"])


def by_sid(stmts: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    return next(s for s in stmts if s["Sid"] == sid)


def test_the_rendered_policy_has_every_effect() -> None:
    assert holds_all(RENDERED) == []


def test_equivalent_texts_pass() -> None:
    stmts = statements()[::-1]  # reordered
    tls = by_sid(stmts, "DenyInsecureTransport")
    tls["Action"] = ["s3:*"]  # list instead of string
    tls["Principal"] = {"AWS": "*"}
    tls["Condition"]["Bool"]["aws:SecureTransport"] = False  # JSON boolean
    by_sid(stmts, "DenyWritesOutsidePurpose")["Action"] = "s3:Put*"  # wildcard, stricter
    by_sid(stmts, "DenyReadsOutsidePurpose")["Resource"] = "arn:aws:s3:::recgov-t-quality*"
    # Split one statement in two, each with one action.
    cap = by_sid(stmts, "DenyRetentionBeyondStackRetention")
    stmts.remove(cap)
    for action in cap["Action"]:
        stmts.append({**copy.deepcopy(cap), "Sid": f"Cap{action.split(':')[1]}", "Action": action})
    # Fewer exempted principals is stricter.
    by_sid(stmts, "DenyDeletesOutsideErasure")["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = []
    # A tighter retention threshold (the stack keeps quality 90 days: the bound is 89) is stricter.
    by_sid(stmts, "CapPutObjectRetention")["Condition"]["NumericGreaterThan"][
        "s3:object-lock-remaining-retention-days"] = "30"
    stmts.append({"Sid": "Harmless", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
                  "Resource": ARN})
    assert holds_all({"Version": "2012-10-17", "Statement": stmts}) == []


@pytest.mark.parametrize(
    ("sid", "change", "problem"),
    [
        ("DenyInsecureTransport", lambda s: s.update(Effect="Allow"), "nothing denies"),
        ("DenyInsecureTransport", lambda s: s.update(Principal={"AWS": "arn:aws:iam::1:root"}),
         "does not apply to everyone"),
        ("DenyReadsOutsidePurpose", lambda s: s.update(Resource=f"{ARN}/quality/*"), "nothing denies"),
        ("DenyReadsOutsidePurpose", lambda s: s["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append("*"),
         "exempts *"),
        ("DenyNonKmsEncryption", lambda s: s["Condition"]["StringNotEqualsIfExists"].update(
            {"s3:x-amz-server-side-encryption": ["aws:kms", "AES256"]}), "applies only under"),
        ("DenyInsecureTransport", lambda s: s["Condition"].update(
            {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}), "applies only under"),
        ("DenyRetentionBeyondStackRetention", lambda s: s.update(Action="s3:PutObjectRetention"), "s3:PutObject"),
    ],
)
def test_weaker_texts_fail_with_the_reason(sid: str, change: Any, problem: str) -> None:
    stmts = statements()
    change(by_sid(stmts, sid))
    broken = holds_all({"Statement": stmts})
    assert any(b.startswith(sid) and problem in b for b in broken), broken


def test_unknown_principals_accept_any_exemption_but_not_a_missing_deny() -> None:
    reqs = deny_requirements(Purpose.QUALITY, unknown_principals(Purpose.QUALITY), None, QUALITY_DAYS)
    stmts = statements()
    by_sid(stmts, "DenyReadsOutsidePurpose")["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = ["arn:aws:iam::9:role/x"]
    assert holds_all({"Statement": stmts}, reqs) == []
    assert holds_all({"Statement": [s for s in stmts if s["Sid"] != "DenyReadsOutsidePurpose"]}, reqs)


def test_an_allow_to_everyone_is_found() -> None:
    doc = json.loads(json.dumps(RENDERED))
    doc["Statement"].append({"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject",
                             "Resource": f"{ARN}/*"})
    doc["Statement"].append({"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
                             "Action": "s3:PutObject", "Resource": f"{ARN}/*"})
    assert public_allows(doc) == ["Open"]
    assert public_allows(RENDERED) == []


def test_a_service_source_exemption_is_judged_like_a_principal_exemption() -> None:
    instance = "arn:aws:connect:eu-central-1:123456789012:instance/i-1"
    stmts = statements()
    by_sid(stmts, "DenyWritesOutsidePurpose")["Condition"]["ArnNotEqualsIfExists"] = {"aws:SourceArn": instance}
    doc = {"Statement": stmts}
    # Known principals that name no service: the exemption lets writes through, so the deny fails.
    assert [b for b in holds_all(doc) if b.startswith("DenyWritesOutsidePurpose")] == [
        "DenyWritesOutsidePurpose: statement DenyWritesOutsidePurpose applies only under "
        "ArnNotEqualsIfExists aws:sourcearn"]
    # Named as the purpose's service source: it holds; unknown without stack outputs: accepted, as principals are.
    named = dataclasses.replace(QUALITY_PRINCIPALS, service_sources=(instance,))
    assert holds_all(doc, deny_requirements(Purpose.QUALITY, named, KEY, QUALITY_DAYS)) == []
    assert holds_all(doc, deny_requirements(Purpose.QUALITY, unknown_principals(Purpose.QUALITY), None,
                                         QUALITY_DAYS)) == []
    # The access-logs bucket has no writers: an unknown principal set still exempts no service there.
    assert unknown_principals(Purpose.ACCESS_LOGS).service_sources == ()
