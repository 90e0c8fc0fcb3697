"""The Pulumi program: one governed bucket per purpose, from the retention policy.

This is the composition root, the only place that reads ``pulumi.Config()`` and exports. The policy
is loaded and validated before any resource is registered, so a stack whose settings exceed the
law fails ``pulumi preview`` with the rule and the limit, and nothing is deployed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from lifecycle.access import principal_arn
from lifecycle.components import (
    AuditorRole,
    ConnectRecordingStorage,
    ConnectRecordingStorageArgs,
    GovernedBucket,
    GovernedBucketArgs,
    InventoryTables,
    InventoryTablesArgs,
    connect_service_role,
)
from lifecycle.legal import Purpose
from lifecycle.loader import load_policy_file
from lifecycle.policy import PolicyError
from lifecycle.purposes import LOG_TARGET, PURPOSES
from lifecycle.render import render_bucket
from lifecycle.stack_config import CONNECT_PURPOSE, StackSettings, parse_stack_settings

config = pulumi.Config("recgov")
try:
    settings: StackSettings = parse_stack_settings(
        {key: config.get_object(key) for key in ("purposes", "principals", "amazonConnect", "athena")}
        | {key: config.get(key) for key in ("policyFile", "namePrefix", "deployerArn", "trustedAccountArn")},
        stack=pulumi.get_stack(),
    )
    policy_path = Path(settings.policy_file) if settings.policy_file else None
    policy = load_policy_file(policy_path, settings.purposes)
except PolicyError as err:
    # RunError is shown as the message alone: the user reads the rule and the limit, not a traceback.
    raise pulumi.RunError("the retention policy was refused:\n" + str(err)) from None

caller = aws.get_caller_identity_output()
account_id = caller.account_id
deployer = (
    pulumi.Output.from_input(settings.deployer_arn) if settings.deployer_arn else caller.arn.apply(principal_arn)
)
deployer_arns = deployer.apply(lambda d: [d])
trusted = settings.trusted_account_arn or account_id.apply(lambda a: f"arn:aws:iam::{a}:root")
prefix = settings.name_prefix
log_name = f"{prefix}-{LOG_TARGET}"

auditors = settings.principals.get("auditor", {}).get("reader")
auditor_role = None
if auditors is None:
    auditor_role = AuditorRole(f"{prefix}-auditor", trusted)
    auditor_readers: pulumi.Input[list[str]] = auditor_role.role.arn.apply(lambda a: [a])
else:
    auditor_readers = list(auditors)

# Amazon Connect writes call recordings as its instance's service-linked role (and, for recording
# ingestion, as its service principal scoped to the instance): both are admitted as quality writers.
connect = settings.amazon_connect
connect_writer: dict[str, Any] = {}
if connect is not None:
    connect_role = connect_service_role(connect.instance_id, connect.region)
    connect_writer = {"extra_writers": connect_role.apply(lambda r: [r]), "connect_instance_arn": connect.instance_arn,
                      "connect_service_role": connect_role}

buckets: dict[Purpose, GovernedBucket] = {}
logs = buckets[LOG_TARGET] = GovernedBucket(
    log_name,
    GovernedBucketArgs(
        spec=render_bucket(policy[LOG_TARGET]),
        deployer_arns=deployer_arns,
        trusted_arn=trusted,
        account_id=account_id,
        extra_readers=auditor_readers,
        log_source_pattern=f"arn:aws:s3:::{prefix}-*",
        protect=PURPOSES[LOG_TARGET].protect,
    ),
)
for purpose in (p for p in PURPOSES if p is not LOG_TARGET):
    buckets[purpose] = GovernedBucket(
        f"{prefix}-{purpose}",
        GovernedBucketArgs(
            spec=render_bucket(policy[purpose]),
            deployer_arns=deployer_arns,
            trusted_arn=trusted,
            account_id=account_id,
            log_bucket=logs.bucket.bucket,
            log_ready=[logs.policy],
            inventory_bucket_arn=logs.bucket.arn,
            principals=settings.principals.get(str(purpose), {}),
            # proof recordings (GDPR Art. 17(3)(e)) and archived evidence must survive `pulumi destroy`
            protect=PURPOSES[purpose].protect,
            **(connect_writer if purpose is CONNECT_PURPOSE else {}),
        ),
    )

if connect is not None:
    recordings = buckets[CONNECT_PURPOSE]
    assert recordings.key is not None, "a recordings purpose has its own KMS key"
    ConnectRecordingStorage(
        f"{prefix}-amazon-connect",
        ConnectRecordingStorageArgs(
            instance_id=connect.instance_id,
            region=connect.region,
            bucket=recordings.bucket.bucket,
            key_arn=recordings.key.arn,
            prefix=connect.recordings_prefix,
            ready=[recordings.policy],
        ),
    )

if auditor_role is not None:
    auditor_role.grant_reads(
        [b.bucket.arn for b in buckets.values()],
        [b.key.arn for b in buckets.values() if b.key is not None],
        logs.bucket.arn,
    )
if settings.athena is not None:
    tables = InventoryTables(f"{prefix}-inventory-tables", InventoryTablesArgs(
        settings.athena.database, settings.athena.since, logs.bucket.bucket,
        {str(p): b.bucket.bucket for p, b in buckets.items() if render_bucket(policy[p]).inventory},
    ))
    pulumi.export("inventoryTables", {p: pulumi.Output.concat(settings.athena.database, ".", t.name)
                                      for p, t in tables.tables.items()})

pulumi.export("buckets", {str(p): b.bucket.bucket for p, b in buckets.items()})
pulumi.export("keyArns", {str(p): b.key.arn for p, b in buckets.items() if b.key is not None})
pulumi.export("roleArns", {str(p): b.role_arns for p, b in buckets.items() if b.role_arns})
pulumi.export("auditorRoleArn", auditor_role.role.arn if auditor_role else auditor_readers)
pulumi.export("deployerArn", deployer)
pulumi.export("policyDigest", policy.digest)
# The effective settings, so `recgov verify --stack-outputs` judges what this stack deployed.
pulumi.export("policy", policy.as_dict())
if connect is not None:
    pulumi.export("amazonConnect", {"purpose": str(CONNECT_PURPOSE), "instanceArn": connect.instance_arn,
                                    "serviceRoleArn": connect_role})
