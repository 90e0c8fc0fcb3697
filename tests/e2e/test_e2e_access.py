"""Access matrix with the emulator's IAM enforcement on: principal x bucket x action.

Every purpose's bucket and the access-log bucket, every role the stack creates, its auditor and its
deployer, nine actions. ``_allowed`` states what each principal is for (DESIGN section 3), and
Object Lock's and the log bucket's limits; the test fails on any cell that allows more.

What moto emulates, and so what is proven here: identity policies (each role's inline policy, read
through its assumed-role session) decide every S3 request, bucket and object level, by action and
resource; Object Lock refuses deleting a locked version, honours the governance bypass header in
GOVERNANCE mode and refuses it in COMPLIANCE mode; an unconditional Deny to everyone in a bucket
policy (the log bucket's ``DenyDeletes``) is applied as AWS applies it. What it does not: a bucket
policy is consulted only for object GET/PUT/DELETE/HEAD, with principals and conditions ignored
(every conditional statement applies to everyone), so the conditional statements are detached while
the identity layer is measured, and the cells decided by them alone are listed in BUCKET_POLICY_ONLY
with the statement that decides each; a test reads that statement's effect off the deployed
document. moto also authorises PutObjectRetention and PutObjectLegalHold as s3:PutObject (pinned
below), and PutObjectLockConfiguration as s3:CreateBucket (the answers coincide: only the deployer
holds either).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from lifecycle.legal import LIMITS, LockMode, Purpose
from sandbox.emulator import Emulator
from tests.e2e.access_matrix import (
    ACTIONS,
    BUCKETS,
    IAM_ACTIONS,
    LOCK_MODES,
    LOCKED,
    LOGS,
    NOT_APPLICABLE,
    PRINCIPALS,
    PURPOSE_ROLES,
    RETENTION_ASKED_DAYS,
    Stack,
    attempt,
    build_stack,
    denying_statements,
    deployed_denies,
    enforced,
    identity_layer,
    request_context,
    seeded_key,
)

pytestmark = pytest.mark.e2e
Cell = tuple[str, str, str]
RECORDINGS = tuple(b for b in BUCKETS if b != LOGS)

GRANTS = {
    "writer": frozenset({"write"}),
    "reader": frozenset({"read", "list"}),
    "erasure": frozenset({"list", "delete-version", "bypass-governance"}),
}
"""What a purpose's role is for, on its own bucket only: the recorder uploads, the purpose's team
reads, the data protection officer erases on an objection."""
DEPLOYER = frozenset({"list", "change-lifecycle", "change-lock", "change-policy"})
"""The deployer manages the buckets' settings; it reads and writes no recording."""


def _allowed(principal: str, bucket: str, action: str) -> bool:
    """What the policy intends (roles, auditor, deployer), narrowed by Object Lock and the log bucket's deny."""
    if principal == "deployer":
        granted = action in DEPLOYER
    elif principal == "auditor":
        # Auditors verify every bucket's objects and read the access logs, never a recording.
        granted = action == "list" or (action == "read" and bucket == LOGS)
    else:
        purpose, kind = PURPOSE_ROLES[principal]
        granted = purpose == bucket and action in GRANTS[kind]
    if not granted:
        return False
    if action == "delete-version":
        return False  # every recording version is under its bucket's default lock; logs are never deleted by hand
    if action == "bypass-governance":
        return LOCK_MODES[bucket] is LockMode.GOVERNANCE  # COMPLIANCE cannot be bypassed
    return True


BUCKET_POLICY_ONLY: dict[Cell, str] = {
    # The deployer's identity allows everything; on AWS the bucket policy keeps it from the content.
    **{("deployer", b, "read"): "DenyReadsOutsidePurpose" for b in BUCKETS},
    **{("deployer", b, "write"): "DenyWritesOutsidePurpose" for b in RECORDINGS},
    **{("deployer", b, "bypass-governance"): "DenyGovernanceBypass" for b in LOCKED
       if LOCK_MODES[b] is LockMode.GOVERNANCE},  # on a COMPLIANCE bucket the lock refuses it, measured
    **{("deployer", b, "retention-beyond-stack"): "DenyRetentionBeyondStackRetention" for b in LOCKED},
    # The dispute team may set retention, but no further than the stack keeps proof: a live dispute
    # is what legal holds are for.
    ("proof-reader", "proof", "retention-beyond-stack"): "DenyRetentionBeyondStackRetention",
    # Only S3's delivery writes logs; the deployer's s3:* identity is refused by the log bucket's policy.
    ("deployer", LOGS, "write"): "DenyWritesOutsideDelivery",
}
"""Cells whose answer on AWS comes from a conditional bucket-policy statement, with that statement."""

