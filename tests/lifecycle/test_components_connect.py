"""Amazon Connect in the program, under Pulumi's mock runtime: its recording storage and its writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from lifecycle.loader import load_policy
from lifecycle.stack_config import parse_stack_settings
from sandbox.program import ProgramRun
from tests.conftest import OfflineMocks
from tests.lifecycle.test_components import (
    ACCOUNT,
    ALL,
    DEPLOYER,
    PREFIX,
    assert_refused_before_any_resource,
    inputs,
    policy_of,
    role_arn,
    statement,
)

Runner = Callable[..., ProgramRun]
INSTANCE_ID = "6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90"
INSTANCE = f"arn:aws:connect:eu-central-1:{ACCOUNT}:instance/{INSTANCE_ID}"
CONNECT = {"instanceArn": INSTANCE, "recordingsPrefix": "connect/acme/CallRecordings"}
STORAGE = "aws:connect/instanceStorageConfig:InstanceStorageConfig"
SERVICE_ROLE = OfflineMocks.connect_role(INSTANCE_ID)


@pytest.fixture(scope="module")
def connect_run(run_stack: Runner) -> ProgramRun:
    return run_stack({"amazonConnect": CONNECT})


def test_call_recordings_are_stored_in_the_quality_bucket_under_its_key(connect_run: ProgramRun) -> None:
    (storage,) = connect_run.of_type(STORAGE)
    assert storage.name == f"{PREFIX}-amazon-connect-call-recordings"
    key_arn = connect_run.named(f"{PREFIX}-quality-key").outputs["arn"]
    assert inputs(connect_run, storage.name) == {
        "instanceId": INSTANCE_ID,
        "region": "eu-central-1",
        "resourceType": "CALL_RECORDINGS",
        "storageConfig": {
            "storageType": "S3",
            "s3Config": {
                "bucketName": f"{PREFIX}-quality-0a1b2c3",
                "bucketPrefix": "connect/acme/CallRecordings",
                "encryptionConfig": {"encryptionType": "KMS", "keyId": key_arn},
            },
        },
    }
    # Recordings arrive only once the bucket policy admits Connect's writes.
    policy_urn = connect_run.named(f"{PREFIX}-quality-policy").urn
    assert policy_urn in storage.dependencies, "the storage config must wait for the quality bucket policy"
    component = next(r for r in connect_run.registrations if r.type == "recgov:connect:RecordingStorage")
    assert storage.parent == component.urn


def test_the_quality_bucket_admits_connect_for_this_instance_and_nobody_else(connect_run: ProgramRun) -> None:
    doc = policy_of(connect_run, "quality")
    writes = statement(doc, "DenyWritesOutsidePurpose")
    assert writes["Condition"] == {
        # The instance's service-linked role writes call recordings...
        "ArnNotLike": {"aws:PrincipalArn": [role_arn(f"{PREFIX}-quality-writer"), SERVICE_ROLE]},
        # ...and Connect's service principal, acting for this instance alone, may too.
        "ArnNotEqualsIfExists": {"aws:SourceArn": [INSTANCE]},
    }
    allow = statement(doc, "AllowAmazonConnectRecordings")
    assert allow == {
        "Sid": "AllowAmazonConnectRecordings",
        "Effect": "Allow",
        "Principal": {"Service": "connect.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{PREFIX}-quality-0a1b2c3/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnEquals": {"aws:SourceArn": INSTANCE}},
    }
    # The other denies still bind Connect: SSE-KMS with the quality key only, no retention beyond the law.
    assert {"DenyNonKmsEncryption", "DenyOtherKmsKeys", "DenyRetentionBeyondStackRetention"} <= {
        s["Sid"] for s in doc["Statement"]}


@pytest.mark.parametrize("purpose", [p for p in ALL if p != "quality"])
def test_other_purposes_do_not_admit_connect(connect_run: ProgramRun, purpose: str) -> None:
    text = json.dumps(policy_of(connect_run, purpose))
    assert "connect" not in text, f"{purpose}: Connect writes only quality recordings"


def key_policy_of(run: ProgramRun, purpose: str) -> dict[str, Any]:
    return dict(json.loads(run.named(f"{PREFIX}-{purpose}-key-policy").inputs["policy"]))


def test_the_deployer_may_have_connect_grant_the_quality_key_to_the_instance_role_only(
    connect_run: ProgramRun,
) -> None:
    # AssociateInstanceStorageConfig creates the grant with the caller's kms:CreateGrant; nothing broader.
    assert statement(key_policy_of(connect_run, "quality"), "ConnectRecordingGrantByDeployer") == {
        "Sid": "ConnectRecordingGrantByDeployer",
        "Effect": "Allow",
        "Principal": {"AWS": [DEPLOYER]},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringEquals": {"kms:ViaService": "connect.eu-central-1.amazonaws.com",
                             "kms:GranteePrincipal": SERVICE_ROLE},
        },
    }


@pytest.mark.parametrize("purpose", ["proof", "evaluations", "evidence"])
def test_no_other_key_and_no_key_without_connect_lets_anyone_create_grants(
    connect_run: ProgramRun, default_run: ProgramRun, purpose: str
) -> None:
    for run, name in ((connect_run, purpose), (default_run, "quality"), (default_run, purpose)):
        assert "kms:CreateGrant" not in json.dumps(key_policy_of(run, name)), f"{name}: no grant without Connect"


def test_outputs_name_the_connect_writer(connect_run: ProgramRun) -> None:
    assert connect_run.outputs["amazonConnect"] == {
        "purpose": "quality", "instanceArn": INSTANCE, "serviceRoleArn": SERVICE_ROLE}


def test_the_policy_digest_carries_the_connect_layout(connect_run: ProgramRun, default_run: ProgramRun) -> None:
    settings = parse_stack_settings({"amazonConnect": CONNECT}, stack="dev")
    assert connect_run.outputs["policyDigest"] == load_policy(None, settings.purposes).digest
    assert connect_run.outputs["policyDigest"] != default_run.outputs["policyDigest"]


def test_without_connect_nothing_is_declared_for_it(default_run: ProgramRun) -> None:
    run = default_run
    assert run.of_type(STORAGE) == [] and "amazonConnect" not in run.outputs
    assert "Connect" not in json.dumps(policy_of(run, "quality"))


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"amazonConnect": {**CONNECT, "instanceArn": "arn:aws:connect:eu-central-1:1:instance/x"}},
         "is not an Amazon Connect instance ARN"),
        ({"amazonConnect": {**CONNECT, "recordingsPrefix": "/connect"}}, "must not start with '/'"),
        ({"amazonConnect": {**CONNECT, "alias": "acme"}}, "unknown key 'alias'"),
        ({"amazonConnect": CONNECT, "purposes": {"quality": {"layout": "recgov"}}}, "contradicts recgov:amazonConnect"),
    ],
)
def test_refused_connect_settings_stop_the_program_before_any_resource(
    run_stack: Runner, config: dict[str, Any], expected: str
) -> None:
    assert_refused_before_any_resource(run_stack, config, expected)
