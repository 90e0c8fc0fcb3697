"""Provision governed buckets on an S3 endpoint (the emulator) from the rendered specification.

The same translation the Pulumi program deploys (``lifecycle.render`` and ``lifecycle.access``),
applied with boto3 directly, so that the benchmark can provision hundreds of buckets without running
the program once per stack. Tests build their stacks through the program instead (``sandbox.deploy``).
Only ever pointed at the emulator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lifecycle.access import (
    Principals,
    bucket_policy_document,
    deny_requirements,
    key_policy,
    log_delivery_statement,
)
from lifecycle.legal import Purpose
from lifecycle.policy import Policy
from lifecycle.purposes import traits
from lifecycle.render import (
    INVENTORY_ID,
    encryption_configuration,
    inventory_configuration,
    logging_configuration,
    render_bucket,
)

ACCOUNT = "123456789012"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
AUDITOR = f"arn:aws:iam::{ACCOUNT}:role/auditor"


def role_arns(prefix: str, purpose: Purpose) -> dict[str, str]:
    """The role ARNs the program would create for a purpose (names only: IAM is not needed here)."""
    return {str(k): f"arn:aws:iam::{ACCOUNT}:role/{prefix}-{purpose}-{k}" for k in traits(purpose).roles}


def principals_for(prefix: str, purpose: Purpose) -> Principals:
    """The principals the program's bucket policy exempts for a purpose."""
    roles = role_arns(prefix, purpose)
    if traits(purpose).log_target:
        return Principals(deployer=(DEPLOYER,), readers=(AUDITOR,))
    readers = (roles["reader"],)
    return Principals(
        deployer=(DEPLOYER,),
        readers=readers,
        writers=(roles["writer"],),
        erasure=(roles["erasure"],) if "erasure" in roles else (),
        legal_hold=readers if traits(purpose).legal_hold else (),
    )


@dataclass(frozen=True)
class Deployed:
    """A provisioned governed bucket."""

    name: str
    purpose: Purpose
    key_arn: str | None


def create_bucket(s3: Any, name: str, region: str, *, lock: bool) -> None:
    """Create a bucket in ``region``; us-east-1 takes no location constraint."""
    kwargs: dict[str, Any] = {"Bucket": name, "ObjectLockEnabledForBucket": lock}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)


def provision(
    s3: Any,
    kms: Any,
    policy: Policy,
    name: str,
    purpose: Purpose,
    *,
    region: str,
    prefix: str,
    log_bucket: str | None,
) -> Deployed:
    """Create one governed bucket with every control of its rendered specification."""
    spec = render_bucket(policy[purpose])
    create_bucket(s3, name, region, lock=spec.object_lock is not None)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in spec.tags.items()]})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=dict(spec.versioning))
    if spec.object_lock is not None:
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=dict(spec.object_lock))
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration=dict(spec.lifecycle))
    key_arn = None
    if spec.kms:
        document = key_policy(ACCOUNT, principals_for(prefix, purpose))
        key_arn = kms.create_key(Description=f"recgov {purpose}", Policy=json.dumps(document))["KeyMetadata"]["Arn"]
        kms.enable_key_rotation(KeyId=key_arn)
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=encryption_configuration(key_arn))
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(spec.public_access_block))
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=dict(spec.ownership))
    if log_bucket is not None and spec.log_prefix is not None:
        s3.put_bucket_logging(Bucket=name, BucketLoggingStatus=logging_configuration(log_bucket, spec.log_prefix))
    if log_bucket is not None and spec.inventory:
        s3.put_bucket_inventory_configuration(
            Bucket=name, Id=INVENTORY_ID,
            InventoryConfiguration=inventory_configuration(f"arn:aws:s3:::{log_bucket}", ACCOUNT))
    arn = f"arn:aws:s3:::{name}"
    extra = []
    if purpose is Purpose.ACCESS_LOGS:
        extra.append(log_delivery_statement(arn, ACCOUNT, [f"arn:aws:s3:::{prefix}-*"]))
    requirements = deny_requirements(purpose, principals_for(prefix, purpose), key_arn, spec.retention_days)
    document = bucket_policy_document(arn, requirements, extra)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(document))
    return Deployed(name, purpose, key_arn)


def provision_stack(s3: Any, kms: Any, policy: Policy, prefix: str, *, region: str) -> dict[str, Any]:
    """Every purpose's bucket, as the program would; returns what ``pulumi stack output --json`` prints."""
    names = {p: f"{prefix}-{p}" for p in Purpose}
    deployed = {Purpose.ACCESS_LOGS: provision(s3, kms, policy, names[Purpose.ACCESS_LOGS], Purpose.ACCESS_LOGS,
                                               region=region, prefix=prefix, log_bucket=None)}
    for purpose in (Purpose.QUALITY, Purpose.PROOF, Purpose.EVALUATIONS):
        deployed[purpose] = provision(s3, kms, policy, names[purpose], purpose, region=region, prefix=prefix,
                                      log_bucket=names[Purpose.ACCESS_LOGS])
    return {
        "buckets": {str(p): d.name for p, d in deployed.items()},
        "keyArns": {str(p): d.key_arn for p, d in deployed.items() if d.key_arn},
        "roleArns": {str(p): role_arns(prefix, p) for p in deployed if role_arns(prefix, p)},
        "auditorRoleArn": AUDITOR,
        "deployerArn": DEPLOYER,
        "policyDigest": policy.digest,
    }
