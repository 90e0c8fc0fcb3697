"""Who may do what to a purpose's bucket: bucket policy statements and role permissions.

A bucket policy here is a list of :class:`DenyRequirement`: an effect the bucket must have (deny
these actions, under this condition, to everyone but these principals). The policy document
deployed by the program is rendered from the requirements, and the governance checks judge a
deployed document by whether it has each requirement's effect, not by its text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lifecycle.legal import LIMITS, Purpose
from lifecycle.purposes import traits
from lifecycle.render import INVENTORY_PREFIX, LOGGING_SERVICE
from lifecycle.retention import LIFECYCLE_ROUNDING_DAYS

CONFIG_ACTIONS = (
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutReplicationConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketLogging",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketOwnershipControls",
    "s3:PutInventoryConfiguration",
)
"""Changes that would weaken retention or its evidence: only the deployer may make them."""

READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes")
DELETE_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion")
CONNECT_SERVICE = "connect.amazonaws.com"
"""Amazon Connect's service principal (its recording features scope it with aws:SourceAccount and aws:SourceArn)."""


@dataclass(frozen=True)
class ConnectInstance:
    """An Amazon Connect instance that stores a purpose's recordings under its key, and the role it writes as."""

    instance_arn: str
    service_role_arn: str
    """The instance's service-linked role (``AWSServiceRoleForAmazonConnect_<suffix>``)."""

    @property
    def via_service(self) -> str:
        """``kms:ViaService`` of the requests Connect makes to KMS for this instance (its own region)."""
        return f"connect.{self.instance_arn.split(':')[3]}.amazonaws.com"


@dataclass(frozen=True)
class Principals:
    """The ARNs that act on one purpose's bucket (roles or an organisation's own principals)."""

    deployer: tuple[str, ...]
    readers: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    erasure: tuple[str, ...] = ()
    legal_hold: tuple[str, ...] = ()
    service_sources: tuple[str, ...] = ()
    """``aws:SourceArn`` of AWS services that write on the purpose's behalf (an Amazon Connect instance)."""
    connect: ConnectInstance | None = None
    """The Amazon Connect instance whose storage config the deployer associates with the purpose's key."""


@dataclass(frozen=True)
class DenyRequirement:
    """A deny the bucket policy must carry.

    ``condition`` is an IAM condition block (operator -> key -> value); ``except_principals`` are
    exempted through ``ArnNotLike aws:PrincipalArn`` (empty: the deny applies to everyone).
    """

    sid: str
    title: str
    actions: tuple[str, ...]
    on_objects: bool
    on_bucket: bool
    rules: tuple[str, ...]
    condition: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    except_principals: tuple[str, ...] = ()


def retention_cap_days(retention_days: int) -> int:
    """The most remaining retention a per-object lock may set: the stack's own retention, rounding included.

    A version locked for N more days is removed at the lifecycle's next midnight run after its lock
    ends, so its worst case is N + the rounding day; that must fit the retention the stack keeps
    (which the policy already holds within the legal maximum), as for the default lock.
    """
    return retention_days - LIFECYCLE_ROUNDING_DAYS


def _service_sources_exempt(principals: Principals) -> dict[str, dict[str, Any]]:
    # A service principal's request has no aws:PrincipalArn to exempt; it carries the resource it acts
    # for as aws:SourceArn, which no other caller can set.
    if not principals.service_sources:
        return {}
    return {"ArnNotEqualsIfExists": {"aws:SourceArn": list(principals.service_sources)}}


