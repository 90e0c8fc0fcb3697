"""Misconfigurations to inject into a deployed stack: what ``recgov demo --drift`` shows.

Each drift changes one setting of one deployed bucket (or its key) the way a hand edit in the
console would. Deploying again (``sandbox.deploy``, like ``pulumi up``) puts every setting back,
except where a drift adds something the program never declares (a replication rule): such a
drift carries its own ``undo``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lifecycle.render import INVENTORY_ID

Clients = Callable[[str], Any]
Outputs = Mapping[str, Any]


@dataclass(frozen=True)
class Drift:
    """One change to a deployed bucket, described as an operator would."""

    name: str
    purpose: str
    description: str
    change: Callable[[Clients, str, Outputs], None]
    undo: Callable[[Clients, str, Outputs], None] | None = None

    def apply(self, clients: Clients, outputs: Outputs) -> None:
        """Make the change on the purpose's bucket."""
        self.change(clients, str(outputs["buckets"][self.purpose]), outputs)


def _lifecycle(clients: Clients, bucket: str, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    s3 = clients("s3")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": edit(rules)})


def _without(rule: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if k != field}


def drop_noncurrent_expiry(clients: Clients, bucket: str, _: Outputs) -> None:
    """Noncurrent versions are never removed: an expiry only adds delete markers."""
    _lifecycle(clients, bucket, lambda rules: [_without(r, "NoncurrentVersionExpiration") for r in rules])


def drop_multipart_abort(clients: Clients, bucket: str, _: Outputs) -> None:
    """Parts of abandoned uploads stay forever."""
    _lifecycle(clients, bucket, lambda rules: [_without(r, "AbortIncompleteMultipartUpload") for r in rules])


def drop_delete_marker_rule(clients: Clients, bucket: str, _: Outputs) -> None:
    """Expired delete markers pile up."""
    _lifecycle(clients, bucket, lambda rules: [r for r in rules if "ExpiredObjectDeleteMarker" not in
                                                  r.get("Expiration", {})])


def shorten_log_retention(clients: Clients, bucket: str, _: Outputs) -> None:
    """Access logs expire after 30 days, short of the evidence period."""

    def edit(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "Expiration": {"Days": 30}} if "Days" in r.get("Expiration", {}) else r for r in rules]

    _lifecycle(clients, bucket, edit)


def _lock(days: int, mode: str) -> Callable[[Clients, str, Outputs], None]:
    def change(clients: Clients, bucket: str, _: Outputs) -> None:
        clients("s3").put_object_lock_configuration(
            Bucket=bucket,
            ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
                                     "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}}},
        )

    change.__doc__ = f"Default retention set to {mode} {days} days."
    return change


def relax_public_access_block(clients: Clients, bucket: str, _: Outputs) -> None:
    """A public bucket policy would be accepted."""
    clients("s3").put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                        "BlockPublicPolicy": False, "RestrictPublicBuckets": True},
    )


def sse_s3_default(clients: Clients, bucket: str, _: Outputs) -> None:
    """Default encryption falls back to S3-managed keys."""
    clients("s3").put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def _stop_rotation(purpose: str) -> Callable[[Clients, str, Outputs], None]:
    def change(clients: Clients, _: str, outputs: Outputs) -> None:
        clients("kms").disable_key_rotation(KeyId=outputs["keyArns"][purpose])

    change.__doc__ = "The purpose's KMS key no longer rotates."
    return change


def object_writer_ownership(clients: Clients, bucket: str, _: Outputs) -> None:
    """ACLs are back in play."""
    clients("s3").put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )


def stop_logging(clients: Clients, bucket: str, _: Outputs) -> None:
    """Access to recordings is no longer logged."""
    clients("s3").put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})


