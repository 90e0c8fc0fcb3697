"""Every check on moto: a compliant stack passes, each drift fails precisely, each unreadable setting errors."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from governance.checks import CHECKS
from governance.collect import Observed, make_clients
from governance.model import Severity, Status
from governance.targets import StackOutputs, Target
from governance.verify import collect_targets, judge_snapshots
from lifecycle.access import log_delivery_statement
from lifecycle.legal import Purpose
from lifecycle.render import inventory_configuration, lifecycle_rules
from sandbox.appliers import physical_name
from sandbox.program import PROJECT
from tests.governance.support import PREFIX, STACK, Account, only, unreadable_snapshot

Drift = Callable[[Account], None]
Q, P, E, L = Purpose.QUALITY, Purpose.PROOF, Purpose.EVALUATIONS, Purpose.ACCESS_LOGS
QUALITY_WRITER = f"arn:aws:iam::123456789012:role/{physical_name(PROJECT, STACK, f'{PREFIX}-quality-writer')}"
"""The writer role the program creates for quality (the sandbox names it as Pulumi would, with a suffix)."""


def test_a_compliant_stack_passes_every_check(account: Account) -> None:
    report = account.verify()
    assert report.results, "a report with no results proves nothing"
    assert [r for r in report.results if r.status is not Status.PASS] == []
    assert {r.check for r in report.results} == {c.meta.id for c in CHECKS}


# --- drift helpers ------------------------------------------------------------------------------


def lifecycle(purpose: Purpose, *rules: dict[str, Any]) -> Drift:
    def apply(a: Account) -> None:
        a.s3.put_bucket_lifecycle_configuration(Bucket=a.bucket(purpose), LifecycleConfiguration={"Rules": list(rules)})

    return apply


def rule(rule_id: str, *, days: int | None = None, noncurrent: int | None = None, prefix: str = "",
         status: str = "Enabled", date: datetime | None = None, abort: int | None = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": rule_id, "Status": status, "Filter": {"Prefix": prefix}}
    if days is not None:
        out["Expiration"] = {"Days": days}
    if date is not None:
        out["Expiration"] = {"Date": date}
    if noncurrent is not None:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": noncurrent}
    if abort is not None and not prefix:
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": abort}
    return out


MARKERS = {"ID": "markers", "Status": "Enabled", "Filter": {"Prefix": ""},
           "Expiration": {"ExpiredObjectDeleteMarker": True}}


def edit_policy(purpose: Purpose, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Drift:
    def apply(a: Account) -> None:
        name = a.bucket(purpose)
        doc = json.loads(a.s3.get_bucket_policy(Bucket=name)["Policy"])
        doc["Statement"] = change(doc["Statement"])
        a.s3.put_bucket_policy(Bucket=name, Policy=json.dumps(doc))

    return apply


def without(*sids: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    return lambda stmts: [s for s in stmts if s.get("Sid") not in sids]


def tweak(sid: str, fn: Callable[[dict[str, Any]], None]) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    def change(stmts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for s in stmts:
            if s.get("Sid") == sid:
                fn(s)
        return stmts

    return change


def call(method: str, purpose: Purpose, **kwargs: Any) -> Drift:
    return lambda a: getattr(a.s3, method)(Bucket=a.bucket(purpose), **kwargs)


def other_key(a: Account) -> None:
    key = a.kms.create_key()["KeyMetadata"]["Arn"]
    a.s3.put_bucket_encryption(Bucket=a.bucket(Q), ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
        "BucketKeyEnabled": True}]})


def no_bucket_key(a: Account) -> None:
    key = a.outputs["keyArns"]["quality"]
    a.s3.put_bucket_encryption(Bucket=a.bucket(Q), ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
        "BucketKeyEnabled": False}]})


def rotation_off(a: Account) -> None:
    a.kms.disable_key_rotation(KeyId=a.outputs["keyArns"]["quality"])


ROOT = "arn:aws:iam::123456789012:root"
DEFAULT_KEY_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*",
     "Resource": "*"}]}
"""What KMS gives a key created without a policy: the account's IAM decides who decrypts."""


