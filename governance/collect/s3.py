"""Bucket settings, one table row per S3 read: method, result field, IAM permission, "absent" codes.

Only ``Get*`` and ``Head*`` calls: collection never writes. An error code in a row's ``absent``
set proves the setting does not exist; any other error, or an answer without the expected field or
of the wrong shape, makes it unreadable. ``NoSuchBucket`` marks the whole bucket missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance.collect.observed import Observed
from lifecycle.render import INVENTORY_ID

NO_SUCH_BUCKET = frozenset({"NoSuchBucket", "404", "NotFound"})
"""What HEAD says of a bucket that does not exist: HEAD answers carry no body, hence no error code,
so a bare 404 is all there is."""
GET_NO_SUCH_BUCKET = frozenset({"NoSuchBucket"})
"""What a ``Get*`` says of a bucket that does not exist. Its 404s name their code (``NoSuchTagSet``,
``NoSuchLifecycleConfiguration`` ...); a 404 whose body could not be parsed proves nothing, and must
not turn an existing bucket into a missing one (a FAIL) when the answer was merely garbled."""


def _tag_dict(tag_set: Any) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in tag_set}


def _policy_document(text: Any) -> dict[str, Any]:
    doc = json.loads(text) if isinstance(text, str) else None
    if not isinstance(doc, dict):
        raise ValueError("the bucket policy is not a JSON object")
    return doc


def _response_body(response: Any) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


@dataclass(frozen=True)
class Read:
    """One S3 read: which call, which part of its answer, and what its errors mean."""

    name: str
    method: str
    field: str | None
    permission: str
    absent: frozenset[str] = frozenset()
    kind: type = dict
    missing_field_is_absent: bool = False
    parse: Callable[[Any], Any] | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def source(self) -> str:
        """The API operation, as an auditor would look it up."""
        return "".join(part.capitalize() for part in self.method.split("_"))


READS: tuple[Read, ...] = (
    Read("tags", "get_bucket_tagging", "TagSet", "s3:GetBucketTagging", frozenset({"NoSuchTagSet"}),
         kind=list, parse=_tag_dict),
    # An unversioned bucket answers with no Status at all: that is a value, not an absence.
    Read("versioning", "get_bucket_versioning", None, "s3:GetBucketVersioning", parse=_response_body),
    Read("object_lock", "get_object_lock_configuration", "ObjectLockConfiguration",
         "s3:GetBucketObjectLockConfiguration", frozenset({"ObjectLockConfigurationNotFoundError"})),
    Read("lifecycle", "get_bucket_lifecycle_configuration", "Rules", "s3:GetLifecycleConfiguration",
         frozenset({"NoSuchLifecycleConfiguration"}), kind=list),
    Read("encryption", "get_bucket_encryption", "ServerSideEncryptionConfiguration",
         "s3:GetEncryptionConfiguration", frozenset({"ServerSideEncryptionConfigurationNotFoundError"})),
    Read("public_access_block", "get_public_access_block", "PublicAccessBlockConfiguration",
         "s3:GetBucketPublicAccessBlock", frozenset({"NoSuchPublicAccessBlockConfiguration"})),
    Read("ownership", "get_bucket_ownership_controls", "OwnershipControls", "s3:GetBucketOwnershipControls",
         frozenset({"OwnershipControlsNotFoundError"})),
    Read("policy", "get_bucket_policy", "Policy", "s3:GetBucketPolicy", frozenset({"NoSuchBucketPolicy"}),
         kind=str, parse=_policy_document),
    # Logging off is an answer without LoggingEnabled, not an error.
    Read("logging", "get_bucket_logging", "LoggingEnabled", "s3:GetBucketLogging", missing_field_is_absent=True),
    Read("replication", "get_bucket_replication", "ReplicationConfiguration", "s3:GetReplicationConfiguration",
         frozenset({"ReplicationConfigurationNotFoundError"})),
    # The program's own inventory, by id: S3 answers NoSuchConfiguration (moto: NoSuchInventoryConfig).
    Read("inventory", "get_bucket_inventory_configuration", "InventoryConfiguration",
         "s3:GetInventoryConfiguration", frozenset({"NoSuchConfiguration", "NoSuchInventoryConfig"}),
         params=(("Id", INVENTORY_ID),)),
)


class BucketMissingError(Exception):
    """S3 says the bucket does not exist."""


def error_code(err: ClientError) -> str:
    """The error code of a failed call (``AccessDenied``, ``NoSuchBucket`` ...)."""
    return str(err.response.get("Error", {}).get("Code", "") or err.response.get("ResponseMetadata", {})
               .get("HTTPStatusCode", ""))


def read(s3: Any, bucket: str, row: Read) -> Observed:
    """Run one row's call; raise BucketMissingError when the bucket does not exist."""
    where = {"source": row.source, "permission": row.permission}
    try:
        response = getattr(s3, row.method)(Bucket=bucket, **dict(row.params))
    except ClientError as err:
        code = error_code(err)
        if code in GET_NO_SUCH_BUCKET:
            raise BucketMissingError(bucket) from None
        if code in row.absent:
            return Observed.absent(**where)
        message = err.response.get("Error", {}).get("Message", "")
        return Observed.unreadable(f"{code}: {message}".rstrip(": "), **where)
    except BotoCoreError as err:
        return Observed.unreadable(f"{type(err).__name__}: {err}", **where)
    if not isinstance(response, dict):
        return Observed.unreadable("malformed answer: not an object", **where)
    if row.field is None:
        value: Any = response
    elif row.field in response:
        value = response[row.field]
    elif row.missing_field_is_absent:
        return Observed.absent(**where)
    else:
        return Observed.unreadable(f"malformed answer: no {row.field} field", **where)
    if row.field is not None and not isinstance(value, row.kind):
        return Observed.unreadable(f"malformed answer: {row.field} is a {type(value).__name__}", **where)
    if row.parse is not None:
        try:
            value = row.parse(value)
        except (KeyError, TypeError, ValueError) as err:
            return Observed.unreadable(f"malformed answer: {err}", **where)
    return Observed.present(value, **where)


HEAD = Read("existence", "head_bucket", None, "s3:ListBucket")


def existence(s3: Any, bucket: str) -> Observed:
    """Present when HEAD answers; unreadable when it is denied (S3 answers 403 both for a bucket we may
    not list and for someone else's); raises BucketMissingError when S3 says there is no such bucket."""
    where = {"source": HEAD.source, "permission": HEAD.permission}
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as err:
        code = error_code(err)
        if code in NO_SUCH_BUCKET:
            raise BucketMissingError(bucket) from None
        return Observed.unreadable(f"{code}: HEAD refused", **where)
    except BotoCoreError as err:
        return Observed.unreadable(f"{type(err).__name__}: {err}", **where)
    return Observed.present(True, **where)


def read_all(s3: Any, bucket: str) -> dict[str, Observed]:
    """Existence, then every row of :data:`READS` for one bucket; raises BucketMissingError."""
    return {"existence": existence(s3, bucket), **{row.name: read(s3, bucket, row) for row in READS}}
