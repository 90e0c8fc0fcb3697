"""Nothing lost: a locked proof or evidence version survives every principal's attempt to remove or replace it.

With the emulator's IAM enforcement on, each role the stack creates (``roleArns``), the auditor and an
administrator deployer user (``Action: *``) try, on the proof and the evidence bucket, every request
that could remove a version, weaken its lock or bury it: delete it by version (with and without the
governance bypass, one by one and in a batch), shorten its COMPLIANCE retention or switch it to
GOVERNANCE, overwrite its key, copy another object over it, delete the key, install a lifecycle that
would expire it, delete the bucket. After every attempt, the original version is read back: its bytes,
its lock mode and its retain-until date must be exactly those it was written with.

What decides each attempt here is IAM (each identity policy, evaluated by the emulator) and Object
Lock as the emulator implements it. The bucket policies are detached while the attempts run, because
the emulator applies their conditional denies to every caller (tests/e2e/test_e2e_access.py), which
would refuse everything and prove nothing: the identity layer and Object Lock are measured alone.

Where the emulator lacks an S3 rule, the cells it cannot judge are listed, not run against the
original, and the gap is pinned by a test of its own below: on AWS the rule named there decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.deploy import deploy, emulator_clients
from sandbox.emulator import Emulator
from sandbox.seed import bucket_policies_lifted, role_clients
from tests.e2e.access_matrix import admin_user, enforced

pytestmark = pytest.mark.e2e
KEPT = ("proof", "evidence")
ROLES = ("quality-writer", "quality-reader", "quality-erasure", "proof-writer", "proof-reader",
         "evaluations-writer", "evaluations-reader", "evaluations-erasure", "evidence-writer", "evidence-reader",
         "auditor", "deployer")
"""Every role of ``roleArns``, the auditor role, and the deployer: an IAM user allowed every action."""
KEYS = {"proof": "proof/2026/01/05/CALL-0042.wav", "evidence": "nightly/verify/20260105T020000Z-0123abcd/evidence.json"}


@dataclass(frozen=True)
class Original:
    """The locked version under attack, as it was written."""

    bucket: str
    key: str
    version: str
    body: bytes
    mode: str
    retain_until: datetime
    key_arn: str
    decoy: str
    """Another object of the bucket, the source of the copy-over attempt."""


@dataclass
class Kept:
    """The deployed stack: every principal's clients and the original version in each kept bucket."""

    actors: dict[str, Callable[[str], Any]]
    originals: dict[str, Original]
    lifecycles: dict[str, list[dict[str, Any]]]

    @property
    def admin(self) -> Any:
        return self.actors["deployer"]("s3")


def _with_checksum_header(request: Any, **_: Any) -> None:
    # See test_moto_requires_a_checksum_header_to_copy_into_a_locked_bucket.
    request.headers["x-amz-sdk-checksum-algorithm"] = "CRC32"


def _copy_over(s3: Any, o: Original) -> Any:
    s3.meta.events.register("before-sign.s3.CopyObject", _with_checksum_header)
    try:
        return s3.copy_object(Bucket=o.bucket, Key=o.key, CopySource={"Bucket": o.bucket, "Key": o.decoy},
                              ServerSideEncryption="aws:kms", SSEKMSKeyId=o.key_arn)
    finally:
        s3.meta.events.unregister("before-sign.s3.CopyObject", _with_checksum_header)


def _tomorrow() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