def key_policy_edit(change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Drift:
    def apply(a: Account) -> None:
        key = a.outputs["keyArns"]["quality"]
        doc = json.loads(a.kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        doc["Statement"] = change(doc["Statement"])
        a.kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(doc))

    return apply


def grant(sid: str, principal: Any, action: Any) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    return lambda stmts: [*stmts, {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action,
                                   "Resource": "*"}]


def default_key_policy(a: Account) -> None:
    a.kms.put_key_policy(KeyId=a.outputs["keyArns"]["quality"], PolicyName="default",
                         Policy=json.dumps(DEFAULT_KEY_POLICY))


def key_id(a: Account, purpose: Purpose) -> str:
    # The id, not the ARN: moto's DisableKey and ScheduleKeyDeletion look keys up by id only.
    return str(a.outputs["keyArns"][str(purpose)]).rsplit("/", 1)[-1]


def key_disabled(purpose: Purpose) -> Drift:
    return lambda a: a.kms.disable_key(KeyId=key_id(a, purpose))


def key_pending_deletion(purpose: Purpose) -> Drift:
    return lambda a: a.kms.schedule_key_deletion(KeyId=key_id(a, purpose), PendingWindowInDays=7)


def log_elsewhere(a: Account) -> None:
    a.s3.create_bucket(Bucket="somewhere-else", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    statement = log_delivery_statement("arn:aws:s3:::somewhere-else", "123456789012", [f"arn:aws:s3:::{a.bucket(Q)}"])
    a.s3.put_bucket_policy(Bucket="somewhere-else", Policy=json.dumps({"Version": "2012-10-17",
                                                                       "Statement": [statement]}))
    a.s3.put_bucket_logging(Bucket=a.bucket(Q), BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "somewhere-else", "TargetPrefix": "quality/"}})


def replicate_to(purpose: Purpose) -> Drift:
    def apply(a: Account) -> None:
        a.s3.put_bucket_replication(Bucket=a.bucket(Q), ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [{"ID": "copy", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                       "DeleteMarkerReplication": {"Status": "Disabled"},
                       "Destination": {"Bucket": f"arn:aws:s3:::{a.bucket(purpose)}"}}]})

    return apply


def inventory(purpose: Purpose, **changes: Any) -> Drift:
    """Replace the bucket's recgov-daily inventory with one that differs by ``changes``."""
    def apply(a: Account) -> None:
        config = inventory_configuration(f"arn:aws:s3:::{a.bucket(L)}", "123456789012") | changes
        a.s3.put_bucket_inventory_configuration(Bucket=a.bucket(purpose), Id="recgov-daily",
                                                InventoryConfiguration=config)
    return apply


QUALITY_RULES = lifecycle_rules(90)

