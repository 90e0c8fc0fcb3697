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


class GovernedBucket(pulumi.ComponentResource):
    """An S3 bucket for one purpose, with every control the policy requires.

    Creates the bucket (Object Lock enabled, never force-destroyed), versioning, default Object Lock
    retention, the lifecycle, SSE-KMS with a rotating customer key of its own and a bucket key,
    the public access block, enforced ownership, server access logging, the bucket policy, and the
    purpose's roles.
    """

    bucket: aws.s3.Bucket
    key: aws.kms.Key | None
    policy: aws.s3.BucketPolicy
    role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GovernedBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("recgov:storage:GovernedBucket", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self, protect=args.protect)
        purpose = str(spec.purpose)

        self.key = None
        key_arn: pulumi.Output[str] | None = None
        if spec.kms:
            self.key = aws.kms.Key(
                f"{name}-key",
                description=f"recgov: encryption of the {purpose} recordings bucket",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                tags={**spec.tags},
                opts=child,
            )
            aws.kms.Alias(f"{name}-key-alias", name=f"alias/{name}", target_key_id=self.key.key_id, opts=child)
            key_arn = self.key.arn

        self.bucket = aws.s3.Bucket(
            name,
            object_lock_enabled=spec.object_lock is not None,
            force_destroy=False,
            tags={**spec.tags},
            opts=child,
        )
        bucket_id = self.bucket.id
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration=to_pulumi(spec.versioning),
            opts=child,
        )
        after_versioning = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning]))
        if spec.object_lock is not None:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket_id,
                object_lock_enabled="Enabled",
                rule=to_pulumi(spec.object_lock["Rule"]),
                opts=after_versioning,
            )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=to_pulumi(spec.lifecycle["Rules"]),
            opts=after_versioning,
        )
        if key_arn is not None:
            encryption: pulumi.Input[Any] = key_arn.apply(lambda arn: to_pulumi(encryption_configuration(arn)["Rules"]))
        else:
            encryption = to_pulumi(encryption_configuration(None)["Rules"])
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket_id, rules=encryption, opts=child
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block", bucket=bucket_id, **to_pulumi(spec.public_access_block), opts=child
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket_id, rule=to_pulumi(spec.ownership["Rules"][0]), opts=child
        )
        if args.log_bucket is not None and spec.log_prefix is not None:
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket_id,
                target_bucket=args.log_bucket,
                target_prefix=spec.log_prefix,
                # S3 refuses logging until the log bucket's policy admits the delivery.
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(args.log_ready))),
            )
        if spec.inventory and args.inventory_bucket_arn is not None:
            inventory = pulumi.Output.all(args.inventory_bucket_arn, args.account_id).apply(
                lambda v: inventory_configuration(v[0], v[1])
            )
            destination = inventory["Destination"].apply(lambda d: d["S3BucketDestination"])
            aws.s3.Inventory(
                f"{name}-inventory",
                bucket=bucket_id,
                name=INVENTORY_ID,
                enabled=True,
                included_object_versions=inventory["IncludedObjectVersions"],
                schedule={"frequency": inventory["Schedule"]["Frequency"]},
                destination={
                    "bucket": {
                        "bucket_arn": destination["Bucket"],
                        "account_id": destination["AccountId"],
                        "format": destination["Format"],
                        "prefix": destination["Prefix"],
                    }
                },
                optional_fields=inventory["OptionalFields"],
                opts=child,
            )

        self.role_arns = {}
        given = {k: tuple(v) for k, v in args.principals.items()}
        kind_of = traits(spec.purpose)
        for kind in map(str, kind_of.roles):
            if kind in given:
                continue
            role = aws.iam.Role(
                f"{name}-{kind}",
                description=f"recgov: {kind} of the {purpose} recordings",
                assume_role_policy=pulumi.Output.from_input(args.trusted_arn).apply(
                    lambda arn: json.dumps(trust_policy(arn))
                ),
                tags={**spec.tags},
                opts=child,
            )
            # Proof readers are the dispute team: they also place legal holds.
            kinds = (kind, "legal-hold") if (kind_of.legal_hold and kind == "reader") else (kind,)
            for k in kinds:
                aws.iam.RolePolicy(
                    f"{name}-{k}-policy",
                    role=role.id,
                    policy=pulumi.Output.all(self.bucket.arn, key_arn).apply(_permissions_json(k)),
                    opts=child,
                )
            self.role_arns[kind] = role.arn

        def principal_arns(kind: str) -> pulumi.Output[list[str]]:
            if kind in given:
                return pulumi.Output.from_input(list(given[kind]))
            if kind in self.role_arns:
                return self.role_arns[kind].apply(lambda a: [a])
            return pulumi.Output.from_input([])

        readers = pulumi.Output.all(principal_arns("reader"), args.extra_readers).apply(lambda v: [*v[0], *v[1]])
        writers = pulumi.Output.all(principal_arns("writer"), args.extra_writers).apply(lambda v: [*v[0], *v[1]])
        legal_hold = principal_arns("reader") if kind_of.legal_hold else pulumi.Output.from_input([])
        if self.key is not None:
            # A resource of its own: the key exists before the roles that its policy names.
            key_users = pulumi.Output.all(args.account_id, args.deployer_arns, readers, writers)
            key_document = key_users.apply(lambda v: json.dumps(key_policy(
                v[0], Principals(deployer=tuple(v[1]), readers=tuple(v[2]), writers=tuple(v[3])))))
            aws.kms.KeyPolicy(f"{name}-key-policy", key_id=self.key.key_id, policy=key_document, opts=child)
        document = pulumi.Output.all(
            self.bucket.arn,
            key_arn,
            args.deployer_arns,
            readers,
            writers,
            principal_arns("erasure"),
            legal_hold,
            args.account_id,
        ).apply(lambda v: json.dumps(GovernedBucket._policy(spec, args, *v)))
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=document,
            # S3 refuses a policy change while the public access block is being applied.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_block])),
        )
        self.register_outputs(
            {"bucket": self.bucket.bucket, "key_arn": key_arn, "role_arns": dict(self.role_arns)}
        )

    @staticmethod
    def _policy(
        spec: BucketSpec,
        args: GovernedBucketArgs,
        bucket_arn: str,
        key_arn: str | None,
        deployers: Sequence[str],
        readers: Sequence[str],
        writers: Sequence[str],
        erasure: Sequence[str],
        legal_hold: Sequence[str],
        account_id: str,
    ) -> dict[str, Any]:
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
    associated (AssociateInstanceStorageConfig), with the deployer's ``kms:CreateGrant``; the key
    needs no other statement for Connect to encrypt.
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
