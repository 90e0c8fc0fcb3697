"""Targets: NAME=PURPOSE, stack outputs as ``pulumi stack output --json`` prints them, principals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from governance.checks.policy_semantics import judge_deny_requirement
from governance.targets import StackOutputs, Target, TargetError, parse_bucket_option
from lifecycle.access import deny_requirements
from lifecycle.legal import Purpose
from lifecycle.loader import load_policy
from lifecycle.policy import PolicyError
from sandbox.program import ProgramRun

OUTPUTS = {
    "buckets": {"quality": "q", "proof": "p", "evaluations": "e", "access-logs": "l"},
    "keyArns": {"quality": "kq"},
    "roleArns": {"quality": {"writer": "w", "reader": "r", "erasure": "x"}, "proof": {"writer": "pw", "reader": "pr"}},
    "auditorRoleArn": "aud",
    "deployerArn": "dep",
    "policyDigest": "sha256:abc",
}


def test_name_equals_purpose() -> None:
    assert parse_bucket_option(" b = quality ") == Target("b", Purpose.QUALITY)
    for bad in ("b", "=quality", "b=", "b=sales"):
        with pytest.raises(TargetError):
            parse_bucket_option(bad)


def test_stack_outputs_give_targets_keys_and_principals() -> None:
    outputs = StackOutputs.from_dict(OUTPUTS)
    assert Target("q", Purpose.QUALITY) in outputs.targets() and len(outputs.targets()) == 4
    quality = outputs.principals(Purpose.QUALITY)
    assert quality is not None and quality.erasure == ("x",) and quality.deployer == ("dep",)
    proof = outputs.principals(Purpose.PROOF)
    assert proof is not None and proof.erasure == () and proof.legal_hold == ("pr",)
    logs = outputs.principals(Purpose.ACCESS_LOGS)
    assert logs is not None and logs.readers == ("aud",)
    # Evaluations' roles are not among the outputs: unknown, not empty.
    assert outputs.principals(Purpose.EVALUATIONS) is None
    configured = {"evaluations": {"writer": ("cw",), "reader": ("cr",), "erasure": ("ce",)}}
    evaluations = outputs.principals(Purpose.EVALUATIONS, configured)
    assert evaluations is not None and evaluations.writers == ("cw",)


def test_unusable_outputs_are_refused() -> None:
    for doc in ([], {}, {"buckets": {}}, {"buckets": {"sales": "s"}}, {"buckets": {"quality": "q"}, "keyArns": ["k"]}):
        with pytest.raises(TargetError):
            StackOutputs.from_dict(doc)


def test_stack_outputs_carry_the_deployed_policy() -> None:
    deployed = load_policy(None, {"quality": {"retentionDays": 60}})
    doc = {**OUTPUTS, "policyDigest": deployed.digest, "policy": deployed.as_dict()}
    assert StackOutputs.from_dict(doc).deployed_policy() == deployed
    assert StackOutputs.from_dict(OUTPUTS).deployed_policy() is None  # deployed before the program exported it


def test_an_edited_deployed_policy_is_refused() -> None:
    deployed = load_policy()
    edited = deployed.as_dict()
    edited["quality"] = {**edited["quality"], "retention_days": 150}
    with pytest.raises(TargetError, match="policyDigest"):
        StackOutputs.from_dict({**OUTPUTS, "policyDigest": deployed.digest, "policy": edited}).deployed_policy()
    with pytest.raises(TargetError, match="not a policy"):
        StackOutputs.from_dict({**OUTPUTS, "policy": {"quality": {"colour": "red"}}}).deployed_policy()


def test_a_deployed_policy_beyond_this_versions_law_is_refused() -> None:
    beyond = load_policy().as_dict()
    beyond["quality"] = {**beyond["quality"], "retention_days": 400, "lock_days": 399}
    with pytest.raises(PolicyError, match="legal maximum"):
        StackOutputs.from_dict({**OUTPUTS, "policyDigest": None, "policy": beyond}).deployed_policy()


@pytest.mark.parametrize("purpose", list(Purpose))
def test_stack_outputs_give_the_exact_principals_and_one_extra_exemption_fails(
    default_run: ProgramRun, purpose: Purpose
) -> None:
    """Every bucket's exempted principals are known from the outputs alone, evidence included."""
    run = default_run
    outputs = StackOutputs.from_dict(run.outputs)
    principals = outputs.principals(purpose)
    assert principals is not None, f"{purpose}: principals unknown from the stack outputs"
    document = json.loads(run.named(f"recgov-dev-{purpose}-policy").inputs["policy"])
    bucket_arn = f"arn:aws:s3:::{outputs.buckets[purpose]}"
    requirements = deny_requirements(purpose, principals, outputs.key_arns.get(purpose),
                                     load_policy()[purpose].retention_days)
    assert [r.sid for r in requirements if not judge_deny_requirement(document, bucket_arn, r).holds] == []
    reads = next(s for s in document["Statement"] if s["Sid"] == "DenyReadsOutsidePurpose")
    reads["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append("arn:aws:iam::123456789012:role/someone-else")
    broken = [r.sid for r in requirements if not judge_deny_requirement(document, bucket_arn, r).holds]
    assert broken == ["DenyReadsOutsidePurpose"], f"{purpose}: {broken}"


CONNECT_ID = "6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90"
CONNECT_ARN = f"arn:aws:connect:eu-central-1:123456789012:instance/{CONNECT_ID}"
CONNECT_CONFIG = {"amazonConnect": {"instanceArn": CONNECT_ARN, "recordingsPrefix": "connect/acme/CallRecordings"}}


def _connect_judged(run: ProgramRun, outputs: StackOutputs, purpose: Purpose, document: dict[str, Any]) -> list[str]:
    principals = outputs.principals(purpose)
    assert principals is not None
    bucket_arn = f"arn:aws:s3:::{outputs.buckets[purpose]}"
    requirements = deny_requirements(purpose, principals, outputs.key_arns.get(purpose),
                                     load_policy()[purpose].retention_days)
    return [r.sid for r in requirements if not judge_deny_requirement(document, bucket_arn, r).holds]


@pytest.mark.parametrize("purpose", list(Purpose))
def test_with_amazon_connect_the_outputs_still_give_the_exact_principals(
    run_stack: Callable[..., ProgramRun], purpose: Purpose
) -> None:
    """Connect's writers are known from the outputs: the deployed policy passes, one extra writer fails."""
    run = run_stack(CONNECT_CONFIG)
    outputs = StackOutputs.from_dict(run.outputs)
    document = json.loads(run.named(f"recgov-dev-{purpose}-policy").inputs["policy"])
    assert _connect_judged(run, outputs, purpose, document) == []
    writes = next((s for s in document["Statement"] if s["Sid"] == "DenyWritesOutsidePurpose"), None)
    if writes is None:
        return  # the access-logs bucket has no writers to exempt
    writes["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append("arn:aws:iam::123456789012:role/someone-else")
    assert _connect_judged(run, outputs, purpose, document) == ["DenyWritesOutsidePurpose"], purpose


def test_the_connect_writer_is_exempted_on_quality_alone(run_stack: Callable[..., ProgramRun]) -> None:
    run = run_stack(CONNECT_CONFIG)
    outputs = StackOutputs.from_dict(run.outputs)
    role = run.outputs["amazonConnect"]["serviceRoleArn"]
    quality = outputs.principals(Purpose.QUALITY)
    assert quality is not None and role in quality.writers and quality.service_sources == (CONNECT_ARN,)
    for purpose in (Purpose.PROOF, Purpose.EVALUATIONS, Purpose.EVIDENCE):
        other = outputs.principals(purpose)
        assert other is not None and role not in other.writers and other.service_sources == ()


def test_a_connect_exemption_the_outputs_do_not_name_fails(run_stack: Callable[..., ProgramRun]) -> None:
    run = run_stack(CONNECT_CONFIG)
    document = json.loads(run.named("recgov-dev-quality-policy").inputs["policy"])
    # Another instance's service principal exempted: the deny no longer holds for it.
    other = json.loads(json.dumps(document))
    writes = next(s for s in other["Statement"] if s["Sid"] == "DenyWritesOutsidePurpose")
    writes["Condition"]["ArnNotEqualsIfExists"]["aws:SourceArn"].append(CONNECT_ARN.replace(CONNECT_ID, "other"))
    outputs = StackOutputs.from_dict(run.outputs)
    assert _connect_judged(run, outputs, Purpose.QUALITY, other) == ["DenyWritesOutsidePurpose"]
    # Outputs without amazonConnect know no Connect writer: both of its exemptions fail.
    bare = StackOutputs.from_dict({k: v for k, v in run.outputs.items() if k != "amazonConnect"})
    assert _connect_judged(run, bare, Purpose.QUALITY, document) == ["DenyWritesOutsidePurpose"]


@pytest.mark.parametrize("connect", ["x", {"purpose": "quality"}, {"purpose": "sales", "instanceArn": "i",
                                                                    "serviceRoleArn": "r"}])
def test_unusable_connect_outputs_are_refused(connect: Any) -> None:
    with pytest.raises(TargetError, match="amazonConnect"):
        StackOutputs.from_dict({**OUTPUTS, "amazonConnect": connect})