# (check, purpose, drift, required severity or None, fragment of the finding)
FAILS: list[tuple[str, Purpose, Drift, Severity | None, str]] = [
    ("RG-PURPOSE-TAG", Q, call("put_bucket_tagging", Q, Tagging={"TagSet": [{"Key": "recgov:purpose",
                                                                               "Value": "proof"}]}),
     None, "recgov:purpose=proof"),
    ("RG-PURPOSE-TAG", Q, call("delete_bucket_tagging", Q), None, "no purpose tag"),
    ("RG-VERSIONING-ENABLED", L, call("put_bucket_versioning", L, VersioningConfiguration={"Status": "Suspended"}),
     None, "versioning Suspended"),
    ("RG-OBJECT-LOCK-DEFAULT", Q, call("put_object_lock_configuration", Q, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}}),
     None, "GOVERNANCE for 30 days"),
    ("RG-OBJECT-LOCK-COMPLIANCE-MAX", P, call("put_object_lock_configuration", P, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1900}}}),
     Severity.CRITICAL, "beyond the legal maximum of 1825 days"),
    ("RG-OBJECT-LOCK-COMPLIANCE-MAX", P, call("put_object_lock_configuration", P, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 5}}}),
     Severity.CRITICAL, "1830 days"),
    # DESIGN section 4: expiry on a versioned bucket only adds a delete marker.
    ("RG-LIFECYCLE-WORST-CASE", Q, lifecycle(Q, rule("expire", days=87), MARKERS), Severity.CRITICAL,
     "no enabled rule covering every key removes noncurrent versions"),
    ("RG-LIFECYCLE-WORST-CASE", Q, lifecycle(Q, rule("expire", days=87, noncurrent=1, prefix="quality/"), MARKERS),
     Severity.CRITICAL, "covers only keys with prefix 'quality/'"),
    ("RG-LIFECYCLE-WORST-CASE", Q, lifecycle(Q, rule("expire", days=87, noncurrent=1, status="Disabled"), MARKERS),
     Severity.CRITICAL, "rule expire is disabled"),
    ("RG-LIFECYCLE-WORST-CASE", Q, lifecycle(Q, rule("expire", date=datetime(2030, 1, 1, tzinfo=UTC), noncurrent=1),
                                            MARKERS), Severity.CRITICAL, "not a retention period"),
    ("RG-LIFECYCLE-WORST-CASE", Q, lifecycle(Q, rule("expire", days=200, noncurrent=1), MARKERS),
     Severity.CRITICAL, "up to 203 days"),
    ("RG-LIFECYCLE-WORST-CASE", Q, lifecycle(Q, rule("expire", days=120, noncurrent=1), MARKERS),
     Severity.HIGH, "up to 123 days"),
    # Midnight rounding: 88 + 1 + 1 + 1 is one day over 90.
    ("RG-LIFECYCLE-WORST-CASE", Q, lifecycle(Q, rule("expire", days=88, noncurrent=1), MARKERS),
     Severity.HIGH, "up to 91 days"),
    ("RG-LIFECYCLE-WORST-CASE", Q, call("put_object_lock_configuration", Q, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 150}}}),
     Severity.HIGH, "Object Lock keeps each version 150 days"),
    ("RG-LIFECYCLE-WORST-CASE", Q, call("delete_bucket_lifecycle", Q), Severity.CRITICAL, "keeps recordings forever"),
    ("RG-LIFECYCLE-DELETE-MARKERS", Q, lifecycle(Q, QUALITY_RULES[0]), None, "expired delete markers"),
    ("RG-LIFECYCLE-MULTIPART", Q, lifecycle(Q, rule("expire", days=87, noncurrent=1, abort=None), MARKERS),
     None, "unbounded"),
    ("RG-ACCESS-LOGS-MIN-RETENTION", L, lifecycle(L, rule("expire", days=30, noncurrent=1), MARKERS),
     None, "after 30 days"),
    ("RG-ENCRYPTION-DEFAULT", Q, call("put_bucket_encryption", Q, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}), None, "algorithm AES256"),
    ("RG-ENCRYPTION-DEFAULT", Q, other_key, None, "instead of arn:aws:kms"),
    ("RG-ENCRYPTION-DEFAULT", Q, no_bucket_key, None, "no bucket key"),
    ("RG-KMS-KEY-ENABLED", Q, key_disabled(Q), Severity.HIGH, "in state Disabled"),
    ("RG-KMS-KEY-ENABLED", P, key_disabled(P), Severity.CRITICAL, "in state Disabled"),
    ("RG-KMS-KEY-ENABLED", P, key_pending_deletion(P), Severity.CRITICAL,
     "in state PendingDeletion: once the waiting period ends the key is destroyed"),
    ("RG-KMS-KEY-ENABLED", E, key_pending_deletion(E), Severity.HIGH, "in state PendingDeletion"),
    ("RG-KMS-KEY-ENABLED", Q, call("put_bucket_encryption", Q, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}), None, "names no KMS key"),
    ("RG-KMS-KEY-ENABLED", Q, call("put_bucket_encryption", Q, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "no-such-key"},
        "BucketKeyEnabled": True}]}), None, "no-such-key, which does not exist"),
    ("RG-KMS-KEY-ROTATION", Q, rotation_off, None, "rotation disabled"),
    ("RG-KMS-KEY-ROTATION", Q, call("put_bucket_encryption", Q, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}), None, "names no KMS key"),
    ("RG-KMS-KEY-POLICY", Q, default_key_policy, None, f"lets {ROOT} (every identity of the account"),
    ("RG-KMS-KEY-POLICY", Q, key_policy_edit(grant("Analytics", {"AWS": "arn:aws:iam::123456789012:role/analytics"},
                                                   "kms:Decrypt")), None,
     "lets arn:aws:iam::123456789012:role/analytics decrypt"),
    # Through a wildcard: the writer may now decrypt (and re-encrypt, and grant) too.
    ("RG-KMS-KEY-POLICY", Q, key_policy_edit(tweak("EncryptThroughS3ForWriters", lambda s: s.update(
        Action="kms:*"))), None, f"lets {QUALITY_WRITER} decrypt"),
    ("RG-KMS-KEY-POLICY", Q, key_policy_edit(grant("Everyone", "*", ["kms:Decrypt"])), None, "lets everyone decrypt"),
    ("RG-KMS-KEY-POLICY", Q, key_policy_edit(grant("AnotherAccount", {"AWS": "210987654321"}, "kms:ReEncrypt*")),
     None, "lets arn:aws:iam::210987654321:root (every identity of the account that IAM allows) decrypt"),
    ("RG-KMS-KEY-POLICY", Q, key_policy_edit(grant("Grants", {"AWS": "arn:aws:iam::123456789012:role/ops"},
                                                   "kms:CreateGrant")), None, "role/ops decrypt"),
    ("RG-KMS-KEY-POLICY", Q, key_policy_edit(grant("Uploads", {"Service": "s3.amazonaws.com"}, "kms:GenerateDataKey")),
     None, "lets service:s3.amazonaws.com encrypt"),
    ("RG-KMS-KEY-POLICY", Q, key_policy_edit(tweak("KeyAdministration", lambda s: s.update(
        Action=[a for a in s["Action"] if a != "kms:PutKeyPolicy"]))), None, "nobody could repair it"),
    ("RG-KMS-KEY-POLICY", Q, call("put_bucket_encryption", Q, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}), None, "names no KMS key"),
    ("RG-PUBLIC-ACCESS-BLOCK", Q, call("put_public_access_block", Q, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True}), None, "BlockPublicPolicy"),
    ("RG-PUBLIC-ACCESS-BLOCK", Q, call("delete_public_access_block", Q), None, "BlockPublicAcls"),
    ("RG-OWNERSHIP-ENFORCED", Q, call("put_bucket_ownership_controls", Q, OwnershipControls={
        "Rules": [{"ObjectOwnership": "ObjectWriter"}]}), None, "ObjectWriter"),
    ("RG-POLICY-TLS-ONLY", Q, edit_policy(Q, without("DenyInsecureTransport")), None, "nothing denies"),
    ("RG-POLICY-TLS-ONLY", Q, call("delete_bucket_policy", Q), None, "no bucket policy"),
    ("RG-POLICY-ENCRYPTION", Q, edit_policy(Q, without("DenySseC")), None, "DenySseC"),
    ("RG-POLICY-RETENTION-CAP", Q, edit_policy(Q, tweak("DenyRetentionBeyondStackRetention", lambda s: s["Condition"]
        ["NumericGreaterThan"].update({"s3:object-lock-remaining-retention-days": "5000"}))), None,
     "applies only under NumericGreaterThan"),
    # The legal maximum is no longer the bound: quality is kept 90 days, so a lock may reach 89, not 180.
    ("RG-POLICY-RETENTION-CAP", Q, edit_policy(Q, tweak("DenyRetentionBeyondStackRetention", lambda s: s["Condition"]
        ["NumericGreaterThan"].update({"s3:object-lock-remaining-retention-days": "180"}))), None,
     "NumericGreaterThan s3:object-lock-remaining-retention-days 180, where 89 is required"),
    ("RG-POLICY-TAMPER", P, edit_policy(P, tweak("DenyConfigurationChanges", lambda s: s["Condition"]["ArnNotLike"]
        ["aws:PrincipalArn"].append("arn:aws:iam::123456789012:role/*"))), None,
     "exempts arn:aws:iam::123456789012:role/*"),
    ("RG-POLICY-PURPOSE-ACCESS", E, edit_policy(E, tweak("DenyReadsOutsidePurpose", lambda s: s.update(
        {"Action": "s3:GetObject"}))), None, "s3:GetObjectVersion"),
    ("RG-POLICY-PURPOSE-ACCESS", L, edit_policy(L, without("DenyWritesOutsideDelivery")), None,
     "DenyWritesOutsideDelivery"),
    ("RG-POLICY-PURPOSE-ACCESS", L, edit_policy(L, tweak("DenyWritesOutsideDelivery", lambda s: s.update(
        {"Condition": {"BoolIfExists": {"aws:PrincipalIsAWSService": "true"}}}))), None, "DenyWritesOutsideDelivery"),
    ("RG-ACCESS-LOGGING", Q, call("put_bucket_logging", Q, BucketLoggingStatus={}), None, "logging off"),
    ("RG-ACCESS-LOGGING", Q, log_elsewhere, None, "somewhere-else"),
    ("RG-ACCESS-LOGGING", Q, lifecycle(L, rule("expire", days=30, noncurrent=1), MARKERS), None,
     "keeps logs 30 to 33 days"),
    ("RG-REPLICATION-SAME-PURPOSE", Q, replicate_to(P), None, "(proof)"),
    ("RG-INVENTORY-DAILY", E, inventory(E, OptionalFields=["Size", "LastModifiedDate"]), None,
     "lacks the fields EncryptionStatus, ObjectLockRetainUntilDate"),
    ("RG-INVENTORY-DAILY", Q, inventory(Q, Schedule={"Frequency": "Weekly"}), None, "runs Weekly instead of Daily"),
]