def suspend_versioning(clients: Clients, bucket: str, _: Outputs) -> None:
    """Overwrites destroy the previous bytes."""
    clients("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})


def weekly_inventory(clients: Clients, bucket: str, _: Outputs) -> None:
    """The inventory the object audit reads now comes once a week."""
    s3 = clients("s3")
    config = s3.get_bucket_inventory_configuration(Bucket=bucket, Id=INVENTORY_ID)["InventoryConfiguration"]
    config["Schedule"] = {"Frequency": "Weekly"}
    s3.put_bucket_inventory_configuration(Bucket=bucket, Id=INVENTORY_ID, InventoryConfiguration=config)


def retag_purpose(clients: Clients, bucket: str, _: Outputs) -> None:
    """The purpose tag names another purpose."""
    s3 = clients("s3")
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    edited = [{**t, "Value": "marketing"} if t["Key"] == "recgov:purpose" else t for t in tags]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": edited})


def _policy_edit(edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]], doc: str) -> Callable[..., None]:
    def change(clients: Clients, bucket: str, _: Outputs) -> None:
        s3 = clients("s3")
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        policy["Statement"] = edit(policy["Statement"])
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    change.__doc__ = doc
    return change


def _drop_statement(sid: str) -> Callable[..., None]:
    return _policy_edit(lambda stmts: [s for s in stmts if s.get("Sid") != sid], f"Statement {sid} removed.")


def _public_read(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    resource = statements[0]["Resource"]
    bucket_arn = resource[0] if isinstance(resource, list) else resource
    return [*statements, {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                          "Resource": f"{bucket_arn.split('/')[0]}/*"}]


def _loosen_retention_cap(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for s in statements:
        if s.get("Sid") == "DenyRetentionBeyondStackRetention":
            s["Condition"]["NumericGreaterThan"]["s3:object-lock-remaining-retention-days"] = "1824"
    return statements


def _key_policy_edit(purpose: str, edit: Callable[[dict[str, Any], Outputs], dict[str, Any]], doc: str
                     ) -> Callable[[Clients, str, Outputs], None]:
    def change(clients: Clients, _: str, outputs: Outputs) -> None:
        kms, key = clients("kms"), outputs["keyArns"][purpose]
        policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(edit(policy, outputs)))

    change.__doc__ = doc
    return change


def _decrypt_for_another_team(policy: dict[str, Any], outputs: Outputs) -> dict[str, Any]:
    other = outputs["roleArns"]["quality"]["reader"]
    grant = {"Sid": "QualityTeamReadsEvaluations", "Effect": "Allow", "Principal": {"AWS": other},
             "Action": "kms:Decrypt", "Resource": "*"}
    return {**policy, "Statement": [*policy["Statement"], grant]}


def _kms_default(policy: dict[str, Any], outputs: Outputs) -> dict[str, Any]:
    account = str(outputs["keyArns"]["quality"]).split(":")[4]
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": "kms:*", "Resource": "*"}]}


REPLICATION_TARGET = "sandbox-unmanaged-copies"
"""A bucket outside the governance: copies there escape every retention control."""


def replicate_elsewhere(clients: Clients, bucket: str, outputs: Outputs) -> None:
    """Recordings are replicated to a bucket no purpose governs."""
    s3 = clients("s3")
    region = s3.meta.region_name
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=REPLICATION_TARGET, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=REPLICATION_TARGET, VersioningConfiguration={"Status": "Enabled"})
    role_arn = next(iter(outputs["roleArns"]["quality"].values()))
    s3.put_bucket_replication(
        Bucket=bucket,
        ReplicationConfiguration={
            "Role": role_arn,
            "Rules": [{"ID": "copy-out", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                       "DeleteMarkerReplication": {"Status": "Disabled"},
                       "Destination": {"Bucket": f"arn:aws:s3:::{REPLICATION_TARGET}"}}],
        },
    )


def delete_bucket(clients: Clients, bucket: str, _: Outputs) -> None:
    """The (empty) bucket is gone."""
    clients("s3").delete_bucket(Bucket=bucket)


def stop_replication(clients: Clients, bucket: str, _: Outputs) -> None:
    """Remove the replication the program never declared."""
    clients("s3").delete_bucket_replication(Bucket=bucket)


