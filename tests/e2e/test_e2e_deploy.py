"""Sandbox deploy on the emulator: the program's resources, as declared, and idempotent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pulumi
import pytest

from lifecycle.legal import Purpose
from lifecycle.loader import load_policy
from lifecycle.render import encryption_configuration, render_bucket
from sandbox.deploy import UnsupportedResourceError, deploy
from sandbox.emulator import AwsEmulator
from tests.e2e.conftest import GLUE_EMULATORS, STACK, Deployed, config_for

pytestmark = [pytest.mark.e2e, pytest.mark.emulators("moto", "localstack")]
POLICY = load_policy()


def test_outputs_have_the_shape_of_pulumi_stack_output(deployed: Deployed) -> None:
    outputs = json.loads(deployed.deployment.outputs_json())
    assert set(outputs) >= {"buckets", "keyArns", "roleArns", "auditorRoleArn", "deployerArn", "policyDigest"}
    assert set(outputs["buckets"]) == {str(p) for p in Purpose}
    for purpose, name in outputs["buckets"].items():
        assert re.fullmatch(rf"recgov-{STACK}-{purpose}-[0-9a-f]{{7}}", name), name
    assert outputs["policyDigest"] == POLICY.digest
    assert all(arn.startswith("arn:aws:kms:eu-west-3:") for arn in outputs["keyArns"].values())


@pytest.mark.parametrize("purpose", [str(p) for p in Purpose])
def test_each_bucket_carries_its_rendered_specification(deployed: Deployed, purpose: str) -> None:
    s3, name = deployed.client("s3"), deployed.bucket(purpose)
    spec = render_bucket(POLICY[Purpose(purpose)])
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"] == list(spec.lifecycle["Rules"])
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert block == dict(spec.public_access_block)
    ownership = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert ownership == list(spec.ownership["Rules"])
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
    assert tags == dict(spec.tags)
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    # S3 reports an unset bucket key as false; the rendered rule leaves it out.
    rules = [{k: v for k, v in r.items() if (k, v) != ("BucketKeyEnabled", False)} for r in rules]
    key_arn = deployed.outputs["keyArns"].get(purpose)
    assert rules == encryption_configuration(key_arn)["Rules"]
    if spec.object_lock is not None:
        lock = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
        assert lock["Rule"]["DefaultRetention"]["Mode"] == spec.lock_mode
        assert lock["Rule"]["DefaultRetention"]["Days"] == spec.lock_days
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    assert policy["Statement"] and all(s["Effect"] in ("Allow", "Deny") for s in policy["Statement"])
    if spec.log_prefix is not None:
        logging = s3.get_bucket_logging(Bucket=name)["LoggingEnabled"]
        assert logging == {"TargetBucket": deployed.bucket("access-logs"), "TargetPrefix": spec.log_prefix}


def test_keys_rotate_and_roles_carry_their_policies(deployed: Deployed) -> None:
    kms, iam = deployed.client("kms"), deployed.client("iam")
    for arn in deployed.outputs["keyArns"].values():
        assert kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"] is True
    for purpose, roles in deployed.outputs["roleArns"].items():
        for kind, arn in roles.items():
            name = arn.rsplit("/", 1)[1]
            policies = iam.list_role_policies(RoleName=name)["PolicyNames"]
            assert policies, f"{purpose} {kind} role has no inline policy"
            document = iam.get_role_policy(RoleName=name, PolicyName=policies[0])["PolicyDocument"]
            resources = json.dumps(document)
            assert deployed.bucket(purpose) in resources, f"{purpose} {kind} policy does not name its bucket"


def test_the_inventories_athena_tables_are_in_the_catalog(deployed: Deployed) -> None:
    if deployed.emulator.name not in GLUE_EMULATORS:
        pytest.skip(f"{deployed.emulator.name} offers no Glue: the Athena tables are deployed on moto only")
    glue = deployed.client("glue")
    assert glue.get_database(Name="inventories")["Database"]["Name"] == "inventories"
    names = {t["Name"] for t in glue.get_tables(DatabaseName="inventories")["TableList"]}
    assert names == {"quality", "proof", "evaluations", "evidence"}
    table = glue.get_table(DatabaseName="inventories", Name="proof")["Table"]
    assert table["StorageDescriptor"]["Location"] == (
        f"s3://{deployed.bucket('access-logs')}/inventory/{deployed.bucket('proof')}/recgov-daily/hive/")
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}["last_modified_date"] == "timestamp"
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert table["Parameters"]["projection.dt.interval.unit"] == "HOURS"
    assert deployed.outputs["inventoryTables"]["proof"] == "inventories.proof"


def test_deploying_again_changes_nothing(deployed: Deployed) -> None:
    s3, iam, kms = deployed.client("s3"), deployed.client("iam"), deployed.client("kms")
    before = (len(s3.list_buckets()["Buckets"]), len(iam.list_roles()["Roles"]), len(kms.list_keys()["Keys"]))
    again = deploy(deployed.emulator.endpoint_url, stack=STACK, config=config_for(deployed.emulator))
    after = (len(s3.list_buckets()["Buckets"]), len(iam.list_roles()["Roles"]), len(kms.list_keys()["Keys"]))
    assert again.outputs == deployed.outputs
    assert after == before


def test_another_stack_gets_other_names(emulator: AwsEmulator, deployed: Deployed) -> None:
    other = deploy(emulator.endpoint_url, stack="other",
                   config={**config_for(emulator), "recgov:namePrefix": "recgov-e2e"})
    assert set(other.outputs["buckets"].values()).isdisjoint(deployed.outputs["buckets"].values())
    assert set(other.outputs["keyArns"].values()).isdisjoint(deployed.outputs["keyArns"].values())


def test_a_policy_beyond_the_law_deploys_nothing(emulator: AwsEmulator, deployed: Deployed) -> None:
    count = len(deployed.client("s3").list_buckets()["Buckets"])
    with pytest.raises(pulumi.RunError, match="quality"):
        deploy(emulator.endpoint_url, stack="illegal",
               config={**config_for(emulator), "recgov:purposes": {"quality": {"retentionDays": 400}}})
    assert len(deployed.client("s3").list_buckets()["Buckets"]) == count


def test_an_unsupported_resource_is_refused_by_its_type(emulator: AwsEmulator, tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text("import pulumi_aws as aws\naws.sqs.Queue('orders')\n", encoding="utf-8")
    with pytest.raises(UnsupportedResourceError, match=r"aws:sqs/queue:Queue \(orders\)"):
        deploy(emulator.endpoint_url, stack="odd", config=config_for(emulator), program=program)
