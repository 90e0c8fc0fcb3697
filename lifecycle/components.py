"""Pulumi components: one governed bucket per purpose, built from its rendered specification.

This is the only module of ``lifecycle`` that imports Pulumi. Every setting comes from
``lifecycle.render`` and ``lifecycle.access``; nothing here decides a number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from lifecycle.access import (
    ConnectInstance,
    Principals,
    auditor_permissions,
    bucket_policy_document,
    connect_write_statement,
    deny_requirements,
    inventory_delivery_statement,
    key_policy,
    log_delivery_statement,
    role_permissions,
    trust_policy,
)
from lifecycle.inventory_table import (
    IGNORE_KEY_OUTPUT,
    PARQUET_SERDE,
    PARTITION,
    SYMLINK_INPUT,
    columns,
    hive_location,
    table_name,
    table_parameters,
)
from lifecycle.purposes import traits
from lifecycle.render import INVENTORY_ID, BucketSpec, encryption_configuration, inventory_configuration

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``KMSMasterKeyID`` -> ``kms_master_key_id``: S3 API names to Pulumi argument names."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def to_pulumi(value: Any) -> Any:
    """An API-shaped structure with every key in Pulumi's snake_case."""
    if isinstance(value, Mapping):
        return {snake_case(k): to_pulumi(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_pulumi(v) for v in value]
    return value


def _permissions_json(kind: str) -> Callable[[list[Any]], str]:
    """Renders a role kind's identity policy once the bucket and key ARNs are known."""

    def render(arns: list[Any]) -> str:
        return json.dumps(role_permissions(kind, arns[0], arns[1]))

    return render


@dataclass(frozen=True)
class GovernedBucketArgs:
    """What a governed bucket needs besides its specification.

    ``principals`` maps a role kind (``writer``, ``reader``, ``erasure``) to existing principal ARNs
    an organisation already has; a kind that is absent gets a role created for it.
    """

    spec: BucketSpec
    deployer_arns: pulumi.Input[Sequence[str]]
    trusted_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    log_bucket: pulumi.Input[str] | None = None
    log_ready: Sequence[pulumi.Resource] = ()
    inventory_bucket_arn: pulumi.Input[str] | None = None
    principals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    extra_readers: pulumi.Input[Sequence[str]] = ()
    log_source_pattern: str | None = None
    protect: bool = False
    extra_writers: pulumi.Input[Sequence[str]] = ()
    """Writers besides the purpose's own (the service-linked role an Amazon Connect instance writes as)."""
    connect_instance_arn: str | None = None
    """An Amazon Connect instance whose service principal may write here (aws:SourceArn, aws:SourceAccount)."""
    connect_service_role: pulumi.Input[str] | None = None
    """That instance's service-linked role, which Connect grants the key to on the deployer's behalf."""


def inventory_arguments(config: Mapping[str, Any]) -> dict[str, Any]:
    """An API ``InventoryConfiguration`` as ``aws.s3.Inventory``'s arguments.

    Pulumi names the id ``name`` and the flag ``enabled``, and nests the destination under ``bucket``
    with the bucket's ARN as ``bucket_arn``; every other field only changes case.
    """
    destination = dict(config["Destination"]["S3BucketDestination"])
    destination["BucketArn"] = destination.pop("Bucket")
    return to_pulumi({
        "Name": config["Id"],
        "Enabled": config["IsEnabled"],
        "IncludedObjectVersions": config["IncludedObjectVersions"],
        "Schedule": config["Schedule"],
        "Destination": {"Bucket": destination},
        "OptionalFields": config["OptionalFields"],
    })


class GovernedBucket(pulumi.ComponentResource):
    """An S3 bucket for one purpose, with every control the policy requires.

    Creates the bucket (Object Lock enabled, never force-destroyed), versioning, default Object Lock
    retention, the lifecycle, SSE-KMS with a rotating customer key of its own and a bucket key,
    the public access block, enforced ownership, server access logging, the bucket policy, and the
    purpose's roles. Each step is a method below, called in the order S3 needs.
    """

    bucket: aws.s3.Bucket
    key: aws.kms.Key | None
    policy: aws.s3.BucketPolicy
    role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GovernedBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("recgov:storage:GovernedBucket", name, None, opts)
        self._name, self._args, self._spec = name, args, args.spec
        self._child = pulumi.ResourceOptions(parent=self, protect=args.protect)
        self._given = {k: tuple(v) for k, v in args.principals.items()}
        self.key = self._key()
        key_arn = self.key.arn if self.key is not None else None
        self.bucket = aws.s3.Bucket(
            name, object_lock_enabled=self._spec.object_lock is not None, force_destroy=False,
            tags={**self._spec.tags}, opts=self._child,
        )
        public_block = self._settings(key_arn)
        self._inventory()
        self.role_arns = self._roles(key_arn)
        self._key_policy()
        self.policy = self._bucket_policy(key_arn, public_block)
        self.register_outputs({"bucket": self.bucket.bucket, "key_arn": key_arn, "role_arns": dict(self.role_arns)})

    @property
    def _purpose(self) -> str:
        return str(self._spec.purpose)

    def _after(self, *resources: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=list(resources)))

    def _key(self) -> aws.kms.Key | None:
        """The purpose's own rotating customer key and its alias (none for the log bucket: SSE-S3)."""
        if not self._spec.kms:
            return None
        key = aws.kms.Key(
            f"{self._name}-key",
            description=f"recgov: encryption of the {self._purpose} recordings bucket",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags={**self._spec.tags},
            opts=self._child,
        )
        aws.kms.Alias(f"{self._name}-key-alias", name=f"alias/{self._name}", target_key_id=key.key_id,
                      opts=self._child)
        return key

    def _settings(self, key_arn: pulumi.Output[str] | None) -> aws.s3.BucketPublicAccessBlock:
        """The bucket's settings, each from the rendered specification; returns the public access block,
        which the bucket policy waits for."""
        spec, name, bucket_id = self._spec, self._name, self.bucket.id
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket_id, versioning_configuration=to_pulumi(spec.versioning),
            opts=self._child,
        )
        if spec.object_lock is not None:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock", bucket=bucket_id, object_lock_enabled="Enabled",
                rule=to_pulumi(spec.object_lock["Rule"]), opts=self._after(versioning),
            )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket_id, rules=to_pulumi(spec.lifecycle["Rules"]),
            opts=self._after(versioning),
        )
        if key_arn is not None:
            encryption: pulumi.Input[Any] = key_arn.apply(lambda arn: to_pulumi(encryption_configuration(arn)["Rules"]))
        else:
            encryption = to_pulumi(encryption_configuration(None)["Rules"])
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket_id, rules=encryption, opts=self._child
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block", bucket=bucket_id, **to_pulumi(spec.public_access_block), opts=self._child
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket_id, rule=to_pulumi(spec.ownership["Rules"][0]), opts=self._child
        )
        if self._args.log_bucket is not None and spec.log_prefix is not None:
            aws.s3.BucketLogging(
                f"{name}-logging", bucket=bucket_id, target_bucket=self._args.log_bucket,
                target_prefix=spec.log_prefix,
                # S3 refuses logging until the log bucket's policy admits the delivery.
                opts=self._after(*self._args.log_ready),
            )
        return public_block

    def _inventory(self) -> None:
        """The daily inventory of every version, delivered into the log bucket."""
        if not self._spec.inventory or self._args.inventory_bucket_arn is None:
            return
        arguments = self._args.inventory_bucket_arn, self._args.account_id
        inventory = pulumi.Output.all(*arguments).apply(lambda v: inventory_arguments(inventory_configuration(*v)))
        aws.s3.Inventory(
            f"{self._name}-inventory",
            bucket=self.bucket.id,
            # The id is fixed: the checks and the audit find the inventory by it.
            name=INVENTORY_ID,
            enabled=True,
            included_object_versions=inventory["included_object_versions"],
            schedule=inventory["schedule"],
            destination=inventory["destination"],
            optional_fields=inventory["optional_fields"],
            opts=self._child,
        )

    def _roles(self, key_arn: pulumi.Output[str] | None) -> dict[str, pulumi.Output[str]]:
        """One role per role kind of the purpose that the stack does not name an existing principal for."""
        kind_of = traits(self._spec.purpose)
        roles: dict[str, pulumi.Output[str]] = {}
        for kind in map(str, kind_of.roles):
            if kind in self._given:
                continue
            role = aws.iam.Role(
                f"{self._name}-{kind}",
                description=f"recgov: {kind} of the {self._purpose} recordings",
                assume_role_policy=pulumi.Output.from_input(self._args.trusted_arn).apply(
                    lambda arn: json.dumps(trust_policy(arn))
                ),
                tags={**self._spec.tags},
                opts=self._child,
            )
            # Proof readers are the dispute team: they also place legal holds.
            kinds = (kind, "legal-hold") if (kind_of.legal_hold and kind == "reader") else (kind,)
            for k in kinds:
                aws.iam.RolePolicy(
                    f"{self._name}-{k}-policy",
                    role=role.id,
                    policy=pulumi.Output.all(self.bucket.arn, key_arn).apply(_permissions_json(k)),
                    opts=self._child,
                )
            roles[kind] = role.arn
        return roles

    def _principal_arns(self, kind: str) -> pulumi.Output[list[str]]:
        """The ARNs of one role kind: the stack's own principals, else the role created for it, else none."""
        if kind in self._given:
            return pulumi.Output.from_input(list(self._given[kind]))
        if kind in self.role_arns:
            return self.role_arns[kind].apply(lambda a: [a])
        return pulumi.Output.from_input([])

    def _readers(self) -> pulumi.Output[list[str]]:
        extra = self._args.extra_readers
        return pulumi.Output.all(self._principal_arns("reader"), extra).apply(lambda v: [*v[0], *v[1]])

    def _writers(self) -> pulumi.Output[list[str]]:
        extra = self._args.extra_writers
        return pulumi.Output.all(self._principal_arns("writer"), extra).apply(lambda v: [*v[0], *v[1]])

    def _key_policy(self) -> None:
        """The key's policy, a resource of its own: the key exists before the roles that its policy names."""
        if self.key is None:
            return
        users = pulumi.Output.all(account_id=self._args.account_id, deployers=self._args.deployer_arns,
                                  readers=self._readers(), writers=self._writers(),
                                  connect_role=self._args.connect_service_role)
        document = users.apply(lambda v: json.dumps(key_policy(v["account_id"], self._key_users(**v))))
        aws.kms.KeyPolicy(f"{self._name}-key-policy", key_id=self.key.key_id, policy=document, opts=self._child)

    def _key_users(self, account_id: str, deployers: Sequence[str], readers: Sequence[str],
                   writers: Sequence[str], connect_role: str | None) -> Principals:
        instance = self._args.connect_instance_arn
        return Principals(
            deployer=tuple(deployers), readers=tuple(readers), writers=tuple(writers),
            connect=ConnectInstance(instance, connect_role) if instance and connect_role else None,
        )

    def _bucket_policy(
        self, key_arn: pulumi.Output[str] | None, public_block: aws.s3.BucketPublicAccessBlock
    ) -> aws.s3.BucketPolicy:
        """The bucket policy: the purpose's denies, and the allows its deliveries need."""
        legal_hold = (self._principal_arns("reader") if traits(self._spec.purpose).legal_hold
                      else pulumi.Output.from_input([]))
        known = pulumi.Output.all(
            bucket_arn=self.bucket.arn,
            key_arn=key_arn,
            deployers=self._args.deployer_arns,
            readers=self._readers(),
            writers=self._writers(),
            erasure=self._principal_arns("erasure"),
            legal_hold=legal_hold,
            account_id=self._args.account_id,
        )
        return aws.s3.BucketPolicy(
            f"{self._name}-policy",
            bucket=self.bucket.id,
            policy=known.apply(lambda v: json.dumps(self._policy_document(**v))),
            # S3 refuses a policy change while the public access block is being applied.
            opts=self._after(public_block),
        )

    def _policy_document(
        self,
        bucket_arn: str,
        key_arn: str | None,
        deployers: Sequence[str],
        readers: Sequence[str],
        writers: Sequence[str],
        erasure: Sequence[str],
        legal_hold: Sequence[str],
        account_id: str,
    ) -> dict[str, Any]:
        spec, args = self._spec, self._args
        principals = Principals(
            deployer=tuple(deployers),
            readers=tuple(readers),
            writers=tuple(writers),
            erasure=tuple(erasure),
            legal_hold=tuple(legal_hold),
            service_sources=(args.connect_instance_arn,) if args.connect_instance_arn else (),
        )
        extra = []
        if args.connect_instance_arn:
            extra.append(connect_write_statement(bucket_arn, args.connect_instance_arn))
        if traits(spec.purpose).log_target and args.log_source_pattern is not None:
            extra.append(log_delivery_statement(bucket_arn, account_id, [args.log_source_pattern]))
            extra.append(inventory_delivery_statement(bucket_arn, account_id, [args.log_source_pattern]))
        requirements = deny_requirements(spec.purpose, principals, key_arn, spec.retention_days)
        return bucket_policy_document(bucket_arn, requirements, extra)


