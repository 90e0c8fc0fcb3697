"""Principals outside the stack: an admin of another AWS account, and anonymous (unsigned) callers.

On AWS both need a grant from the bucket's side: a cross-account request succeeds only if the
bucket policy (or an ACL) of the owning account allows it as well as the caller's own identity
policy, and a role of the stack is assumed only by whom its trust policy names; an anonymous
request needs a grant to everyone. So the proof for AWS is the resource layer as deployed, read
back from the emulator: no bucket policy allows a principal, only S3's services for this account;
ACLs are disabled; public access is blocked; every role and key trusts this account alone.

What moto adds, and where it stops. It models a second account faithfully as an identity: a user
created under ``x-moto-account-id`` signs as that account, and that account's own identity policies
decide its requests. It does not model the owner's consent: once its identity allows, moto lets
another account list a bucket, change its lifecycle, lock and policy (moto consults a bucket policy
for object requests only) and assume the stack's roles (it checks a trust policy only for a role
of the caller's own account). Those cells are pinned as moto's, not asserted as ours; the other
account's object requests are refused, but by the conditional statements moto applies to everyone.
For an unsigned request on an existing object, moto checks the bucket policy and the object's ACL
(a faithful anonymous check: no grant, private ACL, refused), in both states: policy attached, and
the identity layer, where only statements to everyone stay. An unsigned bucket-level request, or one
that passes that check, reaches moto's IAM check and fails there with HTTP 500 (it reads the missing
signature): for object requests that fails the test, for bucket-level ones it is pinned as moto's,
and every cell checks that nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext

import pytest

from sandbox.deploy import emulator_clients
from sandbox.emulator import Emulator
from tests.e2e.access_matrix import (
    ACTIONS,
    BUCKETS,
    IAM_ACTIONS,
    NOT_APPLICABLE,
    OTHER_ACCOUNT,
    REGION,
    Attempt,
    Stack,
    account_client,
    attempt,
    build_stack,
    enforced,
    identity_layer,
    prepare,
    run,
)

pytestmark = pytest.mark.e2e
REQUESTS = [(b, a) for b in BUCKETS for a in ACTIONS if (b, a) not in NOT_APPLICABLE]
OBJECT_ACTIONS = {a for a, (_, on_object) in IAM_ACTIONS.items() if on_object}
SERVICES = {"logging.s3.amazonaws.com", "s3.amazonaws.com"}
"""The only principals a deployed bucket policy may allow: S3 delivering logs and inventories."""

MOTO_CROSS_ACCOUNT = {(b, a) for b in BUCKETS for a in ("list", "change-lifecycle", "change-lock", "change-policy")}
"""Bucket-level requests moto lets another account's admin make: it never asks the owner's policy."""


@pytest.fixture(scope="module")
def stack(emulator: Emulator) -> Iterator[Stack]:
    deployed = build_stack(emulator, "principals")
    # A user of the other account with no policy at all: its refusals show whose policies decide.
    bystander = account_client(emulator.endpoint_url, OTHER_ACCOUNT, "iam")
    bystander.create_user(UserName="bystander")
    key = bystander.create_access_key(UserName="bystander")["AccessKey"]
    deployed.principals["other-account-bystander"] = emulator_clients(
        emulator.endpoint_url, REGION,
        {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})
    with enforced(emulator):
        yield deployed


def _account(stack: Stack) -> str:
    return str(stack.arns["deployer"].split(":")[4])


# --- the resource layer as deployed: what AWS decides for anyone outside the account --------------

@pytest.mark.parametrize("bucket", BUCKETS)
def test_no_bucket_policy_allows_anyone_outside_the_account(stack: Stack, bucket: str) -> None:
    document = json.loads(stack.admin.get_bucket_policy(Bucket=stack.name(bucket))["Policy"])
    for statement in document["Statement"]:
        assert "NotPrincipal" not in statement, statement.get("Sid")
        if statement["Effect"] != "Allow":
            continue
        # An allow names an S3 service, only for this account's own buckets (no confused deputy).
        assert set(statement["Principal"]) == {"Service"}, statement.get("Sid")
        assert {statement["Principal"]["Service"]} <= SERVICES, statement.get("Sid")
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == _account(stack), statement.get("Sid")


@pytest.mark.parametrize("bucket", BUCKETS)
def test_acls_are_disabled_and_public_access_is_blocked(stack: Stack, bucket: str) -> None:
    s3, name = stack.admin, stack.name(bucket)
    ownership = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert block == dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                   "RestrictPublicBuckets"), True)


def test_every_role_and_key_trusts_this_account_alone(stack: Stack) -> None:
    iam, kms = stack.principals["deployer"]("iam"), stack.principals["deployer"]("kms")
    root = f"arn:aws:iam::{_account(stack)}:root"
    roles = [arn for principal, arn in stack.arns.items() if principal != "deployer"]
    for arn in roles:
        trust = iam.get_role(RoleName=arn.split("/")[-1])["Role"]["AssumeRolePolicyDocument"]
        assert [s["Principal"] for s in trust["Statement"]] == [{"AWS": root}], arn
    for arn in stack.outputs["keyArns"].values():
        # The account administers; the purpose's roles use the key. Every principal is of this account.
        document = json.loads(kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
        named = {p for s in document["Statement"] for p in s["Principal"]["AWS"]}
        assert root in named, arn
        assert {p.split(":")[4] for p in named} == {_account(stack)}, arn
        assert all(s["Effect"] == "Allow" and set(s["Principal"]) == {"AWS"} for s in document["Statement"]), arn
    assert len(roles) == len(stack.arns) - 1 > 10


# --- another account, on the emulator ----------------------------------------------------------

def test_the_other_account_is_an_account_of_its_own(stack: Stack) -> None:
    """moto files the intruder under the other account, and that account's identity policies decide."""
    caller = stack.principals["other-account"]("sts").get_caller_identity()
    assert caller["Account"] == OTHER_ACCOUNT != _account(stack)
    assert "intruder" not in {u["UserName"] for u in stack.principals["deployer"]("iam").list_users()["Users"]}
    # With no identity policy, the same account's bystander is refused what its admin may do.
    assert attempt(stack, "other-account-bystander", "quality", "list") == "refused"
    assert attempt(stack, "other-account", "quality", "list") == "allowed"


