"""Render a purpose's policy into the specification of its bucket, in the S3 API's shape.

This is the one translation of the policy into infrastructure. The Pulumi components build their
resources from it, and the governance checks judge a deployed bucket against it, so no rule is
written twice. Values known only at deploy time (key, role and bucket ARNs) are parameters of the
functions that need them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lifecycle.legal import LIMITS, LockMode, Purpose
from lifecycle.policy import PurposePolicy
from lifecycle.purposes import traits
from lifecycle.retention import LIFECYCLE_ROUNDING_DAYS, AgeBound, multipart_worst_case, parse_rules, worst_case_age

TAG_PURPOSE = "recgov:purpose"
TAG_RETENTION = "recgov:retention-days"
TAG_LEGAL_BASIS = "recgov:legal-basis"
TAG_MANAGED_BY = "recgov:managed-by"

NONCURRENT_DAYS = 1
"""Noncurrent versions go one day after they stop being current: the expiry already waited."""
ABORT_MULTIPART_DAYS = 1
"""Parts of an abandoned upload are recording bytes too; they go after a day."""

LOGGING_SERVICE = "logging.s3.amazonaws.com"


def lifecycle_days(retention_days: int, versioned: bool = True) -> tuple[int, int]:
    """Current-version expiry and noncurrent expiry whose worst case is exactly ``retention_days``.

    Each action can run up to a day late (midnight UTC), so a versioned bucket's worst case is
    expiry + 1 + noncurrent + 1.
    """
    if not versioned:
        return retention_days - LIFECYCLE_ROUNDING_DAYS, 0
    expiry = retention_days - NONCURRENT_DAYS - 2 * LIFECYCLE_ROUNDING_DAYS
    return expiry, NONCURRENT_DAYS


def lifecycle_rules(retention_days: int, shorter: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """The lifecycle rules of a governed bucket (versioned), in API shape.

    ``ExpiredObjectDeleteMarker`` cannot share an ``Expiration`` with ``Days``, hence two rules.
    ``shorter`` maps a key prefix to a shorter retention (a derived kind's): where rules overlap, S3
    applies the earliest expiry, so each gets a rule of its own beside the catch-all.
    """
    expiry, noncurrent = lifecycle_days(retention_days)
    extra = []
    for i, (prefix, days) in enumerate(sorted((shorter or {}).items())):
        short_expiry, short_noncurrent = lifecycle_days(days)
        extra.append({
            "ID": f"expire-derived-{i + 1}",
            "Status": "Enabled",
            "Filter": {"Prefix": prefix},
            "Expiration": {"Days": short_expiry},
            "NoncurrentVersionExpiration": {"NoncurrentDays": short_noncurrent},
        })
    return [
        {
            "ID": "expire-recordings",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": expiry},
            "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
        },
        {
            "ID": "remove-expired-delete-markers",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"ExpiredObjectDeleteMarker": True},
        },
        *extra,
    ]


@dataclass(frozen=True)
class BucketSpec:
    """Everything a governed bucket must be, except deploy-time identifiers."""

    purpose: Purpose
    retention_days: int
    legal_max_days: int
    tags: Mapping[str, str]
    versioning: Mapping[str, Any]
    object_lock: Mapping[str, Any] | None
    lifecycle: Mapping[str, Any]
    public_access_block: Mapping[str, bool]
    ownership: Mapping[str, Any]
    log_prefix: str | None
    kms: bool
    inventory: bool
    worst_case: AgeBound
    multipart_worst_case: AgeBound
    rules: tuple[str, ...] = field(default=())

    @property
    def lock_mode(self) -> LockMode | None:
        """The default Object Lock mode, if any."""
        if not self.object_lock:
            return None
        return LockMode(self.object_lock["Rule"]["DefaultRetention"]["Mode"])

    @property
    def lock_days(self) -> int | None:
        """The default Object Lock days, if any."""
        if not self.object_lock:
            return None
        return int(self.object_lock["Rule"]["DefaultRetention"]["Days"])


def render_bucket(policy: PurposePolicy) -> BucketSpec:
    """The specification of the bucket for one purpose."""
    purpose = policy.purpose
    limit = LIMITS[purpose]
    rules = lifecycle_rules(policy.retention_days, derived_expiries(policy))
    lock = None
    if policy.lock_mode is not None and policy.lock_days is not None:
        lock = {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": str(policy.lock_mode), "Days": policy.lock_days}},
        }
    parsed = parse_rules(rules)
    worst = worst_case_age(parsed, versioned=True, lock_days=policy.lock_days if lock else None)
    kind = traits(purpose)
    return BucketSpec(
        purpose=purpose,
        retention_days=policy.retention_days,
        legal_max_days=limit.max_days,
        tags={
            TAG_PURPOSE: str(purpose),
            TAG_RETENTION: str(policy.retention_days),
            # S3 tag values allow letters, digits, spaces and + - = . _ : / @ only.
            TAG_LEGAL_BASIS: _tag_value(policy.legal_basis),
            TAG_MANAGED_BY: "recgov",
        },
        versioning={"Status": "Enabled"},
        object_lock=lock,
        lifecycle={"Rules": rules},
        public_access_block={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        ownership={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        log_prefix=None if kind.log_target else f"{purpose}/",
        # S3 delivers server access logs only to buckets encrypted with SSE-S3.
        kms=kind.kms,
        # The log bucket receives the inventories; it does not need one of its own.
        inventory=not kind.log_target,
        worst_case=worst,
        multipart_worst_case=multipart_worst_case(parsed),
        rules=kind.rules,
    )


def derived_prefix(policy: PurposePolicy, kind: str) -> str:
    """Where a purpose's derived kind is written: its configured prefix, else its layout's default."""
    declared = next((d for d in policy.derived if d.kind == kind), None)
    layout_kind = policy.key_layout.derived_kind(kind)
    if declared is not None and declared.prefix:
        return declared.prefix
    return layout_kind.default_prefix if layout_kind else kind


def derived_expiries(policy: PurposePolicy) -> dict[str, int]:
    """Key prefix -> retention of each derived kind kept shorter than the recordings."""
    return {f"{derived_prefix(policy, d.kind)}/": policy.derived_retention(d)
            for d in policy.derived if policy.derived_retention(d) < policy.retention_days}


def _tag_value(text: str) -> str:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-=._:/@")
    cleaned = "".join(c if c in allowed else " " for c in text)
    return " ".join(cleaned.split())[:256]


def encryption_configuration(key_arn: str | None) -> dict[str, Any]:
    """Default encryption: SSE-KMS with the purpose's key and a bucket key, or SSE-S3 for logs."""
    if key_arn is None:
        return {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    return {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": key_arn,
                },
                "BucketKeyEnabled": True,
            }
        ]
    }


