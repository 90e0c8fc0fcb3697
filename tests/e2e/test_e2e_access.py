"""Access matrix with the emulator's IAM enforcement on: role x bucket x action.

What moto emulates, and so what is proven here: identity policies (each role's inline policy, read
through its assumed-role session) decide every S3 request, bucket and object level, by action and
resource; Object Lock refuses deleting a locked version, honours the governance bypass header in
GOVERNANCE mode and refuses it in COMPLIANCE mode. What it does not: a bucket policy is consulted
only for object GET/PUT/DELETE/HEAD, with principals and conditions ignored (every conditional Deny
applies to everyone), so the cells decided by the bucket policy alone are listed in
BUCKET_POLICY_ONLY and checked on AWS, not here; the bucket policies are detached while the
identity layer is measured.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.deploy import deploy, emulator_clients
from sandbox.emulator import Emulator
from sandbox.seed import bucket_policies_lifted, role_clients

pytestmark = pytest.mark.e2e
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
KEY = "quality/2026/01/01/CALL-1.wav"
ROLES = ("quality-writer", "quality-reader", "quality-erasure", "proof-writer", "proof-reader",
         "evaluations-writer", "evaluations-reader", "evaluations-erasure", "auditor", "deployer")
BUCKETS = ("quality", "proof", "evaluations")
ACTIONS = ("read", "write", "delete-version", "bypass-governance", "change-lifecycle", "change-lock",
           "change-policy", "retention-beyond-max")

BUCKET_POLICY_ONLY = {
    # The deployer's identity allows everything; on AWS the bucket policy denies it recordings.
    ("deployer", b, a) for b in BUCKETS for a in ("read", "write", "bypass-governance", "retention-beyond-max")
} | {
    # The dispute team may set retention (legal holds), but never beyond the legal maximum.
    ("proof-reader", "proof", "retention-beyond-max"),
}


@dataclass
class Stack:
    outputs: dict[str, Any]
    deployer: dict[str, str]
    roles: dict[str, Callable[[str], Any]]
    versions: dict[str, str]
    policies: dict[str, str]

    def fresh_version(self, bucket: str, key: str) -> str:
        """A new locked version for a destructive attempt, so cells do not depend on each other."""
        return str(self.roles["deployer"]("s3").put_object(
            Bucket=self.outputs["buckets"][bucket], Key=key, Body=b"RIFF", ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.outputs["keyArns"][bucket])["VersionId"])


def _allowed(role: str, bucket: str, action: str) -> bool:
    """What the policy says (identity policy, bucket policy and Object Lock together), outside BUCKET_POLICY_ONLY."""
    purpose, _, kind = role.partition("-")
    own = purpose == bucket
    if action == "read":
        return own and kind == "reader"
    if action == "write":
        return own and kind == "writer"
    if action == "delete-version":
        return False  # every version is under its bucket's default lock
    if action == "bypass-governance":
        return own and kind == "erasure" and bucket != "proof"  # COMPLIANCE cannot be bypassed
    if action in ("change-lifecycle", "change-lock", "change-policy"):
        return role == "deployer"
    return False  # retention beyond the maximum


@pytest.fixture(scope="module")
def stack(emulator: Emulator) -> Iterator[Stack]:
    emulator.reset()
    iam = emulator_clients(emulator.endpoint_url)("iam")
    iam.create_user(UserName="deployer")
    iam.put_user_policy(UserName="deployer", PolicyName="admin", PolicyDocument=json.dumps(ADMIN))
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    deployer = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    outputs = deploy(emulator.endpoint_url, stack="access", config={"aws:region": "eu-west-3"},
                     credentials=deployer).outputs
    roles: dict[str, Callable[[str], Any]] = {"deployer": emulator_clients(emulator.endpoint_url, credentials=deployer)}
    for purpose, kinds in outputs["roleArns"].items():
        for kind, arn in kinds.items():
            roles[f"{purpose}-{kind}"] = role_clients(emulator.endpoint_url, arn, "eu-west-3", "matrix")
    roles["auditor"] = role_clients(emulator.endpoint_url, outputs["auditorRoleArn"], "eu-west-3", "matrix")
    s3 = roles["deployer"]("s3")
    versions = {}
    policies = {b: s3.get_bucket_policy(Bucket=outputs["buckets"][b])["Policy"] for b in BUCKETS}
    with bucket_policies_lifted(s3, [outputs["buckets"][b] for b in BUCKETS]):
        for b in BUCKETS:
            versions[b] = s3.put_object(Bucket=outputs["buckets"][b], Key=KEY, Body=b"RIFF",
                                        ServerSideEncryption="aws:kms", SSEKMSKeyId=outputs["keyArns"][b])["VersionId"]
    emulator.enforce_iam(True)
    try:
        yield Stack(outputs, deployer, roles, versions, policies)
    finally:
        emulator.enforce_iam(False)


def _attempt(stack: Stack, role: str, bucket: str, action: str) -> bool:
    """Try one action; False when refused (AccessDenied), True otherwise (including a non-auth refusal)."""
    s3 = stack.roles[role]("s3")
    name = stack.outputs["buckets"][bucket]
    admin = stack.roles["deployer"]("s3")
    doomed = f"{bucket}/matrix/{role}-{action}.wav"
    if action in ("delete-version", "bypass-governance"):
        version = stack.fresh_version(bucket, doomed)
    rules = admin.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    lock = admin.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    calls: dict[str, Callable[[], Any]] = {
        "read": lambda: s3.get_object(Bucket=name, Key=KEY, VersionId=stack.versions[bucket]),
        "write": lambda: s3.put_object(Bucket=name, Key=f"{bucket}/matrix/{role}.wav", Body=b"RIFF",
                                       ServerSideEncryption="aws:kms", SSEKMSKeyId=stack.outputs["keyArns"][bucket]),
        "delete-version": lambda: s3.delete_object(Bucket=name, Key=doomed, VersionId=version),
        "bypass-governance": lambda: s3.delete_object(Bucket=name, Key=doomed, VersionId=version,
                                                      BypassGovernanceRetention=True),
        "change-lifecycle": lambda: s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": rules}),
        # Past IAM, moto refuses a new lock configuration on a bucket holding objects (S3 does not):
        # that refusal is not AccessDenied, so it counts as permitted, which is what IAM decided.
        "change-lock": lambda: s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=lock),
        "change-policy": lambda: s3.put_bucket_policy(
            Bucket=name, Policy=stack.policies[bucket]),
        "retention-beyond-max": lambda: s3.put_object_retention(
            Bucket=name, Key=KEY, VersionId=stack.versions[bucket],
            Retention={"Mode": "COMPLIANCE" if bucket == "proof" else "GOVERNANCE",
                       "RetainUntilDate": datetime.now(UTC) + timedelta(days=2000)},
            BypassGovernanceRetention=False),
    }
    try:
        calls[action]()
        if action in ("delete-version", "bypass-governance"):
            # Deleting a version that is gone also succeeds: only its absence proves the delete.
            admin.head_object(Bucket=name, Key=doomed, VersionId=version)
            return False
    except ClientError as err:
        if action in ("delete-version", "bypass-governance") and str(err.response["Error"]["Code"]) in ("404",):
            return True
        code = str(err.response.get("Error", {}).get("Code"))
        return code not in ("AccessDenied", "403", "AccessDeniedException")
    return True


MOTO_AS_PUT_OBJECT = {(f"{b}-writer", b, "retention-beyond-max") for b in BUCKETS}
"""moto authorises PutObjectRetention as s3:PutObject: a writer may set retention there, not on AWS."""

CELLS = [(r, b, a) for r in ROLES for b in BUCKETS for a in ACTIONS
         if (r, b, a) not in BUCKET_POLICY_ONLY | MOTO_AS_PUT_OBJECT]


@pytest.mark.parametrize(("role", "bucket", "action"), CELLS)
def test_access_equals_what_the_policy_says(stack: Stack, role: str, bucket: str, action: str) -> None:
    s3 = stack.roles["deployer"]("s3")
    with bucket_policies_lifted(s3, [stack.outputs["buckets"][bucket]]):
        assert _attempt(stack, role, bucket, action) is _allowed(role, bucket, action)


def test_moto_applies_conditional_bucket_policy_denies_to_everyone(stack: Stack) -> None:
    """The documented limit: with the governed policy attached, even the quality readers cannot read."""
    assert _attempt(stack, "quality-reader", "quality", "read") is False


@pytest.mark.parametrize(("role", "bucket", "action"), sorted(MOTO_AS_PUT_OBJECT))
def test_moto_authorises_object_retention_as_put_object(stack: Stack, role: str, bucket: str, action: str) -> None:
    """The documented limit: writers hold s3:PutObject only, and moto lets them set retention."""
    with bucket_policies_lifted(stack.roles["deployer"]("s3"), [stack.outputs["buckets"][bucket]]):
        assert _attempt(stack, role, bucket, action) is True


def test_proof_versions_survive_every_role(stack: Stack) -> None:
    name = stack.outputs["buckets"]["proof"]
    s3 = stack.roles["deployer"]("s3")
    with bucket_policies_lifted(s3, [name]):
        for role in ROLES:
            assert _attempt(stack, role, "proof", "bypass-governance") is False, role
            assert _attempt(stack, role, "proof", "delete-version") is False, role
        # An overwrite by the recorder adds a version; the locked one is untouched.
        stack.roles["proof-writer"]("s3").put_object(Bucket=name, Key=KEY, Body=b"OVERWRITE",
                                                     ServerSideEncryption="aws:kms",
                                                     SSEKMSKeyId=stack.outputs["keyArns"]["proof"])
        body = s3.get_object(Bucket=name, Key=KEY, VersionId=stack.versions["proof"])["Body"].read()
    assert body == b"RIFF"