DRIFTS: tuple[Drift, ...] = (
    Drift("noncurrent-expiry-removed", "quality", "quality lifecycle: noncurrent version expiry removed",
          drop_noncurrent_expiry),
    Drift("multipart-abort-removed", "quality", "quality lifecycle: incomplete multipart uploads kept",
          drop_multipart_abort),
    Drift("delete-marker-rule-removed", "evaluations", "evaluations lifecycle: delete-marker clean-up removed",
          drop_delete_marker_rule),
    Drift("log-retention-shortened", "access-logs", "access logs expire after 30 days", shorten_log_retention),
    # moto refuses a new default retention on a bucket holding objects (S3 does not): the demo's
    # lock drift is on the evaluations bucket, which the seeder leaves empty.
    Drift("governance-lock-raised", "evaluations", "evaluations default lock raised to GOVERNANCE 400 days",
          _lock(400, "GOVERNANCE")),
    Drift("compliance-lock-beyond-law", "proof", "proof default lock raised to COMPLIANCE 2000 days",
          _lock(2000, "COMPLIANCE")),
    Drift("public-access-block-relaxed", "proof", "proof public access block: BlockPublicPolicy off",
          relax_public_access_block),
    Drift("sse-s3-default", "quality", "quality default encryption: SSE-S3 instead of the purpose's key",
          sse_s3_default),
    Drift("key-rotation-off", "evaluations", "evaluations KMS key rotation disabled", _stop_rotation("evaluations")),
    Drift("ownership-object-writer", "evaluations", "evaluations object ownership: ObjectWriter (ACLs on)",
          object_writer_ownership),
    Drift("logging-stopped", "proof", "proof bucket access logging stopped", stop_logging),
    Drift("versioning-suspended", "access-logs", "access-logs versioning suspended", suspend_versioning),
    Drift("purpose-retagged", "evaluations", "evaluations purpose tag says marketing", retag_purpose),
    Drift("tls-deny-removed", "quality", "quality bucket policy: TLS-only statement removed",
          _drop_statement("DenyInsecureTransport")),
    Drift("tamper-deny-removed", "proof", "proof bucket policy: configuration-change deny removed",
          _drop_statement("DenyConfigurationChanges")),
    Drift("purpose-read-deny-removed", "quality", "quality bucket policy: readers-only statement removed",
          _drop_statement("DenyReadsOutsidePurpose")),
    Drift("kms-deny-removed", "evaluations", "evaluations bucket policy: SSE-KMS-only statement removed",
          _drop_statement("DenyNonKmsEncryption")),
    Drift("retention-cap-removed", "proof", "proof bucket policy: per-object retention cap removed",
          _drop_statement("DenyRetentionBeyondStackRetention")),
    Drift("retention-cap-loosened", "proof", "proof bucket policy: per-object retention capped at the legal "
          "maximum instead of the stack's retention", _policy_edit(_loosen_retention_cap,
                                                                  "Per-object locks may reach the legal maximum.")),
    Drift("key-decrypt-granted", "evaluations", "evaluations KMS key policy: the quality team may decrypt",
          _key_policy_edit("evaluations", _decrypt_for_another_team, "Another team may decrypt evaluations.")),
    Drift("key-policy-default", "quality", "quality KMS key policy reset to KMS's default (IAM decides)",
          _key_policy_edit("quality", _kms_default, "Any identity IAM allows may decrypt quality recordings.")),
    Drift("public-read-allowed", "evaluations", "evaluations bucket policy: public read allowed",
          _policy_edit(_public_read, "Anyone may read objects.")),
    Drift("replicated-elsewhere", "quality", "quality replicated to an ungoverned bucket", replicate_elsewhere,
          undo=stop_replication),
    Drift("inventory-weekly", "proof", "proof inventory delivered weekly instead of daily", weekly_inventory),
    Drift("bucket-deleted", "evaluations", "evaluations bucket deleted", delete_bucket),
)

DEMO_DRIFTS = ("noncurrent-expiry-removed", "public-access-block-relaxed", "governance-lock-raised")
"""What ``recgov demo --drift`` injects: one lifecycle, one access and one lock misconfiguration."""


def drift(name: str) -> Drift:
    """The drift with this name."""
    for candidate in DRIFTS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