def logging_configuration(target_bucket: str, prefix: str) -> dict[str, Any]:
    """Server access logging of a purpose's bucket into the log bucket."""
    return {"LoggingEnabled": {"TargetBucket": target_bucket, "TargetPrefix": prefix}}


INVENTORY_ID = "recgov-daily"
INVENTORY_PREFIX = "inventory"
"""Inventories land at ``inventory/<source-bucket>/recgov-daily/`` in the log bucket."""
INVENTORY_FIELDS = (
    "Size",
    "LastModifiedDate",
    "StorageClass",
    "ETag",
    "IsMultipartUploaded",
    "EncryptionStatus",
    "ObjectLockRetainUntilDate",
    "ObjectLockMode",
    "ObjectLockLegalHoldStatus",
)
"""What the object audit reads: age, encryption and lock of every version (S3 Inventory has no tags)."""


def inventory_configuration(destination_bucket_arn: str, account_id: str) -> dict[str, Any]:
    """The daily, all-versions Parquet inventory of a governed bucket, in API shape."""
    return {
        "Id": INVENTORY_ID,
        "IsEnabled": True,
        "IncludedObjectVersions": "All",
        "Schedule": {"Frequency": "Daily"},
        "Destination": {
            "S3BucketDestination": {
                "AccountId": account_id,
                "Bucket": destination_bucket_arn,
                "Format": "Parquet",
                "Prefix": INVENTORY_PREFIX,
            }
        },
        "OptionalFields": list(INVENTORY_FIELDS),
    }