def deny_requirements(
    purpose: Purpose, principals: Principals, key_arn: str | None, retention_days: int
) -> list[DenyRequirement]:
    """The denies a purpose's bucket policy must carry; ``retention_days`` is the stack's retention for it."""
    reqs = [
        DenyRequirement(
            "DenyInsecureTransport", "TLS-only access", ("s3:*",), True, True, ("R10",),
            {"Bool": {"aws:SecureTransport": "false"}},
        ),
        DenyRequirement(
            "DenyConfigurationChanges", "only the deployer changes retention settings",
            CONFIG_ACTIONS, False, True, ("R8", "R10"), except_principals=principals.deployer,
        ),
        DenyRequirement(
            "DenyReadsOutsidePurpose", "only the purpose's readers read", READ_ACTIONS, True, False,
            ("R7",), except_principals=principals.readers,
        ),
    ]
    if traits(purpose).log_target:
        # Logs are removed by the lifecycle alone; nobody deletes the evidence of access.
        reqs.append(DenyRequirement("DenyDeletes", "access logs are never deleted by hand",
                                    DELETE_ACTIONS, True, False, ("R7",)))
        # Only S3 itself writes here (access-log and inventory delivery): an identity allowed s3:* could
        # otherwise forge a log, or overwrite a real one whose old version the lifecycle then expires.
        reqs.append(DenyRequirement(
            "DenyWritesOutsideDelivery", "only S3's log and inventory delivery write", ("s3:PutObject",),
            True, False, ("R7", "R10"), {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
        ))
        return reqs
    reqs += [
        DenyRequirement(
            "DenyWritesOutsidePurpose", "only the purpose's writers upload", ("s3:PutObject",), True, False,
            ("R7", "R10"), _service_sources_exempt(principals), except_principals=principals.writers,
        ),
        DenyRequirement(
            "DenyDeletesOutsideErasure", "only the erasure role deletes", DELETE_ACTIONS, True, False,
            ("R8",), except_principals=principals.erasure,
        ),
        DenyRequirement(
            "DenyNonKmsEncryption", "uploads encrypted with SSE-KMS", ("s3:PutObject",), True, False,
            ("R10",), {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        ),
        DenyRequirement(
            "DenySseC", "no customer-provided keys", ("s3:PutObject",), True, False, ("R10",),
            {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}},
        ),
        # The dispute team may lengthen a proof recording's lock, but a live dispute is what legal holds
        # are for: a retention date can keep a recording no longer than the stack keeps every other one.
        DenyRequirement(
            "DenyRetentionBeyondStackRetention", "per-object retention within the stack's retention",
            ("s3:PutObjectRetention", "s3:PutObject"), True, False, (LIMITS[purpose].rule, "R8"),
            {"NumericGreaterThan": {
                "s3:object-lock-remaining-retention-days": str(retention_cap_days(retention_days))}},
        ),
        DenyRequirement(
            "DenyGovernanceBypass", "only the erasure role bypasses governance retention",
            ("s3:BypassGovernanceRetention",), True, False, ("R8",), except_principals=principals.erasure,
        ),
        DenyRequirement(
            "DenyLegalHoldOutsidePurpose", "legal holds set only by the dispute team",
            ("s3:PutObjectLegalHold",), True, False, ("R8",), except_principals=principals.legal_hold,
        ),
    ]
    if key_arn is not None:
        reqs.append(
            DenyRequirement(
                "DenyOtherKmsKeys", "uploads encrypted with the purpose's key", ("s3:PutObject",), True, False,
                ("R10",),
                {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
            )
        )
    return reqs


def requirement_resources(bucket_arn: str, req: DenyRequirement) -> list[str]:
    """The resources a requirement's deny covers: the bucket, its objects, or both."""
    return ([bucket_arn] if req.on_bucket else []) + ([f"{bucket_arn}/*"] if req.on_objects else [])


def statement(bucket_arn: str, req: DenyRequirement) -> dict[str, Any]:
    """One IAM statement that has the requirement's effect."""
    condition: dict[str, dict[str, Any]] = {op: dict(kv) for op, kv in req.condition.items()}
    if req.except_principals:
        condition.setdefault("ArnNotLike", {})["aws:PrincipalArn"] = list(req.except_principals)
    stmt: dict[str, Any] = {
        "Sid": req.sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(req.actions) if len(req.actions) > 1 else req.actions[0],
        "Resource": requirement_resources(bucket_arn, req),
    }
    if condition:
        stmt["Condition"] = condition
    return stmt


def log_delivery_statement(log_bucket_arn: str, account_id: str, source_bucket_arns: Sequence[str]) -> dict[str, Any]:
    """Lets S3 server access logging write into the log bucket, for our source buckets only."""
    return {
        "Sid": "AllowServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": LOGGING_SERVICE},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": list(source_bucket_arns)},
        },
    }


def connect_write_statement(bucket_arn: str, instance_arn: str) -> dict[str, Any]:
    """Lets Amazon Connect's service principal write recordings for one instance (and its account)."""
    account_id = instance_arn.split(":")[4]
    return {
        "Sid": "AllowAmazonConnectRecordings",
        "Effect": "Allow",
        "Principal": {"Service": CONNECT_SERVICE},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnEquals": {"aws:SourceArn": instance_arn},
        },
    }


def inventory_delivery_statement(
    log_bucket_arn: str, account_id: str, source_bucket_arns: Sequence[str]
) -> dict[str, Any]:
    """Lets S3 Inventory write the governed buckets' inventories into the log bucket."""
    return {
        "Sid": "AllowInventoryDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/{INVENTORY_PREFIX}/*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": list(source_bucket_arns)},
        },
    }


