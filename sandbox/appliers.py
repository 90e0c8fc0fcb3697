"""One function per supported resource type: apply its declared inputs to the emulator with boto3.

Each applier creates the resource or, when it already exists, brings it to the declared state
(Pulumi's create-or-update), and returns the physical id and the outputs in Pulumi's wire format.
Only the types ``lifecycle.components`` emits are here; the table at the bottom is the whole list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sandbox import wire
from sandbox.wire import api_value, tag_list

Outputs = dict[str, Any]


def physical_name(project: str, stack: str, logical: str) -> str:
    """``<logical>-<7 hex>`` like Pulumi's auto-naming, but derived from project, stack and name.

    Pulumi draws the suffix at random and keeps it in its state; the sandbox has no state file,
    so a hash of the stack and the logical name gives the same name on every deploy.
    """
    digest = hashlib.sha256(f"{project}/{stack}/{logical}".encode()).hexdigest()
    return f"{logical}-{digest[:7]}"


@dataclass(frozen=True)
class ApplyContext:
    """Where and as whom resources are applied, and how physical names are derived."""

    clients: Callable[[str], Any]
    """boto3 client factory by service name, pointed at the emulator."""
    region: str
    account_id: str
    project: str
    stack: str

    def physical_name(self, logical: str) -> str:
        """The name :func:`physical_name` gives ``logical`` in this project and stack."""
        return physical_name(self.project, self.stack, logical)

    def state_parameter(self, logical: str) -> str:
        """Where the sandbox remembers an id the service chose (a KMS key id) between deploys."""
        return f"/pulumi-sandbox/{self.project}/{self.stack}/{logical}"


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


# --- S3 -----------------------------------------------------------------------------------------


def bucket(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
    """``aws:s3/bucket:Bucket``: create (Object Lock only at creation, as S3 requires) and tag."""
    s3 = ctx.clients("s3")
    physical = inputs.get("bucket") or ctx.physical_name(name)
    create: dict[str, Any] = {"Bucket": physical, "ObjectLockEnabledForBucket": bool(inputs.get("objectLockEnabled"))}
    if ctx.region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    try:
        s3.create_bucket(**create)
    except ClientError as err:
        if _code(err) != "BucketAlreadyOwnedByYou":
            raise
    if inputs.get("tags"):
        s3.put_bucket_tagging(Bucket=physical, Tagging={"TagSet": tag_list(inputs["tags"])})
    return physical, {
        **inputs,
        "bucket": physical,
        "arn": f"arn:aws:s3:::{physical}",
        "region": ctx.region,
        "bucketDomainName": f"{physical}.s3.amazonaws.com",
    }


def _bucket_setting(put: Callable[[Any, str, Mapping[str, Any]], None]) -> Callable[..., tuple[str, Outputs]]:
    """An applier for a bucket sub-resource: one idempotent PUT; its id is the bucket name."""

    def apply(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
        put(ctx.clients("s3"), str(inputs["bucket"]), inputs)
        return str(inputs["bucket"]), dict(inputs)

    apply.__doc__ = put.__doc__
    return apply


def _versioning(s3: Any, name: str, inputs: Mapping[str, Any]) -> None:
    """``aws:s3/bucketVersioning:BucketVersioning``."""
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=wire.versioning_configuration_from_wire(inputs))


def _object_lock(s3: Any, name: str, inputs: Mapping[str, Any]) -> None:
    """``aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration``."""
    config = wire.object_lock_configuration_from_wire(inputs)
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=config)


def _lifecycle(s3: Any, name: str, inputs: Mapping[str, Any]) -> None:
    """``aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration``."""
    config = wire.lifecycle_configuration_from_wire(inputs)
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration=config)


def _encryption(s3: Any, name: str, inputs: Mapping[str, Any]) -> None:
    """``aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration``."""
    config = wire.encryption_configuration_from_wire(inputs)
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=config)


def _public_access_block(s3: Any, name: str, inputs: Mapping[str, Any]) -> None:
    """``aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock``: an absent flag is false, as in the API."""
    config = wire.public_access_block_configuration_from_wire(inputs)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=config)


def _ownership(s3: Any, name: str, inputs: Mapping[str, Any]) -> None:
    """``aws:s3/bucketOwnershipControls:BucketOwnershipControls``."""
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=wire.ownership_controls_from_wire(inputs))


def _logging(s3: Any, name: str, inputs: Mapping[str, Any]) -> None:
    """``aws:s3/bucketLogging:BucketLogging``."""
    s3.put_bucket_logging(Bucket=name, BucketLoggingStatus=wire.logging_status_from_wire(inputs))


def _policy(s3: Any, name: str, inputs: Mapping[str, Any]) -> None:
    """``aws:s3/bucketPolicy:BucketPolicy``."""
    s3.put_bucket_policy(Bucket=name, Policy=wire.policy_text_from_wire(inputs))


def _inventory(s3: Any, name: str, inputs: Mapping[str, Any]) -> None:
    """``aws:s3/inventory:Inventory``."""
    config = wire.inventory_configuration_from_wire(inputs)
    s3.put_bucket_inventory_configuration(Bucket=name, Id=config["Id"], InventoryConfiguration=config)


# --- KMS ----------------------------------------------------------------------------------------


def _existing_key(ctx: ApplyContext, name: str) -> str | None:
    ssm = ctx.clients("ssm")
    try:
        key_id = str(ssm.get_parameter(Name=ctx.state_parameter(name))["Parameter"]["Value"])
    except ClientError as err:
        if _code(err) == "ParameterNotFound":
            return None
        raise
    state = ctx.clients("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]
    return key_id if state in ("Enabled", "Disabled") else None


def kms_key(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
    """``aws:kms/key:Key``: KMS chooses the id, so the sandbox records it to find the key again."""
    kms = ctx.clients("kms")
    key_id = _existing_key(ctx, name)
    if key_id is None:
        created = kms.create_key(
            Description=inputs.get("description", ""),
            Tags=tag_list(inputs.get("tags"), "TagKey", "TagValue"),
        )
        key_id = str(created["KeyMetadata"]["KeyId"])
        ctx.clients("ssm").put_parameter(
            Name=ctx.state_parameter(name), Value=key_id, Type="String", Overwrite=True
        )
    else:
        kms.update_key_description(KeyId=key_id, Description=inputs.get("description", ""))
        if inputs.get("tags"):
            kms.tag_resource(KeyId=key_id, Tags=tag_list(inputs["tags"], "TagKey", "TagValue"))
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=key_id)
    else:
        kms.disable_key_rotation(KeyId=key_id)
    arn = f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/{key_id}"
    return key_id, {**inputs, "keyId": key_id, "arn": arn}


def kms_key_policy(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
    """``aws:kms/keyPolicy:KeyPolicy``: a key has exactly one policy, named ``default``; PUT replaces it."""
    key_id, policy = str(inputs["keyId"]), inputs["policy"]
    ctx.clients("kms").put_key_policy(
        KeyId=key_id, PolicyName="default", Policy=policy if isinstance(policy, str) else json.dumps(policy)
    )
    return key_id, dict(inputs)


def kms_alias(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
    """``aws:kms/alias:Alias``."""
    kms = ctx.clients("kms")
    alias, target = str(inputs["name"]), str(inputs["targetKeyId"])
    try:
        kms.create_alias(AliasName=alias, TargetKeyId=target)
    except ClientError as err:
        if _code(err) != "AlreadyExistsException":
            raise
        kms.update_alias(AliasName=alias, TargetKeyId=target)
    target_arn = f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/{target}"
    return alias, {**inputs, "arn": f"arn:aws:kms:{ctx.region}:{ctx.account_id}:{alias}", "targetKeyArn": target_arn}


# --- IAM ----------------------------------------------------------------------------------------


def iam_role(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
    """``aws:iam/role:Role``."""
    iam = ctx.clients("iam")
    physical = inputs.get("name") or ctx.physical_name(name)
    trust = inputs["assumeRolePolicy"]
    trust_text = trust if isinstance(trust, str) else json.dumps(trust)
    try:
        role = iam.create_role(
            RoleName=physical,
            Path=inputs.get("path", "/"),
            AssumeRolePolicyDocument=trust_text,
            Description=inputs.get("description", ""),
            Tags=tag_list(inputs.get("tags")),
        )["Role"]
    except ClientError as err:
        if _code(err) != "EntityAlreadyExists":
            raise
        iam.update_assume_role_policy(RoleName=physical, PolicyDocument=trust_text)
        iam.update_role(RoleName=physical, Description=inputs.get("description", ""))
        if inputs.get("tags"):
            iam.tag_role(RoleName=physical, Tags=tag_list(inputs["tags"]))
        role = iam.get_role(RoleName=physical)["Role"]
    return physical, {**inputs, "name": physical, "arn": role["Arn"], "uniqueId": role["RoleId"]}


def iam_role_policy(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
    """``aws:iam/rolePolicy:RolePolicy``: an inline policy (PUT is create-or-replace)."""
    physical = inputs.get("name") or ctx.physical_name(name)
    role = str(inputs["role"])
    policy = inputs["policy"]
    ctx.clients("iam").put_role_policy(
        RoleName=role, PolicyName=physical, PolicyDocument=policy if isinstance(policy, str) else json.dumps(policy)
    )
    return f"{role}:{physical}", {**inputs, "name": physical}


def _inventory_applier(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
    """``aws:s3/inventory:Inventory``: its id is ``<bucket>:<inventory id>``, as in the provider."""
    _inventory(ctx.clients("s3"), str(inputs["bucket"]), inputs)
    resource_id = f"{inputs['bucket']}:{inputs['name']}"
    return resource_id, dict(inputs)


# --- Glue ---------------------------------------------------------------------------------------


def glue_database(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
    """``aws:glue/catalogDatabase:CatalogDatabase``; its id is ``<catalog id>:<name>``, as in the provider."""
    glue = ctx.clients("glue")
    physical = inputs.get("name") or ctx.physical_name(name)
    database = {"Name": physical, "Description": inputs.get("description", "")}
    try:
        glue.create_database(DatabaseInput=database)
    except ClientError as err:
        if _code(err) != "AlreadyExistsException":
            raise
        glue.update_database(Name=physical, DatabaseInput=database)
    arn = f"arn:aws:glue:{ctx.region}:{ctx.account_id}:database/{physical}"
    return f"{ctx.account_id}:{physical}", {**inputs, "name": physical, "arn": arn, "catalogId": ctx.account_id}


def glue_table_input(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog table's ``TableInput``: the wire format in API shape, its parameters' keys kept verbatim."""
    table: dict[str, Any] = {k: api_value(inputs[w]) for w, k in (
        ("tableType", "TableType"), ("partitionKeys", "PartitionKeys"), ("storageDescriptor", "StorageDescriptor"))
        if w in inputs}
    return {"Name": str(inputs["name"]), **table, "Parameters": dict(inputs.get("parameters") or {})}