EXPIRE_EVERYTHING = [{"ID": "expire-everything", "Status": "Enabled", "Filter": {"Prefix": ""},
                      "Expiration": {"Days": 1}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]

Attempt = Callable[[Any, Original], Any]
ATTEMPTS: dict[str, Attempt] = {
    "delete-version": lambda s3, o: s3.delete_object(Bucket=o.bucket, Key=o.key, VersionId=o.version),
    "delete-version-bypassing-governance": lambda s3, o: s3.delete_object(
        Bucket=o.bucket, Key=o.key, VersionId=o.version, BypassGovernanceRetention=True),
    "delete-versions-in-batch": lambda s3, o: s3.delete_objects(
        Bucket=o.bucket, Delete={"Objects": [{"Key": o.key, "VersionId": o.version}]}),
    "delete-versions-in-batch-bypassing-governance": lambda s3, o: s3.delete_objects(
        Bucket=o.bucket, Delete={"Objects": [{"Key": o.key, "VersionId": o.version}]}, BypassGovernanceRetention=True),
    "shorten-retention": lambda s3, o: s3.put_object_retention(
        Bucket=o.bucket, Key=o.key, VersionId=o.version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": _tomorrow()}),
    "switch-to-governance": lambda s3, o: s3.put_object_retention(
        Bucket=o.bucket, Key=o.key, VersionId=o.version,
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": o.retain_until}),
    "switch-to-governance-bypassing-governance": lambda s3, o: s3.put_object_retention(
        Bucket=o.bucket, Key=o.key, VersionId=o.version, BypassGovernanceRetention=True,
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _tomorrow()}),
    "delete-bucket": lambda s3, o: s3.delete_bucket(Bucket=o.bucket),
    "delete-key": lambda s3, o: s3.delete_object(Bucket=o.bucket, Key=o.key),
    "overwrite": lambda s3, o: s3.put_object(Bucket=o.bucket, Key=o.key, Body=b"FORGED",
                                             ServerSideEncryption="aws:kms", SSEKMSKeyId=o.key_arn),
    "copy-over": _copy_over,
    "expire-by-lifecycle": lambda s3, o: s3.put_bucket_lifecycle_configuration(
        Bucket=o.bucket, LifecycleConfiguration={"Rules": EXPIRE_EVERYTHING}),
}
"""Every request that could remove the version, weaken its lock, or put other bytes in its place."""

MUST_BE_REFUSED = {"delete-version", "delete-version-bypassing-governance", "delete-versions-in-batch",
                   "delete-versions-in-batch-bypassing-governance", "shorten-retention", "switch-to-governance",
                   "switch-to-governance-bypassing-governance", "delete-bucket"}
"""Attempts that act on the version itself (or its bucket): the request must fail. The others may
succeed, since they only add (a new version, a delete marker, a rule): the original must stay as it was."""

RETENTION_CHANGES = ("shorten-retention", "switch-to-governance", "switch-to-governance-bypassing-governance")
MOTO_KEEPS_NO_COMPLIANCE = {
    *{("deployer", b, a) for b in KEPT for a in RETENTION_CHANGES},
    *{(f"{b}-writer", b, a) for b in KEPT for a in RETENTION_CHANGES},
}
"""Cells the emulator cannot judge: IAM lets the request through (the deployer may do anything; the
emulator authorises PutObjectRetention as s3:PutObject, which the writers hold), and then the emulator
shortens or re-modes a COMPLIANCE lock. On S3 a COMPLIANCE retention can be neither shortened nor changed
to GOVERNANCE by any principal, the root user included. Pinned below.

The dispute team (proof-reader) is the converse: its identity policy allows s3:PutObjectRetention (legal
holds), yet the emulator refuses it for want of s3:PutObject, so its retention cells pass here on IAM
where S3 would refuse them on the COMPLIANCE rule (pinned too)."""

CELLS = [(r, b, a) for r in ROLES for b in KEPT for a in ATTEMPTS if (r, b, a) not in MOTO_KEEPS_NO_COMPLIANCE]


def _write(s3: Any, bucket: str, key: str, body: bytes, key_arn: str) -> str:
    return str(s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="aws:kms",
                             SSEKMSKeyId=key_arn)["VersionId"])


@pytest.fixture(scope="module")
def kept(emulator: Emulator) -> Iterator[Kept]:
    """The stack deployed by an administrator user, originals written by the recorders, IAM enforced."""
    emulator.reset()
    deployer = admin_user(emulator_clients(emulator.endpoint_url)("iam"), "deployer")
    outputs = deploy(emulator.endpoint_url, stack="kept", config={"aws:region": emulator.region},
                     credentials=deployer).outputs
    actors: dict[str, Callable[[str], Any]] = {
        "deployer": emulator_clients(emulator.endpoint_url, emulator.region, deployer)}
    for purpose, kinds in outputs["roleArns"].items():
        for kind, arn in kinds.items():
            actors[f"{purpose}-{kind}"] = role_clients(emulator.endpoint_url, arn, emulator.region, "nothing-lost")
    actors["auditor"] = role_clients(emulator.endpoint_url, outputs["auditorRoleArn"], emulator.region, "nothing-lost")
    assert set(actors) == set(ROLES), "every role the stack creates is an attacker here"
    admin = actors["deployer"]("s3")
    names = [outputs["buckets"][p] for p in KEPT]
    originals, lifecycles = {}, {}
    with bucket_policies_lifted(admin, names):
        for purpose, name in zip(KEPT, names, strict=True):
            writer, key_arn = actors[f"{purpose}-writer"]("s3"), outputs["keyArns"][purpose]
            body = f"original {purpose} bytes".encode()
            version = _write(writer, name, KEYS[purpose], body, key_arn)
            decoy = f"{KEYS[purpose]}.decoy"
            _write(writer, name, decoy, b"DECOY", key_arn)
            head = admin.head_object(Bucket=name, Key=KEYS[purpose], VersionId=version)
            originals[purpose] = Original(name, KEYS[purpose], version, body, head["ObjectLockMode"],
                                          head["ObjectLockRetainUntilDate"], key_arn, decoy)
            lifecycles[purpose] = admin.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        with enforced(emulator):
            yield Kept(actors, originals, lifecycles)


def assert_intact(kept: Kept, purpose: str) -> None:
    """The original version is there, with its bytes, its lock mode and its retain-until date."""
    o = kept.originals[purpose]
    head = kept.admin.head_object(Bucket=o.bucket, Key=o.key, VersionId=o.version)
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == (o.mode, o.retain_until)
    assert kept.admin.get_object(Bucket=o.bucket, Key=o.key, VersionId=o.version)["Body"].read() == o.body


def refused(attempt: str, response: Any, original: Original) -> bool:
    """Whether an answered request left the version alone: a batch delete reports its refusals per key."""
    if attempt.startswith("delete-versions-in-batch"):
        return not any(d.get("VersionId") == original.version for d in response.get("Deleted", []))
    return False


def test_the_originals_are_locked_in_compliance_mode(kept: Kept) -> None:
    """The defaults the attempts run against: COMPLIANCE, retain-until a year (proof) or five years (evidence) on."""
    for purpose, days in (("proof", 364), ("evidence", 1824)):
        o = kept.originals[purpose]
        assert o.mode == "COMPLIANCE"
        assert o.retain_until > datetime.now(UTC) + timedelta(days=days - 1), purpose


@pytest.mark.parametrize(("role", "bucket", "attempt"), CELLS)
def test_locked_versions_survive_every_attempt(kept: Kept, role: str, bucket: str, attempt: str) -> None:
    original = kept.originals[bucket]
    try:
        response = ATTEMPTS[attempt](kept.actors[role]("s3"), original)
    except ClientError as err:
        response = None
        code = str(err.response.get("Error", {}).get("Code"))
        assert code in ("AccessDenied", "BucketNotEmpty", "403"), f"{role} {attempt}: refused for {code}?"
    try:
        if attempt in MUST_BE_REFUSED and response is not None:
            assert refused(attempt, response, original), f"{role} {attempt} was accepted: {response}"
        assert_intact(kept, bucket)
    finally:
        if attempt == "expire-by-lifecycle" and response is not None:
            # The deployer may change the lifecycle (and S3 would run it): put the deployed one back.
            kept.admin.put_bucket_lifecycle_configuration(
                Bucket=original.bucket, LifecycleConfiguration={"Rules": kept.lifecycles[bucket]})


def test_only_the_deployer_can_change_the_lifecycle(kept: Kept) -> None:
    """The one accepted attempt that would, on S3, act later: only the deployer can install it, and S3's
    lifecycle does not remove a version before its retain-until date (the emulator runs no lifecycle at
    all, see test_moto_never_runs_lifecycle_rules)."""
    for purpose in KEPT:
        for role in ROLES:
            try:
                ATTEMPTS["expire-by-lifecycle"](kept.actors[role]("s3"), kept.originals[purpose])
            except ClientError as err:
                assert role != "deployer", err
                continue
            finally:
                kept.admin.put_bucket_lifecycle_configuration(
                    Bucket=kept.originals[purpose].bucket, LifecycleConfiguration={"Rules": kept.lifecycles[purpose]})
            assert role == "deployer", f"{role} changed the {purpose} lifecycle"


def test_every_original_is_intact_and_every_bucket_stands(kept: Kept) -> None:
    for purpose in KEPT:
        assert_intact(kept, purpose)
        versions = kept.admin.list_object_versions(Bucket=kept.originals[purpose].bucket)["Versions"]
        assert kept.originals[purpose].version in {v["VersionId"] for v in versions}


# --- what the emulator does not emulate, pinned -----------------------------------------------------------


@pytest.mark.parametrize(("role", "bucket", "attempt"), sorted(MOTO_KEEPS_NO_COMPLIANCE))
def test_moto_lets_a_compliance_lock_be_shortened_or_re_moded(kept: Kept, role: str, bucket: str,
                                                              attempt: str) -> None:
    """moto accepts PutObjectRetention that shortens a COMPLIANCE retain-until date or turns the mode to
    GOVERNANCE, from whoever IAM lets through. S3 refuses both to every principal, the root user included
    ("Using S3 Object Lock", compliance mode). So these cells run on a scratch version of their own, never
    the original, and this test fails the day the emulator enforces the rule: run them for real then."""
    o = kept.originals[bucket]
    scratch_key = f"{o.key}.{role}.{attempt}"
    with_writer = kept.actors[f"{bucket}-writer"]("s3")
    version = _write(with_writer, o.bucket, scratch_key, b"scratch", o.key_arn)
    scratch = Original(o.bucket, scratch_key, version, b"scratch", o.mode, o.retain_until, o.key_arn, o.decoy)
    before = kept.admin.head_object(Bucket=o.bucket, Key=scratch_key, VersionId=version)
    ATTEMPTS[attempt](kept.actors[role]("s3"), scratch)
    after = kept.admin.head_object(Bucket=o.bucket, Key=scratch_key, VersionId=version)
    assert (after["ObjectLockMode"], after["ObjectLockRetainUntilDate"]) != (
        before["ObjectLockMode"], before["ObjectLockRetainUntilDate"])


def test_moto_refuses_the_dispute_team_the_retention_its_policy_allows(kept: Kept) -> None:
    """The proof readers' identity policy allows s3:PutObjectRetention (placing a dispute's retention), but
    moto authorises that request as s3:PutObject, which they do not hold, and refuses even a lawful
    extension. On S3 it is allowed within the stack's retention (DenyRetentionBeyondStackRetention), and any
    shortening is refused by the COMPLIANCE rule instead."""
    o = kept.originals["proof"]
    version = _write(kept.actors["proof-writer"]("s3"), o.bucket, f"{o.key}.dispute", b"scratch", o.key_arn)
    with pytest.raises(ClientError) as denied:
        kept.actors["proof-reader"]("s3").put_object_retention(
            Bucket=o.bucket, Key=f"{o.key}.dispute", VersionId=version,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": o.retain_until + timedelta(days=30)})
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


@pytest.fixture
def scratch_bucket(kept: Kept) -> Iterator[tuple[Any, str]]:
    """A locked, versioned bucket outside the stack, made and emptied by the administrator."""
    s3, name = kept.admin, "recgov-nothing-lost-scratch"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name},
                     ObjectLockEnabledForBucket=True)
    try:
        yield s3, name
    finally:
        for v in s3.list_object_versions(Bucket=name).get("Versions", []):
            s3.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"], BypassGovernanceRetention=True)
        s3.delete_bucket(Bucket=name)