def bucket_policy_document(
    bucket_arn: str,
    requirements: Sequence[DenyRequirement],
    extra_statements: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The bucket policy document rendered from the requirements."""
    return {
        "Version": "2012-10-17",
        "Statement": [*extra_statements, *(statement(bucket_arn, r) for r in requirements)],
    }


# --- role permissions (identity policies) -------------------------------------------------------

AUDITOR_DISCOVERY_ACTIONS = ("s3:ListAllMyBuckets", "s3:GetBucketTagging", "tag:GetResources")
"""What ``verify --discover`` needs before it knows the buckets: list them and read their purpose tag.
Neither call can be scoped to buckets not yet found, so these alone apply to every resource."""
AUDITOR_BUCKET_ACTIONS = (
    "s3:GetBucketVersioning",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketLogging",
    "s3:GetReplicationConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:GetBucketLocation",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
)
"""Configuration reads and listings, on the stack's own buckets only."""
AUDITOR_OBJECT_ACTIONS = ("s3:GetObjectRetention", "s3:GetObjectLegalHold")
"""Lock reads on the stack's objects: never their content."""
AUDITOR_KEY_ACTIONS = ("kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:GetKeyPolicy")
"""Reads of the stack's own KMS keys; none uses a key."""
AUDITOR_ACTIONS = (*AUDITOR_DISCOVERY_ACTIONS, *AUDITOR_BUCKET_ACTIONS, *AUDITOR_OBJECT_ACTIONS, *AUDITOR_KEY_ACTIONS)
"""Read-only configuration access: what ``recgov verify`` and ``audit-objects`` need, no content."""


def role_permissions(role: str, bucket_arn: str, key_arn: str | None) -> dict[str, Any]:
    """The identity policy of one of a purpose's roles: ``writer``, ``reader``, ``erasure``, ``legal-hold``."""
    objects = f"{bucket_arn}/*"
    statements: list[dict[str, Any]] = []
    kms_actions: tuple[str, ...] = ()
    if role == "writer":
        statements.append({"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": objects})
        kms_actions = KEY_ENCRYPT_ACTIONS
    elif role == "reader":
        statements.append({"Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": objects})
        statements.append({"Effect": "Allow", "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
                           "Resource": bucket_arn})
        kms_actions = KEY_DECRYPT_ACTIONS
    elif role == "erasure":
        statements.append({"Effect": "Allow",
                           # Reading the legal hold lets an erasure refuse held versions before it acts.
                           "Action": [*DELETE_ACTIONS, "s3:BypassGovernanceRetention", "s3:GetObjectRetention",
                                      "s3:GetObjectLegalHold"],
                           "Resource": objects})
        statements.append({"Effect": "Allow", "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
                           "Resource": bucket_arn})
    elif role == "legal-hold":
        statements.append({"Effect": "Allow",
                           "Action": ["s3:PutObjectLegalHold", "s3:GetObjectLegalHold",
                                      "s3:PutObjectRetention", "s3:GetObjectRetention"],
                           "Resource": objects})
    else:
        raise ValueError(f"unknown role kind {role!r}")
    if kms_actions and key_arn is not None:
        statements.append({"Effect": "Allow", "Action": list(kms_actions), "Resource": key_arn})
    return {"Version": "2012-10-17", "Statement": statements}


def auditor_permissions(bucket_arns: Sequence[str], key_arns: Sequence[str]) -> dict[str, Any]:
    """The auditor role's identity policy: discovery on every bucket, every other read on the stack's own.

    Only :data:`AUDITOR_DISCOVERY_ACTIONS` apply to ``*``; configuration and listings are granted on
    ``bucket_arns``, lock reads on their objects, key reads on ``key_arns``; no object content.
    """
    statements: list[dict[str, Any]] = [
        {"Sid": "DiscoverGovernedBuckets", "Effect": "Allow", "Action": list(AUDITOR_DISCOVERY_ACTIONS),
         "Resource": "*"},
        {"Sid": "ReadStackBucketConfiguration", "Effect": "Allow", "Action": list(AUDITOR_BUCKET_ACTIONS),
         "Resource": list(bucket_arns)},
        {"Sid": "ReadStackObjectLocks", "Effect": "Allow", "Action": list(AUDITOR_OBJECT_ACTIONS),
         "Resource": [f"{arn}/*" for arn in bucket_arns]},
    ]
    if key_arns:
        statements.append({"Sid": "ReadStackKeys", "Effect": "Allow", "Action": list(AUDITOR_KEY_ACTIONS),
                           "Resource": list(key_arns)})
    return {"Version": "2012-10-17", "Statement": statements}


# --- key policies ---------------------------------------------------------------------------------

KEY_ADMIN_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:PutKeyPolicy",
    "kms:UpdateKeyDescription",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:RotateKeyOnDemand",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)
"""Managing a key without using it: no Encrypt, Decrypt, ReEncrypt, GenerateDataKey or CreateGrant."""
KEY_ENCRYPT_ACTIONS = ("kms:GenerateDataKey", "kms:Encrypt")
"""What SSE-KMS needs of an uploader's identity (S3 asks KMS for a data key on its behalf)."""
KEY_DECRYPT_ACTIONS = ("kms:Decrypt",)
"""What SSE-KMS needs of a reader's identity."""
KEY_DECRYPT_CAPABLE = ("kms:Decrypt", "kms:ReEncryptFrom", "kms:CreateGrant")
"""Actions that reach the plaintext: decrypting, re-encrypting under a key one controls, or granting either."""
KEY_ENCRYPT_CAPABLE = ("kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
                       "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:ReEncryptTo")
"""Actions that produce ciphertext under the key."""
S3_VIA_SERVICE = "s3.*.amazonaws.com"
"""``kms:ViaService`` of a request S3 makes on a caller's behalf: the key is used through S3 only."""


def account_root(account_id: str) -> str:
    """The account's own principal: naming it in a key policy lets the account's IAM policies decide."""
    return f"arn:aws:iam::{account_id}:root"


CONNECT_GRANT_SID = "ConnectRecordingGrantByDeployer"


def connect_grant_statement(deployers: Sequence[str], connect: ConnectInstance) -> dict[str, Any]:
    """Lets the deployer have Amazon Connect grant its instance's role the key, and nothing else.

    AssociateInstanceStorageConfig with a KMS key creates, with the caller's permissions, a grant for
    the instance's service-linked role to encrypt (and play back) recordings; without ``kms:CreateGrant``
    the association fails. The grant may only be created by Connect itself on the deployer's behalf
    (``kms:GrantIsForAWSResource``, ``kms:ViaService``) and only for that role (``kms:GranteePrincipal``):
    the deployer cannot grant the key to anyone, itself included.
    """
    return {
        "Sid": CONNECT_GRANT_SID,
        "Effect": "Allow",
        "Principal": {"AWS": list(deployers)},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringEquals": {"kms:ViaService": connect.via_service, "kms:GranteePrincipal": connect.service_role_arn},
        },
    }


