"""The KMS key a bucket's default encryption names: its identity, rotation and key policy.

``DescribeKey`` resolves the id, alias or ARN the bucket names to the key's ARN; then each row of
:data:`READS` asks one question about that ARN, each its own observation, so a denied key-policy
read leaves the rotation judged and the other way round. Only ``Describe*`` and ``Get*`` calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance.collect.observed import Observed
from governance.collect.s3 import error_code

AWS_MANAGED_S3_KEY = "alias/aws/s3"
"""What ``aws:kms`` without a key id means: the account's AWS managed key for S3."""
NOT_FOUND = frozenset({"NotFoundException"})
DESCRIBE_PERMISSION = "kms:DescribeKey"


def _rotation(response: dict[str, Any]) -> bool:
    return response["KeyRotationEnabled"] is True


def _key_policy(response: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(response["Policy"]) if isinstance(response.get("Policy"), str) else None
    if not isinstance(doc, dict):
        raise ValueError("the key policy is not a JSON object")
    return doc


@dataclass(frozen=True)
class KeyRead:
    """One read of a resolved key: the snapshot field it fills, the call, its IAM permission."""

    name: str
    method: str
    permission: str
    parse: Callable[[dict[str, Any]], Any]
    params: tuple[tuple[str, str], ...] = ()

    @property
    def source(self) -> str:
        """``DescribeKey+<operation>``: both calls stand behind the observation."""
        return "DescribeKey+" + "".join(part.capitalize() for part in self.method.split("_"))

    @property
    def permissions(self) -> str:
        """Both permissions, as an error message names them."""
        return f"{DESCRIBE_PERMISSION}, {self.permission}"


READS: tuple[KeyRead, ...] = (
    KeyRead("kms_key", "get_key_rotation_status", "kms:GetKeyRotationStatus", _rotation),
    # A key has exactly one key policy, always named "default"; there is no key without one.
    KeyRead("key_policy", "get_key_policy", "kms:GetKeyPolicy", _key_policy, (("PolicyName", "default"),)),
)
SOURCE = READS[0].source
PERMISSIONS = (DESCRIBE_PERMISSION, *(row.permission for row in READS))


def configured_key(encryption: Observed) -> tuple[str | None, Observed | None]:
    """The key id the encryption configuration names, or the final Observed when there is none."""
    where = {"source": SOURCE, "permission": READS[0].permissions}
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


def _failure(err: Exception) -> str:
    if isinstance(err, ClientError):
        message = err.response.get("Error", {}).get("Message", "")
        return f"{error_code(err)}: {message}".rstrip(": ")
    return f"{type(err).__name__}: {err}"


def _read(kms: Any, arn: str, row: KeyRead) -> Observed:
    where = {"source": row.source, "permission": row.permissions}
    try:
        response = getattr(kms, row.method)(KeyId=arn, **dict(row.params))
        return Observed.present(row.parse(response), **where)
    except (ClientError, BotoCoreError) as err:
        return Observed.unreadable(_failure(err), **where)
    except (KeyError, TypeError, ValueError) as err:
        return Observed.unreadable(f"malformed answer: {err}", **where)


def read_keys(clients: Any, encryption: Observed) -> dict[str, Observed]:
    """``kms_key`` (the key's ARN, manager, state and rotation) and ``key_policy`` (its document).

    Both are absent when the bucket names no KMS key; a key that does not exist is present with
    ``Exists: False`` (uploads fail, and the checks say so) and has no policy to read.
    """
    key_id, final = configured_key(encryption)
    if final is not None or key_id is None:
        done = final or Observed.absent(source=SOURCE)
        # The same fact (no key, or none that can be known) under each read's own name.
        return {row.name: Observed(done.state, done.value, done.reason, row.source, row.permissions) for row in READS}
    kms = clients.kms(_region_of(key_id))
    try:
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        arn = str(meta["Arn"])
    except ClientError as err:
        if error_code(err) in NOT_FOUND:
            where = {"source": SOURCE, "permission": READS[0].permissions}
            return {"kms_key": Observed.present({"KeyId": key_id, "KeyArn": None, "Exists": False}, **where),
                    "key_policy": Observed.absent(READS[1].source, READS[1].permissions)}
        return {row.name: Observed.unreadable(_failure(err), row.source, row.permissions) for row in READS}
    except (BotoCoreError, KeyError, TypeError) as err:
        return {row.name: Observed.unreadable(_failure(err), row.source, row.permissions) for row in READS}
    observed = {row.name: _read(kms, arn, row) for row in READS}
    rotation = observed["kms_key"]
    if rotation.is_present:
        observed["kms_key"] = Observed.present(
            {"KeyId": key_id, "KeyArn": meta.get("Arn"), "Exists": True, "KeyManager": meta.get("KeyManager"),
             "KeyState": meta.get("KeyState"), "KeyRotationEnabled": rotation.value},
            rotation.source, rotation.permission,
        )
    return observed
