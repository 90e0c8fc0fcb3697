"""Amazon Connect on the emulator: a real instance, the program deployed for it, verify with its outputs.

moto implements Connect instances (their service-linked role included) but not their storage
configs: the sandbox skips the storage config by name and applies everything else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from governance.cli import main
from governance.model import Report, Status
from governance.verify import verify
from lifecycle.loader import load_policy
from lifecycle.policy import Policy
from lifecycle.stack_config import parse_stack_settings
from sandbox.appliers import SKIPPED
from sandbox.deploy import Deployment, SandboxError, deploy, emulator_clients
from sandbox.emulator import Emulator, emulator_environment

pytestmark = pytest.mark.e2e
REGION = "eu-central-1"
"""Amazon Connect is not offered in every region (not in eu-west-3, the other stacks' region)."""
STACK = "e2e-connect"
STORAGE = "aws:connect/instanceStorageConfig:InstanceStorageConfig"


class ConnectStack:
    """The program deployed with ``recgov:amazonConnect`` naming an emulated instance."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.clients = emulator_clients(emulator.endpoint_url, REGION)
        self.instance = self.clients("connect").create_instance(
            IdentityManagementType="CONNECT_MANAGED", InstanceAlias="acme",
            InboundCallsEnabled=True, OutboundCallsEnabled=True)
        described = self.clients("connect").describe_instance(InstanceId=self.instance["Id"])["Instance"]
        self.service_role = str(described["ServiceRole"])
        connect = {"instanceArn": self.instance["Arn"], "recordingsPrefix": "connect/acme/CallRecordings"}
        self.config: dict[str, Any] = {"aws:region": REGION, "amazonConnect": connect}
        self.policy: Policy = load_policy(None, parse_stack_settings({"amazonConnect": connect}, stack=STACK).purposes)
        self.deployment: Deployment = deploy(emulator.endpoint_url, stack=STACK, config=self.config)

    def quality_policy(self) -> dict[str, Any]:
        bucket = self.deployment.outputs["buckets"]["quality"]
        return dict(json.loads(self.clients("s3").get_bucket_policy(Bucket=bucket)["Policy"]))

    def verify(self) -> Report:
        return verify(None, self.policy, outputs=self.deployment.outputs,
                      endpoint_url=self.emulator.endpoint_url, region=REGION)


@pytest.fixture(scope="module")
def stack(emulator: Emulator) -> Iterator[ConnectStack]:
    emulator.reset()
    with emulator_environment(emulator):
        yield ConnectStack(emulator)


def test_the_storage_config_is_skipped_by_name_and_the_rest_applied(stack: ConnectStack) -> None:
    assert [(s.type, s.reason) for s in stack.deployment.skipped] == [(STORAGE, SKIPPED[STORAGE])]
    assert STORAGE not in {a.type for a in stack.deployment.applied}
    assert stack.deployment.outputs["amazonConnect"] == {
        "purpose": "quality", "instanceArn": stack.instance["Arn"], "serviceRoleArn": stack.service_role}


def test_the_deployed_quality_policy_admits_the_instance(stack: ConnectStack) -> None:
    writes = next(s for s in stack.quality_policy()["Statement"] if s["Sid"] == "DenyWritesOutsidePurpose")
    assert stack.service_role in writes["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    assert writes["Condition"]["ArnNotEqualsIfExists"] == {"aws:SourceArn": [stack.instance["Arn"]]}


def test_verify_passes_and_an_extra_writer_fails(stack: ConnectStack) -> None:
    report = stack.verify()
    assert [(r.check, r.purpose) for r in report.results if r.status is not Status.PASS] == []
    s3, bucket = stack.clients("s3"), stack.deployment.outputs["buckets"]["quality"]
    original = stack.quality_policy()
    tampered = json.loads(json.dumps(original))
    writes = next(s for s in tampered["Statement"] if s["Sid"] == "DenyWritesOutsidePurpose")
    writes["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append("arn:aws:iam::123456789012:role/someone-else")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tampered))
    try:
        failed = [(r.check, r.purpose) for r in stack.verify().results if r.status is Status.FAIL]
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(original))
    assert failed == [("RG-POLICY-PURPOSE-ACCESS", "quality")]


def test_the_deployed_quality_key_lets_the_deployer_have_connect_grant_it_and_verify_accepts_only_that(
    stack: ConnectStack,
) -> None:
    kms, key = stack.clients("kms"), stack.deployment.outputs["keyArns"]["quality"]
    original = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    document = json.loads(original)
    grant = next(s for s in document["Statement"] if s["Action"] == "kms:CreateGrant")
    assert grant["Principal"] == {"AWS": [stack.deployment.outputs["deployerArn"]]}
    assert grant["Condition"]["StringEquals"]["kms:GranteePrincipal"] == stack.service_role
    # The same permission without the grantee: the deployer could grant the key to anyone.
    del grant["Condition"]["StringEquals"]["kms:GranteePrincipal"]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(document))
    try:
        failed = [(r.check, r.purpose) for r in stack.verify().results if r.status is Status.FAIL]
    finally:
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=original)
    assert failed == [("RG-KMS-KEY-POLICY", "quality")]


def test_an_instance_the_emulator_does_not_have_is_one_sentence(stack: ConnectStack) -> None:
    missing = {**stack.config, "amazonConnect": {
        "instanceArn": f"arn:aws:connect:{REGION}:123456789012:instance/00000000-0000-0000-0000-000000000000",
        "recordingsPrefix": "connect/acme/CallRecordings"}}
    with pytest.raises(SandboxError, match=r"^the emulator has no Amazon Connect instance 0{8}-.*create-instance"):
        deploy(stack.emulator.endpoint_url, stack=STACK, config=missing)


def test_sandbox_deploy_says_what_it_did_not_apply(
    stack: ConnectStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sandbox.deploy.stack_config", lambda _stack, _dir: stack.config)
    out = tmp_path / "outputs.json"
    result = CliRunner().invoke(main, ["sandbox", "deploy", "--endpoint-url", stack.emulator.endpoint_url,
                                       "--stack", STACK, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert (f"not applied: recgov-{STACK}-amazon-connect-call-recordings "
            f"({STORAGE}): {SKIPPED[STORAGE]}.") in result.output
    assert json.loads(out.read_text(encoding="utf-8")) == stack.deployment.outputs