MOTO_AS_PUT_OBJECT = {(f"{b}-writer", b, "retention-beyond-stack") for b in LOCKED}
"""moto authorises PutObjectRetention as s3:PutObject: a writer may set retention there, not on AWS."""

KNOWN_GAPS: dict[Cell, str] = {}
"""Cells the deployed policy allows and the design does not: strict xfail, red once the policy closes them."""

CELLS = [
    pytest.param(p, b, a, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[(p, b, a)]))
    if (p, b, a) in KNOWN_GAPS else pytest.param(p, b, a)
    for p in PRINCIPALS for b in BUCKETS for a in ACTIONS
    if (b, a) not in NOT_APPLICABLE and (p, b, a) not in BUCKET_POLICY_ONLY.keys() | MOTO_AS_PUT_OBJECT
]


@pytest.fixture(scope="module")
def stack(emulator: Emulator) -> Iterator[Stack]:
    deployed = build_stack(emulator, "access")
    with enforced(emulator):
        yield deployed


def test_the_matrix_covers_every_bucket_and_role_the_stack_exports(stack: Stack) -> None:
    """Buckets and roles come from the design; a purpose or role the program adds must join the matrix."""
    exported = {f"{purpose}-{kind}" for purpose, kinds in stack.outputs["roleArns"].items() for kind in kinds}
    assert set(stack.outputs["buckets"]) == set(BUCKETS)
    assert exported == set(PURPOSE_ROLES)


def test_the_logging_service_delivers_into_the_log_bucket(stack: Stack) -> None:
    """The log bucket's one designed writer. moto delivers a log object per request to a logged
    bucket, and accepts a bucket's logging only if the log bucket's policy admits S3's logging
    service (``AllowServerAccessLogDelivery``), as S3 does; the delivery itself bypasses IAM."""
    s3, logs = stack.admin, stack.name(LOGS)

    def delivered() -> int:
        listing = s3.list_object_versions(Bucket=logs, Prefix="evidence/2")
        return len(listing.get("Versions", []))

    before = delivered()
    assert attempt(stack, "evidence-reader", "evidence", "list") == "allowed"
    assert delivered() > before


@pytest.mark.parametrize(("principal", "bucket", "action"), CELLS)
def test_access_equals_what_the_policy_says(stack: Stack, principal: str, bucket: str, action: str) -> None:
    with identity_layer(stack, bucket):
        outcome = attempt(stack, principal, bucket, action)
    assert outcome != "crashed", "the emulator failed on a signed request"
    assert (outcome == "allowed") is _allowed(principal, bucket, action)


@pytest.mark.parametrize(("principal", "bucket", "action"), sorted(BUCKET_POLICY_ONLY))
def test_bucket_policy_only_cells_are_denied_by_the_deployed_policy(
    stack: Stack, principal: str, bucket: str, action: str
) -> None:
    """The cells moto cannot measure: the deployed document carries the deny that decides each."""
    assert _allowed(principal, bucket, action) is False
    assert BUCKET_POLICY_ONLY[(principal, bucket, action)] in deployed_denies(stack, principal, bucket, action)


def test_no_deployed_deny_refuses_what_the_policy_grants(stack: Stack) -> None:
    """The other way round: no conditional statement (which moto cannot judge) refuses an intended request."""
    refused = {(p, b, a): deployed_denies(stack, p, b, a) for p in PRINCIPALS for b in BUCKETS for a in ACTIONS
               if (b, a) not in NOT_APPLICABLE and _allowed(p, b, a)}
    assert {cell: sids for cell, sids in refused.items() if sids} == {}
    assert len(refused) > 20