@pytest.mark.parametrize(("bucket", "action"), [r for r in REQUESTS if r not in MOTO_CROSS_ACCOUNT])
def test_another_account_is_refused(stack: Stack, bucket: str, action: str) -> None:
    assert attempt(stack, "other-account", bucket, action) == "refused"


@pytest.mark.parametrize(("bucket", "action"), sorted(MOTO_CROSS_ACCOUNT))
def test_moto_lets_another_account_reach_bucket_settings(stack: Stack, bucket: str, action: str) -> None:
    """moto's limit, pinned: no owner consent for bucket-level requests (AWS: see the resource layer)."""
    assert attempt(stack, "other-account", bucket, action) == "allowed"


def test_moto_lets_another_account_read_once_no_policy_refuses_it(stack: Stack) -> None:
    """moto's limit, pinned: its refusals of the other account's object requests come from the
    conditional statements it applies to everyone; detached, the other account reads a recording."""
    with identity_layer(stack, "quality"):
        assert attempt(stack, "other-account", "quality", "read") == "allowed"


def test_moto_lets_another_account_assume_the_stack_roles(stack: Stack) -> None:
    """moto's limit, pinned: it skips the trust policy of a role outside the caller's account,
    which on AWS names this account alone (see test_every_role_and_key_trusts_this_account_alone)."""
    sts = stack.principals["other-account"]("sts")
    assumed = sts.assume_role(RoleArn=stack.arns["quality-reader"], RoleSessionName="intruder")
    assert assumed["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{_account(stack)}:assumed-role/")


# --- anonymous callers -----------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["deployed", "identity-layer"])
@pytest.mark.parametrize(("bucket", "action"), [r for r in REQUESTS if r[1] in OBJECT_ACTIONS])
def test_unsigned_object_requests_are_refused(stack: Stack, state: str, bucket: str, action: str) -> None:
    """moto checks an unsigned request on an existing object against the bucket policy and the
    object's ACL; what passes goes on to its IAM check, which fails on the missing signature
    (``crashed``). So only ``refused`` is a refusal: a crash here means the policy or an ACL let it by.
    In the identity layer only statements to everyone stay, so no conditional deny decides."""
    layer: AbstractContextManager[None] = identity_layer(stack, bucket) if state == "identity-layer" else nullcontext()
    with layer:
        request = prepare(stack, "anonymous", bucket, action)
        before = stack.fingerprint(bucket, request)
        outcome = run(stack, bucket, request)
        after = stack.fingerprint(bucket, request)
    assert outcome == "refused"
    assert after == before


@pytest.mark.parametrize(("bucket", "action"), [r for r in REQUESTS if r[1] not in OBJECT_ACTIONS])
def test_moto_cannot_judge_unsigned_bucket_requests(stack: Stack, bucket: str, action: str) -> None:
    """moto's limit, pinned: a bucket-level unsigned request goes straight to its IAM check and
    fails there (HTTP 500), changing nothing. On AWS no grant admits it: see the resource layer."""
    request = prepare(stack, "anonymous", bucket, action)
    before = stack.fingerprint(bucket, request)
    assert run(stack, bucket, request) == "crashed"
    assert stack.fingerprint(bucket, request) == before


def test_moto_fails_an_unsigned_settings_change_before_making_it(stack: Stack) -> None:
    """The crash comes before the change: even a lifecycle that would end every recording after a
    day leaves the lifecycle as it was."""
    name = stack.name("quality")
    anonymous = stack.principals["anonymous"]("s3")
    hostile = Attempt("change-lifecycle", lambda: anonymous.put_bucket_lifecycle_configuration(
        Bucket=name, LifecycleConfiguration={"Rules": [{"ID": "gone", "Status": "Enabled", "Filter": {"Prefix": ""},
                                                        "Expiration": {"Days": 1}}]}), "", "")
    assert run(stack, "quality", hostile) == "crashed"
    assert stack.admin.get_bucket_lifecycle_configuration(Bucket=name)["Rules"] == stack.rules["quality"]