@pytest.mark.parametrize(("check_id", "purpose", "drift", "severity", "fragment"), FAILS,
                         ids=[f"{c}-{i}" for i, (c, *_rest) in enumerate(FAILS)])
def test_each_drift_fails_with_a_precise_finding(
    account: Account, check_id: str, purpose: Purpose, drift: Drift, severity: Severity | None, fragment: str
) -> None:
    drift(account)
    result = account.result(check_id, purpose)
    assert result.status is Status.FAIL, result.message
    assert fragment in result.message
    assert account.bucket(purpose) in result.message and f"({purpose})" in result.message
    assert result.citations
    if severity is not None:
        assert result.severity is severity


PASSES: list[tuple[str, Purpose, Drift]] = [
    # DESIGN section 4: where several rules match, the earliest expiry wins.
    ("RG-LIFECYCLE-WORST-CASE", Q, lifecycle(Q, *QUALITY_RULES, rule("keep-longer", days=150, noncurrent=30,
                                                                      prefix="quality/"))),
    ("RG-LIFECYCLE-WORST-CASE", Q, lifecycle(Q, rule("short", days=30, noncurrent=1), MARKERS)),
    ("RG-OBJECT-LOCK-COMPLIANCE-MAX", Q, call("put_object_lock_configuration", Q, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 400}}})),
    ("RG-REPLICATION-SAME-PURPOSE", Q, lambda a: None),
    # A stricter bound than the stack's retention is fine.
    ("RG-POLICY-RETENTION-CAP", Q, edit_policy(Q, tweak("DenyRetentionBeyondStackRetention", lambda s: s["Condition"]
        ["NumericGreaterThan"].update({"s3:object-lock-remaining-retention-days": "30"})))),
    # Judged by effect: the reader's grant split in two, a condition added, a deny added.
    ("RG-KMS-KEY-POLICY", Q, key_policy_edit(lambda stmts: [
        *stmts, {"Sid": "NarrowerRead", "Effect": "Allow", "Principal": {"AWS": stmts[-1]["Principal"]["AWS"]},
                 "Action": ["kms:Decrypt"], "Resource": "*",
                 "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}}},
        {"Sid": "NoDeletion", "Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion",
         "Resource": "*"}])),
    # A deletion cancelled in time leaves the key disabled; enabled again, it passes.
    ("RG-KMS-KEY-ENABLED", P, lambda a: (key_pending_deletion(P)(a), a.kms.cancel_key_deletion(KeyId=key_id(a, P)),
                                         a.kms.enable_key(KeyId=key_id(a, P)))),
]