def key_policy(account_id: str, principals: Principals) -> dict[str, Any]:
    """The key policy of a purpose's key: who administers, who encrypts, who decrypts.

    The account (and the deployer) administer the key and nothing more, so an IAM administrator can
    always repair the policy: the key never becomes unmanageable, yet no IAM policy attached later
    can let anyone use it. Writers encrypt and readers decrypt, each only through S3. With an Amazon
    Connect instance, the deployer may also have Connect grant the key to the instance's role
    (:func:`connect_grant_statement`).
    """
    admins = list(dict.fromkeys((account_root(account_id), *principals.deployer)))
    statements: list[dict[str, Any]] = [
        {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": admins},
         "Action": list(KEY_ADMIN_ACTIONS), "Resource": "*"},
    ]
    through_s3 = {"StringLike": {"kms:ViaService": S3_VIA_SERVICE}}
    if principals.writers:
        statements.append({"Sid": "EncryptThroughS3ForWriters", "Effect": "Allow",
                           "Principal": {"AWS": list(principals.writers)}, "Action": list(KEY_ENCRYPT_ACTIONS),
                           "Resource": "*", "Condition": through_s3})
    if principals.readers:
        statements.append({"Sid": "DecryptThroughS3ForReaders", "Effect": "Allow",
                           "Principal": {"AWS": list(principals.readers)}, "Action": list(KEY_DECRYPT_ACTIONS),
                           "Resource": "*", "Condition": through_s3})
    if principals.connect is not None:
        statements.append(connect_grant_statement(principals.deployer, principals.connect))
    return {"Version": "2012-10-17", "Statement": statements}


def principal_arn(caller_arn: str) -> str:
    """The ARN ``aws:PrincipalArn`` carries for a caller: an assumed-role session becomes its role.

    ``arn:aws:sts::123456789012:assumed-role/Deployer/ci`` -> ``arn:aws:iam::123456789012:role/Deployer``
    STS drops a role's path from session ARNs: a deployer role with a path is named in config
    (``recgov:deployerArn``) instead.
    """
    parts = caller_arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        role_name = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role_name}"
    return caller_arn


def trust_policy(trusted_arn: str) -> dict[str, Any]:
    """Who may assume a role: the account (or principal) named in config."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": trusted_arn}, "Action": "sts:AssumeRole"}],
    }
