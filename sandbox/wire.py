"""Pulumi's wire format to the AWS API's shape, per S3 bucket setting resource.

Pulumi hands a resource's properties over as the engine sees them: camelCase keys and every number
a float (under the mock runtime, and in a policy pack's stack validation alike). boto3 and the
governance checks speak the API's PascalCase (with its acronyms) and integers. The sandbox applies
these shapes to the emulator and the preventive policy pack judges them, so both translate through
the functions here, once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

ACRONYMS = {
    "id": "ID",
    "sseAlgorithm": "SSEAlgorithm",
    "kmsMasterKeyId": "KMSMasterKeyID",
    "serDeInfo": "SerdeInfo",
}
"""Keys whose API spelling is not the camelCase name with a capital first letter."""


def api_key(name: str) -> str:
    """``noncurrentDays`` -> ``NoncurrentDays``; ``kmsMasterKeyId`` -> ``KMSMasterKeyID``."""
    if name in ACRONYMS:
        return ACRONYMS[name]
    return name[:1].upper() + name[1:]


def whole_numbers(value: Any) -> Any:
    """A wire value with every whole float as the integer it stands for, recursively; keys are kept."""
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [whole_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def api_value(value: Any) -> Any:
    """A wire value in API shape: PascalCase keys, whole floats as ints, recursively."""
    if isinstance(value, Mapping):
        return {api_key(str(k)): api_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [api_value(v) for v in value]
    return whole_numbers(value)


def tag_list(tags: Mapping[str, str] | None, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    """A tag mapping as the list of pairs the APIs take (KMS spells them ``TagKey``/``TagValue``)."""
    return [{key: k, value: v} for k, v in sorted((tags or {}).items())]


# --- One function per S3 bucket setting resource: its properties as the API's Put* argument -------


def versioning_configuration_from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """``aws:s3/bucketVersioning:BucketVersioning`` -> ``VersioningConfiguration``."""
    return dict(api_value(props["versioningConfiguration"]))


def object_lock_configuration_from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """``aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration`` -> ``ObjectLockConfiguration``."""
    return {"ObjectLockEnabled": props.get("objectLockEnabled", "Enabled"), "Rule": api_value(props["rule"])}


def lifecycle_configuration_from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """``aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration`` -> ``LifecycleConfiguration``."""
    return {"Rules": api_value(props["rules"])}


def encryption_configuration_from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """``aws:s3/bucketServerSideEncryptionConfiguration:…`` -> ``ServerSideEncryptionConfiguration``."""
    return {"Rules": api_value(props["rules"])}


PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")


def public_access_block_configuration_from_wire(props: Mapping[str, Any]) -> dict[str, bool]:
    """``aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock``: an absent flag is false, as in the API."""
    return {api_key(k): bool(props.get(k, False)) for k in PUBLIC_ACCESS_FLAGS}


def ownership_controls_from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """``aws:s3/bucketOwnershipControls:BucketOwnershipControls`` -> ``OwnershipControls``."""
    return {"Rules": [api_value(props["rule"])]}


def logging_status_from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """``aws:s3/bucketLogging:BucketLogging`` -> ``BucketLoggingStatus``."""
    return {"LoggingEnabled": {"TargetBucket": props["targetBucket"], "TargetPrefix": props.get("targetPrefix", "")}}


def policy_text_from_wire(props: Mapping[str, Any]) -> str:
    """``aws:s3/bucketPolicy:BucketPolicy`` -> the ``Policy`` JSON text (the engine may hold it parsed)."""
    policy = props["policy"]
    return policy if isinstance(policy, str) else json.dumps(policy)


def replication_configuration_from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """``aws:s3/bucketReplicationConfig:BucketReplicationConfig`` -> ``ReplicationConfiguration``."""
    return {"Role": props.get("role", ""), "Rules": api_value(props.get("rules") or [])}


def inventory_configuration_from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """``aws:s3/inventory:Inventory`` -> ``InventoryConfiguration``: Pulumi's nesting differs from the API's."""
    target = props["destination"]["bucket"]
    destination = {k: v for k, v in api_value(target).items() if k != "BucketArn"}
    destination["Bucket"] = target["bucketArn"]
    config: dict[str, Any] = {
        "Id": props["name"],
        "IsEnabled": bool(props.get("enabled", True)),
        "IncludedObjectVersions": props["includedObjectVersions"],
        "Schedule": api_value(props["schedule"]),
        "Destination": {"S3BucketDestination": destination},
        "OptionalFields": list(props.get("optionalFields") or []),
    }
    if props.get("filter"):
        config["Filter"] = api_value(props["filter"])
    return config
