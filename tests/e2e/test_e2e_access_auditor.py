"""The auditor with the emulator's IAM enforcement on: it verifies the stack, and reads nothing else.

Discovery alone reaches every bucket (listing them and reading their purpose tag); every other read
names the stack's buckets, their objects and its keys. So ``recgov verify --discover``, signed as the
auditor's assumed role, finds and judges exactly the stack's buckets, and a bucket outside the stack
is refused to it but for its tags.

moto's limits, pinned: it authorises every KMS request against the resource ``*``, never the key the
request names, so a grant scoped to the stack's keys is refused there (the key checks are then ERROR,
exit 3); on AWS the request is authorised against the key's ARN, which the deployed identity policy
names, and a test reads that grant back from IAM. moto also authorises HeadBucket as ``s3:HeadBucket``,
an action IAM does not have (AWS authorises it as ``s3:ListBucket``, granted on the stack's buckets),
so the existence check is ERROR there too, for any identity without ``s3:*``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from governance.cli import main
from lifecycle.access import AUDITOR_DISCOVERY_ACTIONS, AUDITOR_KEY_ACTIONS
from sandbox.deploy import emulator_clients
from sandbox.emulator import Emulator
from tests.e2e.access_matrix import REGION, Stack, build_stack, enforced

pytestmark = pytest.mark.e2e
OUTSIDE = "another-teams-recordings"
"""A bucket of the same account that the stack does not govern (no purpose tag)."""
KEY_CHECKS = {"RG-KMS-KEY-ENABLED", "RG-KMS-KEY-ROTATION", "RG-KMS-KEY-POLICY"}
MOTO_REFUSED = {**dict.fromkeys(KEY_CHECKS, "kms:DescribeKey"), "RG-BUCKET-EXISTS": "s3:ListBucket"}
"""Checks whose read moto refuses to the auditor (see above), with the permission each message names."""


@pytest.fixture(scope="module")
def deployed(emulator: Emulator) -> Stack:
    """The stack, and beside it a bucket of the same account that the stack does not govern."""
    built = build_stack(emulator, "auditor")
    s3 = built.admin
    s3.create_bucket(Bucket=OUTSIDE, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket=OUTSIDE, Tagging={"TagSet": [{"Key": "team", "Value": "sales"}]})
    s3.put_object(Bucket=OUTSIDE, Key="sales/2026/01/01/CALL-9.wav", Body=b"RIFF")
    return built


@pytest.fixture(scope="module")
def auditor_env(deployed: Stack) -> dict[str, str]:
    """The auditor's assumed-role credentials, as the standard chain reads them from the environment."""
    sts = emulator_clients(deployed.emulator.endpoint_url, REGION)("sts")
    creds = sts.assume_role(RoleArn=deployed.arns["auditor"], RoleSessionName="verify")["Credentials"]
    return {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"]}


@pytest.fixture(scope="module")
def stack(deployed: Stack, auditor_env: dict[str, str]) -> Iterator[Stack]:
    with enforced(deployed.emulator):
        yield deployed


def _refused(call: Any) -> bool:
    try:
        call()
    except ClientError as err:
        return str(err.response.get("Error", {}).get("Code")) in ("AccessDenied", "403", "AccessDeniedException")
    return False


def test_verify_discover_as_the_auditor_judges_exactly_the_stack(stack: Stack, auditor_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["verify", "--discover", "--endpoint-url", stack.emulator.endpoint_url,
                                       "--region", REGION, "--format", "json"], env=auditor_env)
    report = json.loads(result.stdout)
    assert {r["resource"] for r in report["results"]} == set(stack.outputs["buckets"].values())
    not_passed = {(r["check"], r["status"]) for r in report["results"] if r["status"] != "pass"}
    # Every other read the checks need is granted on the stack's buckets; only moto's limits remain.
    assert not_passed == {(check, "error") for check in MOTO_REFUSED}, not_passed
    for r in report["results"]:
        if r["check"] in MOTO_REFUSED:
            assert "could not be read" in r["message"] and MOTO_REFUSED[r["check"]] in r["message"], r["message"]
    assert result.exit_code == 3


def test_the_auditor_cannot_list_or_read_a_bucket_outside_the_stack(stack: Stack) -> None:
    s3 = stack.principals["auditor"]("s3")
    assert _refused(lambda: s3.list_object_versions(Bucket=OUTSIDE, MaxKeys=1))
    assert _refused(lambda: s3.list_objects_v2(Bucket=OUTSIDE, MaxKeys=1))
    assert _refused(lambda: s3.get_bucket_lifecycle_configuration(Bucket=OUTSIDE))
    assert _refused(lambda: s3.get_object_retention(Bucket=OUTSIDE, Key="sales/2026/01/01/CALL-9.wav"))
    # Discovery still sees it, and learns it is not governed.
    assert OUTSIDE in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert s3.get_bucket_tagging(Bucket=OUTSIDE)["TagSet"] == [{"Key": "team", "Value": "sales"}]
    # The same requests on a bucket of the stack are granted.
    governed = stack.name("quality")
    s3.list_object_versions(Bucket=governed, MaxKeys=1)
    s3.get_bucket_lifecycle_configuration(Bucket=governed)


def _auditor_statements(stack: Stack) -> list[dict[str, Any]]:
    iam = stack.principals["deployer"]("iam")
    role = stack.arns["auditor"].split("/")[-1]
    return [s for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
            for s in iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]["Statement"]]


def test_moto_authorises_head_bucket_as_an_action_iam_does_not_have(stack: Stack) -> None:
    """moto's limit, pinned: the auditor may list the bucket (s3:ListBucket), yet HEAD is refused."""
    s3 = stack.principals["auditor"]("s3")
    s3.list_objects_v2(Bucket=stack.name("quality"), MaxKeys=1)
    assert _refused(lambda: s3.head_bucket(Bucket=stack.name("quality")))


def test_only_discovery_applies_to_every_resource(stack: Stack) -> None:
    everywhere = {a for s in _auditor_statements(stack) if s["Resource"] in ("*", ["*"]) for a in s["Action"]}
    assert everywhere == set(AUDITOR_DISCOVERY_ACTIONS)


def test_moto_refuses_the_auditors_key_reads_that_aws_grants(stack: Stack) -> None:
    """moto's limit, pinned: it checks a KMS request against ``*``; the grant names the stack's keys."""
    keys = set(stack.outputs["keyArns"].values())
    granted = [s for s in _auditor_statements(stack) if set(AUDITOR_KEY_ACTIONS) <= set(s["Action"])]
    assert len(granted) == 1 and set(granted[0]["Resource"]) == keys
    kms = stack.principals["auditor"]("kms")
    assert _refused(lambda: kms.describe_key(KeyId=next(iter(keys))))