def test_moto_never_runs_lifecycle_rules(scratch_bucket: tuple[Any, str]) -> None:
    """moto stores lifecycle rules and never applies them: an expiry dated in the past leaves the object
    current. On S3 the daily run would add a delete marker and, for noncurrent versions, remove the
    bytes, except those of a version whose retain-until date is still ahead. Hence the lifecycle cells
    above prove who may install a rule, not what the rule would do."""
    s3, name = scratch_bucket
    s3.put_object(Bucket=name, Key="kept.wav", Body=b"x")
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "past", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Date": datetime(2020, 1, 1,
                                                                                                     tzinfo=UTC)}}]})
    assert s3.get_object(Bucket=name, Key="kept.wav")["Body"].read() == b"x"
    assert "DeleteMarkers" not in s3.list_object_versions(Bucket=name)


def test_moto_requires_a_checksum_header_to_copy_into_a_locked_bucket(kept: Kept) -> None:
    """moto refuses a CopyObject into a bucket with a default retention unless the request carries
    Content-MD5 or x-amz-sdk-checksum-algorithm, which botocore sends with PutObject's body but not with
    CopyObject, which has none. The copy-over attempts add the header so that IAM and Object Lock, not
    this check, decide them."""
    o = kept.originals["proof"]
    with pytest.raises(ClientError) as refused_copy:
        kept.admin.copy_object(Bucket=o.bucket, Key=f"{o.key}.copied", CopySource={"Bucket": o.bucket, "Key": o.decoy},
                               ServerSideEncryption="aws:kms", SSEKMSKeyId=o.key_arn)
    assert refused_copy.value.response["Error"]["Code"] == "MissingUploadObjectWithObjectLockHeaders"


def test_moto_lets_versioning_be_suspended_on_a_locked_bucket(scratch_bucket: tuple[Any, str]) -> None:
    """moto accepts suspending versioning on a bucket with Object Lock; S3 refuses it (InvalidBucketState:
    an Object Lock configuration is present). No attempt above suspends versioning for that reason; the
    deployer alone may send the request (DenyConfigurationChanges), and it changes no existing version."""
    s3, name = scratch_bucket
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