def glue_table(ctx: ApplyContext, name: str, inputs: Mapping[str, Any]) -> tuple[str, Outputs]:
    """``aws:glue/catalogTable:CatalogTable``; its id is ``<catalog id>:<database>:<name>``, as in the provider."""
    glue, database = ctx.clients("glue"), str(inputs["databaseName"])
    table = glue_table_input(inputs)
    try:
        glue.create_table(DatabaseName=database, TableInput=table)
    except ClientError as err:
        if _code(err) != "AlreadyExistsException":
            raise
        glue.update_table(DatabaseName=database, TableInput=table)
    arn = f"arn:aws:glue:{ctx.region}:{ctx.account_id}:table/{database}/{table['Name']}"
    return f"{ctx.account_id}:{database}:{table['Name']}", {**inputs, "arn": arn, "catalogId": ctx.account_id}


Applier = Callable[[ApplyContext, str, Mapping[str, Any]], tuple[str, Outputs]]

APPLIERS: dict[str, Applier] = {
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_setting(_versioning),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": _bucket_setting(_object_lock),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_setting(_lifecycle),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_setting(
        _encryption
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_setting(_public_access_block),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_setting(_ownership),
    "aws:s3/bucketLogging:BucketLogging": _bucket_setting(_logging),
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_setting(_policy),
    "aws:s3/inventory:Inventory": _inventory_applier,
    "aws:kms/key:Key": kms_key,
    "aws:kms/keyPolicy:KeyPolicy": kms_key_policy,
    "aws:kms/alias:Alias": kms_alias,
    "aws:iam/role:Role": iam_role,
    "aws:iam/rolePolicy:RolePolicy": iam_role_policy,
    "aws:glue/catalogDatabase:CatalogDatabase": glue_database,
    "aws:glue/catalogTable:CatalogTable": glue_table,
}
"""Exactly the resource types ``lifecycle.components`` emits; anything else is refused by name."""

SKIPPED: dict[str, str] = {
    "aws:connect/instanceStorageConfig:InstanceStorageConfig": (
        "the emulator implements Amazon Connect instances (CreateInstance, DescribeInstance) but not "
        "AssociateInstanceStorageConfig, so where the instance stores recordings is not applied; the bucket, "
        "key and bucket policy that admit its writes are"
    ),
}
"""Types the program declares that the emulator cannot hold, each with the reason; the sandbox skips
them by name and says so, and refuses every type in neither table."""