@pytest.mark.parametrize(("check_id", "purpose", "drift"), PASSES, ids=[p[0] for p in PASSES])
def test_harmless_variations_pass(account: Account, check_id: str, purpose: Purpose, drift: Drift) -> None:
    drift(account)
    result = account.result(check_id, purpose)
    assert result.status is Status.PASS, result.message


def test_replication_to_a_bucket_verified_for_the_same_purpose_passes(account: Account) -> None:
    account.s3.create_bucket(Bucket="quality-replica", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    account.s3.put_bucket_versioning(Bucket="quality-replica", VersioningConfiguration={"Status": "Enabled"})
    account.outputs["buckets"]["quality"] = account.bucket(Q)
    account.s3.put_bucket_replication(Bucket=account.bucket(Q), ReplicationConfiguration={
        "Role": "arn:aws:iam::123456789012:role/replication",
        "Rules": [{"ID": "copy", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws:s3:::quality-replica"}}]})
    targets = [Target(account.bucket(Q), Q), Target("quality-replica", Q)]
    report = account.verify(targets=targets)
    assert only(report, "RG-REPLICATION-SAME-PURPOSE", account.bucket(Q)).status is Status.PASS
    # Not among the verified buckets: a copy this run cannot vouch for.
    report = account.verify(targets=targets[:1])
    failed = only(report, "RG-REPLICATION-SAME-PURPOSE", account.bucket(Q))
    assert failed.status is Status.FAIL and "quality-replica (not governed here)" in failed.message


def test_a_target_that_does_not_exist_fails_clearly(account: Account) -> None:
    report = account.verify(targets=[Target("no-such-bucket", Q)])
    assert [(r.check, r.status) for r in report.results] == [("RG-BUCKET-EXISTS", Status.FAIL)]
    assert "no-such-bucket (quality) does not exist" in report.results[0].message


# --- ERROR: an unreadable setting is never a pass or a fail -------------------------------------

ERRORS: list[tuple[str, Purpose, tuple[str, ...]]] = [
    ("RG-BUCKET-EXISTS", Q, ("existence",)),
    ("RG-PURPOSE-TAG", Q, ("tags",)),
    ("RG-VERSIONING-ENABLED", Q, ("versioning",)),
    ("RG-OBJECT-LOCK-DEFAULT", Q, ("object_lock",)),
    ("RG-OBJECT-LOCK-COMPLIANCE-MAX", P, ("object_lock",)),
    ("RG-LIFECYCLE-WORST-CASE", Q, ("lifecycle",)),
    ("RG-LIFECYCLE-WORST-CASE", Q, ("versioning",)),
    ("RG-LIFECYCLE-WORST-CASE", Q, ("object_lock",)),
    ("RG-LIFECYCLE-DELETE-MARKERS", Q, ("lifecycle",)),
    ("RG-LIFECYCLE-MULTIPART", Q, ("lifecycle",)),
    ("RG-ACCESS-LOGS-MIN-RETENTION", L, ("lifecycle",)),
    ("RG-ENCRYPTION-DEFAULT", Q, ("encryption",)),
    ("RG-KMS-KEY-ENABLED", Q, ("kms_key",)),
    ("RG-KMS-KEY-ROTATION", Q, ("kms_key",)),
    ("RG-KMS-KEY-POLICY", Q, ("key_policy",)),
    ("RG-PUBLIC-ACCESS-BLOCK", Q, ("public_access_block",)),
    ("RG-OWNERSHIP-ENFORCED", Q, ("ownership",)),
    ("RG-POLICY-TLS-ONLY", Q, ("policy",)),
    ("RG-POLICY-ENCRYPTION", Q, ("policy",)),
    ("RG-POLICY-RETENTION-CAP", Q, ("policy",)),
    ("RG-POLICY-TAMPER", Q, ("policy",)),
    ("RG-POLICY-PURPOSE-ACCESS", Q, ("policy",)),
    ("RG-POLICY-NO-PUBLIC-ALLOW", Q, ("policy",)),
    ("RG-ACCESS-LOGGING", Q, ("logging",)),
    ("RG-REPLICATION-SAME-PURPOSE", Q, ("replication",)),
    ("RG-INVENTORY-DAILY", Q, ("inventory",)),
]


@pytest.mark.parametrize(("check_id", "purpose", "fields"), ERRORS, ids=[f"{e[0]}-{e[2][0]}" for e in ERRORS])
def test_an_unreadable_setting_is_an_error(account: Account, check_id: str, purpose: Purpose,
                                           fields: tuple[str, ...]) -> None:
    outputs = StackOutputs.from_dict(account.outputs)
    targets = outputs.targets()
    snapshots = collect_targets(make_clients(region="eu-west-3"), targets)
    name = account.bucket(purpose)
    snapshots[name] = unreadable_snapshot(snapshots[name], *fields)
    results = [r for r in judge_snapshots(targets, account.policy, snapshots, outputs=outputs)
               if r.check == check_id and r.resource == name]
    assert [r.status for r in results] == [Status.ERROR]
    assert "could not be read" in results[0].message and "AccessDenied" in results[0].message


def test_the_log_buckets_unreadable_lifecycle_is_an_error_for_the_logging_check(account: Account) -> None:
    outputs = StackOutputs.from_dict(account.outputs)
    targets = outputs.targets()
    snapshots = collect_targets(make_clients(region="eu-west-3"), targets)
    logs = account.bucket(L)
    snapshots[logs] = unreadable_snapshot(snapshots[logs], "lifecycle")
    results = judge_snapshots(targets, account.policy, snapshots, outputs=outputs)
    logging = [r for r in results if r.check == "RG-ACCESS-LOGGING"]
    assert logging and {r.status for r in logging} == {Status.ERROR}


def test_every_check_has_pass_fail_and_error_cases() -> None:
    ids = {c.meta.id for c in CHECKS}
    failing = {f[0] for f in FAILS} | {"RG-BUCKET-EXISTS", "RG-POLICY-NO-PUBLIC-ALLOW"}
    assert ids <= failing, f"no FAIL case for {sorted(ids - failing)}"
    assert ids <= {e[0] for e in ERRORS}, f"no ERROR case for {sorted(ids - {e[0] for e in ERRORS})}"


def test_an_allow_to_everyone_fails_critically(account: Account) -> None:
    outputs = StackOutputs.from_dict(account.outputs)
    targets = outputs.targets()
    snapshots = collect_targets(make_clients(region="eu-west-3"), targets)
    name = account.bucket(Q)
    doc = dict(snapshots[name].policy.value)
    doc["Statement"] = [*doc["Statement"], {"Sid": "Open", "Effect": "Allow", "Principal": "*",
                                            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]
    snapshots[name] = dataclasses.replace(snapshots[name], policy=Observed.present(doc))
    found = [r for r in judge_snapshots(targets, account.policy, snapshots, outputs=outputs)
             if r.check == "RG-POLICY-NO-PUBLIC-ALLOW" and r.resource == name]
    assert [(r.status, r.severity) for r in found] == [(Status.FAIL, Severity.CRITICAL)]
    assert "Open" in found[0].message


def test_without_stack_outputs_the_policy_checks_say_principals_are_unknown(account: Account) -> None:
    report = account.verify(targets=[Target(account.bucket(Q), Q)])
    access = only(report, "RG-POLICY-PURPOSE-ACCESS", account.bucket(Q))
    assert access.status is Status.PASS and "principals unknown" in access.message
    encryption = only(report, "RG-ENCRYPTION-DEFAULT", account.bucket(Q))
    assert encryption.status is Status.PASS and "any KMS key" in encryption.message
    # The log bucket is found through the logging configuration and judged by its tag and lifecycle.
    assert only(report, "RG-ACCESS-LOGGING", account.bucket(Q)).status is Status.PASS


def test_every_message_is_one_sentence_naming_bucket_and_purpose(account: Account) -> None:
    for drift in (f[2] for f in FAILS[:12]):
        drift(account)
    for result in account.verify().results:
        assert result.message.endswith("."), result.message
        assert result.message.count(". ") == 0 or all(
            not part[:1].isupper() for part in result.message.split(". ")[1:]), result.message
        assert result.resource in result.message and f"({result.purpose})" in result.message


@pytest.mark.parametrize(("change", "fragment"), [
    (None, "has no inventory configuration recgov-daily"),
    ({"IncludedObjectVersions": "Current"}, "lists Current versions instead of All"),
    ({"IsEnabled": False}, "is disabled"),
])
def test_inventory_states_moto_cannot_store(account: Account, change: dict[str, Any] | None, fragment: str) -> None:
    # Built from the collected snapshot: moto keeps no IncludedObjectVersions, and answers NoSuchBucket
    # to a read after an inventory is deleted.
    outputs = StackOutputs.from_dict(account.outputs)
    targets = outputs.targets()
    snapshots = collect_targets(make_clients(region="eu-west-3"), targets)
    name = account.bucket(Q)
    where = {"source": "GetBucketInventoryConfiguration", "permission": "s3:GetInventoryConfiguration"}
    observed = snapshots[name].inventory
    replaced = Observed.absent(**where) if change is None else Observed.present(observed.value | change, **where)
    snapshots[name] = dataclasses.replace(snapshots[name], inventory=replaced)
    results = [r for r in judge_snapshots(targets, account.policy, snapshots, outputs=outputs)
               if r.check == "RG-INVENTORY-DAILY" and r.resource == name]
    assert [r.status for r in results] == [Status.FAIL]
    assert fragment in results[0].message


@pytest.mark.parametrize(("state", "status"), [
    ("Enabled", Status.PASS), ("Disabled", Status.FAIL), ("PendingDeletion", Status.FAIL),
    ("PendingReplicaDeletion", Status.FAIL), ("PendingImport", Status.FAIL), ("Unavailable", Status.FAIL),
    ("Creating", Status.FAIL), (None, Status.ERROR),
])
def test_the_key_state_check_judges_every_state_kms_reports(account: Account, state: str | None,
                                                            status: Status) -> None:
    # Pure: the collected key of a real snapshot with its state replaced, as DescribeKey could report it.
    outputs = StackOutputs.from_dict(account.outputs)
    targets = outputs.targets()
    snapshots = collect_targets(make_clients(region="eu-west-3"), targets)
    name = account.bucket(P)
    key = {**snapshots[name].kms_key.value, "KeyState": state}
    snapshots[name] = dataclasses.replace(snapshots[name], kms_key=Observed.present(key, source="test"))
    [result] = [r for r in judge_snapshots(targets, account.policy, snapshots, outputs=outputs)
                if r.check == "RG-KMS-KEY-ENABLED" and r.resource == name]
    assert result.status is status, result.message
    assert result.severity is Severity.CRITICAL  # proof: the key guards evidence for legal claims
    if status is Status.FAIL:
        assert f"in state {state}" in result.message and "must be enabled" in result.message