def test_moto_applies_conditional_bucket_policy_denies_to_everyone(stack: Stack) -> None:
    """The documented limit: with the governed policy attached, even the quality readers cannot read."""
    assert attempt(stack, "quality-reader", "quality", "read") == "refused"


@pytest.mark.parametrize(("principal", "bucket", "action"), sorted(MOTO_AS_PUT_OBJECT))
def test_moto_authorises_object_retention_as_put_object(stack: Stack, principal: str, bucket: str, action: str) -> None:
    """The documented limit: writers hold s3:PutObject only, and moto lets them set retention."""
    with identity_layer(stack, bucket):
        assert attempt(stack, principal, bucket, action) == "allowed"


def test_moto_authorises_legal_holds_as_put_object(stack: Stack) -> None:
    """The documented limit: moto lets the recorder place a legal hold (it holds s3:PutObject) and
    refuses the dispute team (it holds s3:PutObjectLegalHold). On AWS it is the other way round,
    which the deployed document shows: holds are the dispute team's alone."""
    with identity_layer(stack, "proof"):
        assert attempt(stack, "proof-writer", "proof", "legal-hold") == "allowed"
        assert attempt(stack, "proof-reader", "proof", "legal-hold") == "refused"
    assert "DenyLegalHoldOutsidePurpose" in deployed_denies(stack, "proof-writer", "proof", "legal-hold")
    assert deployed_denies(stack, "proof-reader", "proof", "legal-hold") == []


@pytest.mark.parametrize("bucket", [b for b in LOCKED if LOCK_MODES[b] is LockMode.COMPLIANCE])
def test_compliance_versions_survive_every_principal(stack: Stack, bucket: str) -> None:
    name = stack.name(bucket)
    with identity_layer(stack, bucket):
        for principal in PRINCIPALS:
            assert attempt(stack, principal, bucket, "bypass-governance") == "refused", principal
            assert attempt(stack, principal, bucket, "delete-version") == "refused", principal
        # An overwrite by the writer adds a version; the locked one is untouched.
        stack.principals[f"{bucket}-writer"]("s3").put_object(Bucket=name, Key=seeded_key(bucket), Body=b"OVERWRITE",
                                                              **stack.put_args(bucket))
        body = stack.admin.get_object(Bucket=name, Key=seeded_key(bucket), VersionId=stack.versions[bucket])["Body"]
        assert body.read() == b"RIFF"


def test_log_versions_survive_every_principal(stack: Stack) -> None:
    """Nobody deletes a log version, bypass header or not: the unconditional deny holds on the emulator too."""
    with identity_layer(stack, LOGS):
        for principal in PRINCIPALS:
            assert attempt(stack, principal, LOGS, "delete-version") == "refused", principal
            assert attempt(stack, principal, LOGS, "bypass-governance") == "refused", principal
        assert stack.holds(LOGS, seeded_key(LOGS), stack.versions[LOGS])



@pytest.mark.parametrize("bucket", LOCKED)
def test_per_object_retention_is_bounded_by_the_stacks_retention_not_the_law(stack: Stack, bucket: str) -> None:
    """The deployed deny refuses one day past the stack's retention and nothing short of it, for the
    dispute team as for anyone: the legal maximum is no longer the bound (where the stack keeps less)."""
    document = json.loads(stack.policies[bucket])
    actions, _ = IAM_ACTIONS["retention-beyond-stack"]
    resource = f"arn:aws:s3:::{stack.name(bucket)}/{seeded_key(bucket)}"
    holder = "proof-reader" if bucket == "proof" else "deployer"
    beyond = request_context(stack, holder, bucket, "retention-beyond-stack")
    within = {**beyond, "s3:object-lock-remaining-retention-days": str(RETENTION_ASKED_DAYS[bucket] - 1)}
    assert denying_statements(document, actions, resource, beyond) == ["DenyRetentionBeyondStackRetention"]
    if holder == "proof-reader":
        assert denying_statements(document, actions, resource, within) == []
    if bucket == "proof":
        # Far short of the legal maximum, which alone bounded the dispute team before.
        assert RETENTION_ASKED_DAYS[bucket] < LIMITS[Purpose.PROOF].max_days - 1
