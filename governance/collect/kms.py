"""The KMS key a bucket's default encryption names: its identity and whether it rotates.

Two reads in order, the second needing the first's answer: ``DescribeKey`` resolves the id, alias or
ARN the bucket names to the key's ARN, then ``GetKeyRotationStatus`` asks about that ARN.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance.collect.observed import Observed
from governance.collect.s3 import error_code

SOURCE = "DescribeKey+GetKeyRotationStatus"
PERMISSIONS = ("kms:DescribeKey", "kms:GetKeyRotationStatus")
AWS_MANAGED_S3_KEY = "alias/aws/s3"
"""What ``aws:kms`` without a key id means: the account's AWS managed key for S3."""
NOT_FOUND = frozenset({"NotFoundException"})


def configured_key(encryption: Observed) -> tuple[str | None, Observed | None]:
    """The key id the encryption configuration names, or the final Observed when there is none."""
    where = {"source": SOURCE, "permission": ", ".join(PERMISSIONS)}
    if encryption.is_unreadable:
        return None, Observed.unreadable(f"the encryption configuration is unreadable ({encryption.reason})", **where)
    if not encryption.is_present:
        return None, Observed.absent(**where)
    for rule in encryption.value.get("Rules") or ():
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
            return str(default.get("KMSMasterKeyID") or AWS_MANAGED_S3_KEY), None
    return None, Observed.absent(**where)


def _region_of(key_id: str) -> str | None:
    parts = key_id.split(":")
    return parts[3] if key_id.startswith("arn:") and len(parts) > 3 and parts[3] else None


def read_key(clients: Any, encryption: Observed) -> Observed:
    """The key's ARN, manager, state and rotation; absent when the bucket names no KMS key."""
    key_id, final = configured_key(encryption)
    if final is not None or key_id is None:
        return final or Observed.absent(source=SOURCE)
    kms = clients.kms(_region_of(key_id))
    where = {"source": SOURCE, "permission": ", ".join(PERMISSIONS)}
    try:
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        rotation = kms.get_key_rotation_status(KeyId=meta["Arn"])["KeyRotationEnabled"]
    except ClientError as err:
        code = error_code(err)
        if code in NOT_FOUND:
            # The bucket names a key that does not exist: uploads fail, and the check says so.
            return Observed.present({"KeyId": key_id, "KeyArn": None, "Exists": False}, **where)
        message = err.response.get("Error", {}).get("Message", "")
        return Observed.unreadable(f"{code}: {message}".rstrip(": "), **where)
    except (BotoCoreError, KeyError, TypeError) as err:
        return Observed.unreadable(f"{type(err).__name__}: {err}", **where)
    return Observed.present(
        {
            "KeyId": key_id,
            "KeyArn": meta.get("Arn"),
            "Exists": True,
            "KeyManager": meta.get("KeyManager"),
            "KeyState": meta.get("KeyState"),
            "KeyRotationEnabled": rotation is True,
        },
        **where,
    )