class AuditorRole(pulumi.ComponentResource):
    """A role that reads the configuration of the stack's buckets and keys and the access logs, never recordings.

    The log bucket's own policy names this role as its reader, so the role is created first and
    its permissions, which name the buckets and keys, once they exist (:meth:`grant_reads`).
    """

    role: aws.iam.Role

    def __init__(self, name: str, trusted_arn: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("recgov:access:AuditorRole", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            name,
            description="recgov: auditor (configuration and access logs, no recordings)",
            assume_role_policy=pulumi.Output.from_input(trusted_arn).apply(lambda a: json.dumps(trust_policy(a))),
            opts=self._child,
        )
        self.register_outputs({"arn": self.role.arn})

    def grant_reads(
        self,
        bucket_arns: Sequence[pulumi.Input[str]],
        key_arns: Sequence[pulumi.Input[str]],
        log_bucket_arn: pulumi.Input[str],
    ) -> None:
        """Configuration reads on exactly these buckets and keys, and reads of the access logs."""
        aws.iam.RolePolicy(
            f"{self._name}-configuration-policy",
            role=self.role.id,
            policy=pulumi.Output.all(pulumi.Output.all(*bucket_arns), pulumi.Output.all(*key_arns)).apply(
                lambda v: json.dumps(auditor_permissions(v[0], v[1]))
            ),
            opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{self._name}-access-logs-policy",
            role=self.role.id,
            policy=pulumi.Output.from_input(log_bucket_arn).apply(
                lambda arn: json.dumps(role_permissions("reader", arn, None))
            ),
            opts=self._child,
        )

def connect_service_role(instance_id: str, region: str) -> pulumi.Output[str]:
    """The service-linked role an Amazon Connect instance writes its call recordings as.

    Its name carries a suffix Connect chooses (``AWSServiceRoleForAmazonConnect_<suffix>``), so it is
    read from the instance (DescribeInstance's ``ServiceRole``) rather than derived from the instance id.
    """
    return aws.connect.get_instance_output(instance_id=instance_id, region=region).service_role


@dataclass(frozen=True)
class ConnectRecordingStorageArgs:
    """Where an Amazon Connect instance stores its call recordings: a governed bucket, its key, a prefix."""

    instance_id: str
    region: str
    bucket: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    prefix: str
    ready: Sequence[pulumi.Resource] = ()
    """Resources to exist first (the bucket policy that admits Connect's writes)."""


class ConnectRecordingStorage(pulumi.ComponentResource):
    """The instance storage config for CALL_RECORDINGS: S3, the governed bucket, SSE-KMS with its key.

    Connect creates a grant on the key for the instance's service-linked role when the config is
    associated (AssociateInstanceStorageConfig), with the deployer's ``kms:CreateGrant``, which the
    key's policy gives for exactly that grant (``lifecycle.access.connect_grant_statement``).
    """

    storage: aws.connect.InstanceStorageConfig

    def __init__(
        self, name: str, args: ConnectRecordingStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("recgov:connect:RecordingStorage", name, None, opts)
        self.storage = aws.connect.InstanceStorageConfig(
            f"{name}-call-recordings",
            instance_id=args.instance_id,
            region=args.region,
            resource_type="CALL_RECORDINGS",
            storage_config={
                "storage_type": "S3",
                "s3_config": {
                    "bucket_name": args.bucket,
                    "bucket_prefix": args.prefix,
                    # Connect wants the key's full ARN; the bucket policy denies uploads under any other key.
                    "encryption_config": {"encryption_type": "KMS", "key_id": args.key_arn},
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.ready)),
        )
        self.register_outputs({"association_id": self.storage.association_id})


@dataclass(frozen=True)
class InventoryTablesArgs:
    """The Glue database to create and, per purpose, the bucket whose inventory gets a table."""

    database: str
    since: str
    inventory_bucket: pulumi.Input[str]
    sources: Mapping[str, pulumi.Input[str]]


class InventoryTables(pulumi.ComponentResource):
    """A Glue database with one Athena table per governed bucket's S3 Inventory (``--engine athena``).

    Each table is the one ``lifecycle.inventory_table`` derives from the inventory the program
    configures: AWS's Parquet DDL over the delivery's Hive symlink files, ``dt`` projected hourly.
    """

    database: aws.glue.CatalogDatabase
    tables: dict[str, aws.glue.CatalogTable]

    def __init__(self, name: str, args: InventoryTablesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("recgov:audit:InventoryTables", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.database = aws.glue.CatalogDatabase(
            f"{name}-database", name=args.database,
            description="recgov: S3 Inventory tables of the governed buckets, for the object audit", opts=child,
        )
        self.tables = {}
        for purpose, source in args.sources.items():
            location = pulumi.Output.all(args.inventory_bucket, source).apply(lambda v: hive_location(v[0], v[1]))
            self.tables[purpose] = aws.glue.CatalogTable(
                f"{name}-{purpose}",
                database_name=self.database.name,
                name=table_name(purpose),
                table_type="EXTERNAL_TABLE",
                parameters=table_parameters(args.since),
                partition_keys=[{"name": PARTITION, "type": "string"}],
                storage_descriptor={
                    "location": location,
                    "input_format": SYMLINK_INPUT,
                    "output_format": IGNORE_KEY_OUTPUT,
                    "ser_de_info": {"serialization_library": PARQUET_SERDE},
                    "columns": [{"name": n, "type": t} for n, t in columns()],
                },
                opts=child,
            )
        self.register_outputs({"database": self.database.name,
                               "tables": {p: t.name for p, t in self.tables.items()}})
