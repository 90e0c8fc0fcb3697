"""The real __main__.py under Pulumi's mock runtime: every resource of every purpose, with its arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from lifecycle.legal import Purpose
from lifecycle.loader import load_policy
from lifecycle.render import lifecycle_rules, render_bucket
from sandbox.program import ProgramRun
from sandbox.wire import whole_numbers

PREFIX = "recgov-dev"
ACCOUNT = "123456789012"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/Deployer"
Runner = Callable[..., ProgramRun]
LOCKED = {"quality": ("GOVERNANCE", 89), "proof": ("COMPLIANCE", 364), "evaluations": ("GOVERNANCE", 359),
          "evidence": ("COMPLIANCE", 1824)}
ALL = [*sorted(LOCKED), "access-logs"]


def inputs(run: ProgramRun, name: str) -> dict[str, Any]:
    return whole_numbers(dict(run.named(name).inputs))


def policy_of(run: ProgramRun, purpose: str) -> dict[str, Any]:
    return json.loads(run.named(f"{PREFIX}-{purpose}-policy").inputs["policy"])


def statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in doc["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"statement {sid} appears {len(found)} times"
    return found[0]


@pytest.mark.parametrize("purpose", ALL)
def test_bucket_is_locked_tagged_and_never_force_destroyed(default_run: ProgramRun, purpose: str) -> None:
    bucket = inputs(default_run, f"{PREFIX}-{purpose}")
    assert bucket["forceDestroy"] is False, f"{purpose}: bucket must never be force-destroyed"
    assert bucket["objectLockEnabled"] is (purpose != "access-logs"), f"{purpose}: object lock"
    assert bucket["tags"]["recgov:purpose"] == purpose
    assert bucket["tags"]["recgov:retention-days"] == str(load_policy()[purpose].retention_days)
    assert bucket["tags"]["recgov:legal-basis"], f"{purpose}: legal basis tag"


@pytest.mark.parametrize("purpose", ALL)
def test_versioning_and_lifecycle_follow_the_rendered_specification(default_run: ProgramRun, purpose: str) -> None:
    assert inputs(default_run, f"{PREFIX}-{purpose}-versioning")["versioningConfiguration"] == {"status": "Enabled"}
    rules = inputs(default_run, f"{PREFIX}-{purpose}-lifecycle")["rules"]
    retention = load_policy()[purpose].retention_days
    expire = next(r for r in rules if r["id"] == "expire-recordings")
    assert expire["status"] == "Enabled"
    assert expire["filter"] == {"prefix": ""}, f"{purpose}: the expiry rule must cover every key"
    assert expire["expiration"] == {"days": retention - 3}
    assert expire["noncurrentVersionExpiration"] == {"noncurrentDays": 1}
    assert expire["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
    markers = next(r for r in rules if r["id"] == "remove-expired-delete-markers")
    assert markers["expiration"] == {"expiredObjectDeleteMarker": True}
    assert len(rules) == len(lifecycle_rules(retention))


@pytest.mark.parametrize("purpose", sorted(LOCKED))
def test_object_lock_default_retention(default_run: ProgramRun, purpose: str) -> None:
    lock = inputs(default_run, f"{PREFIX}-{purpose}-object-lock")
    mode, days = LOCKED[purpose]
    assert lock["rule"] == {"defaultRetention": {"mode": mode, "days": days}}, purpose


def test_access_log_bucket_has_no_object_lock(default_run: ProgramRun) -> None:
    with pytest.raises(KeyError):
        default_run.named(f"{PREFIX}-access-logs-object-lock")


@pytest.mark.parametrize("purpose", sorted(LOCKED))
def test_encryption_uses_the_purposes_own_rotating_key(default_run: ProgramRun, purpose: str) -> None:
    key = default_run.named(f"{PREFIX}-{purpose}-key")
    assert key.inputs["enableKeyRotation"] is True, f"{purpose}: key rotation"
    key_arn = key.outputs["arn"]
    (rule,) = inputs(default_run, f"{PREFIX}-{purpose}-encryption")["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
        "bucketKeyEnabled": True,
    }
    alias = inputs(default_run, f"{PREFIX}-{purpose}-key-alias")
    assert alias["name"] == f"alias/{PREFIX}-{purpose}"


def test_access_logs_use_sse_s3_because_s3_logging_requires_it(default_run: ProgramRun) -> None:
    (rule,) = inputs(default_run, f"{PREFIX}-access-logs-encryption")["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


@pytest.mark.parametrize("purpose", ALL)
def test_public_access_blocked_and_ownership_enforced(default_run: ProgramRun, purpose: str) -> None:
    block = inputs(default_run, f"{PREFIX}-{purpose}-public-access-block")
    for flag in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"):
        assert block[flag] is True, f"{purpose}: {flag}"
    assert inputs(default_run, f"{PREFIX}-{purpose}-ownership")["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


@pytest.mark.parametrize("purpose", sorted(LOCKED))
def test_server_access_logs_go_to_the_log_bucket(default_run: ProgramRun, purpose: str) -> None:
    logging = inputs(default_run, f"{PREFIX}-{purpose}-logging")
    assert logging["targetBucket"] == f"{PREFIX}-access-logs-0a1b2c3"
    assert logging["targetPrefix"] == f"{purpose}/"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


@pytest.mark.parametrize("purpose", sorted(LOCKED))
def test_bucket_policy_statements(default_run: ProgramRun, purpose: str) -> None:
    doc = policy_of(default_run, purpose)
    bucket_arn = f"arn:aws:s3:::{PREFIX}-{purpose}-0a1b2c3"
    tls = statement(doc, "DenyInsecureTransport")
    assert tls["Effect"] == "Deny" and tls["Action"] == "s3:*"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(tls["Resource"]) == {bucket_arn, f"{bucket_arn}/*"}

    key_arn = default_run.named(f"{PREFIX}-{purpose}-key").outputs["arn"]
    other_keys = statement(doc, "DenyOtherKmsKeys")
    assert other_keys["Condition"]["StringNotEqualsIfExists"] == {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn
    }
    # Per-object retention is bounded by the stack's own retention (the legal maximum is further).
    cap = statement(doc, "DenyRetentionBeyondStackRetention")
    spec = render_bucket(load_policy()[purpose])
    assert cap["Condition"]["NumericGreaterThan"] == {
        "s3:object-lock-remaining-retention-days": str(spec.retention_days - 1)
    }
    assert spec.retention_days - 1 == LOCKED[purpose][1], "the same bound as the default lock"

    tamper = statement(doc, "DenyConfigurationChanges")
    for action in ("s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning",
                   "s3:PutBucketPolicy", "s3:PutReplicationConfiguration"):
        assert action in tamper["Action"], f"{purpose}: {action} must be denied to all but the deployer"
    assert tamper["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [DEPLOYER]

    reads = statement(doc, "DenyReadsOutsidePurpose")
    assert reads["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [role_arn(f"{PREFIX}-{purpose}-reader")]
    writes = statement(doc, "DenyWritesOutsidePurpose")
    assert writes["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [role_arn(f"{PREFIX}-{purpose}-writer")]

    bypass = statement(doc, "DenyGovernanceBypass")
    if purpose in ("proof", "evidence"):
        assert "Condition" not in bypass, f"nobody may bypass retention on {purpose}"
    else:
        assert bypass["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [role_arn(f"{PREFIX}-{purpose}-erasure")]


def test_log_bucket_policy_admits_the_logging_service_and_auditors_only(default_run: ProgramRun) -> None:
    doc = policy_of(default_run, "access-logs")
    delivery = statement(doc, "AllowServerAccessLogDelivery")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    reads = statement(doc, "DenyReadsOutsidePurpose")
    assert reads["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [role_arn(f"{PREFIX}-auditor")]
    assert "Condition" not in statement(doc, "DenyDeletes")
    # Every identity, the deployer's included, is refused uploads: S3's own delivery is the only writer.
    writes = statement(doc, "DenyWritesOutsideDelivery")
    assert writes["Principal"] == "*" and writes["Action"] in ("s3:PutObject", ["s3:PutObject"])
    assert writes["Condition"] == {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}


@pytest.mark.parametrize(
    ("purpose", "kinds"),
    [("quality", {"writer", "reader", "erasure"}), ("proof", {"writer", "reader"}),
     ("evaluations", {"writer", "reader", "erasure"}), ("evidence", {"writer", "reader"})],
)
def test_roles_per_purpose(default_run: ProgramRun, purpose: str, kinds: set[str]) -> None:
    names = {r.name for r in default_run.of_type("aws:iam/role:Role")}
    made = {k for k in ("writer", "reader", "erasure") if f"{PREFIX}-{purpose}-{k}" in names}
    assert made == kinds, f"{purpose}: roles {made}"
    writer = json.loads(default_run.named(f"{PREFIX}-{purpose}-writer-policy").inputs["policy"])
    actions = {a for s in writer["Statement"] for a in s["Action"]}
    assert "s3:GetObject" not in actions and "s3:PutObject" in actions, "the recorder writes and never reads"


def test_auditor_role_reads_configuration_not_recordings(default_run: ProgramRun) -> None:
    doc = json.loads(default_run.named(f"{PREFIX}-auditor-configuration-policy").inputs["policy"])
    actions = {a for s in doc["Statement"] for a in s["Action"]}
    assert "s3:GetLifecycleConfiguration" in actions
    assert not {a for a in actions if a.startswith("s3:Put") or a in ("s3:GetObject", "s3:DeleteObject")}


def test_auditor_reads_only_the_stacks_buckets_objects_and_keys(default_run: ProgramRun) -> None:
    doc = json.loads(default_run.named(f"{PREFIX}-auditor-configuration-policy").inputs["policy"])
    buckets = {f"arn:aws:s3:::{PREFIX}-{p}-0a1b2c3" for p in ALL}
    keys = {default_run.named(f"{PREFIX}-{p}-key").outputs["arn"] for p in LOCKED}
    discovery = statement(doc, "DiscoverGovernedBuckets")
    assert discovery["Resource"] == "*"
    assert set(discovery["Action"]) == {"s3:ListAllMyBuckets", "tag:GetResources", "s3:GetBucketTagging"}
    assert set(statement(doc, "ReadStackBucketConfiguration")["Resource"]) == buckets
    assert "s3:ListBucketVersions" in statement(doc, "ReadStackBucketConfiguration")["Action"]
    assert set(statement(doc, "ReadStackObjectLocks")["Resource"]) == {f"{b}/*" for b in buckets}
    assert set(statement(doc, "ReadStackKeys")["Resource"]) == keys
    assert [s["Sid"] for s in doc["Statement"] if s["Resource"] == "*"] == ["DiscoverGovernedBuckets"]
    logs = json.loads(default_run.named(f"{PREFIX}-auditor-access-logs-policy").inputs["policy"])
    assert {r for s in logs["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
            } == {f"arn:aws:s3:::{PREFIX}-access-logs-0a1b2c3", f"arn:aws:s3:::{PREFIX}-access-logs-0a1b2c3/*"}


@pytest.mark.parametrize("purpose", sorted(LOCKED))
def test_each_key_has_its_own_policy_naming_who_administers_encrypts_and_decrypts(
    default_run: ProgramRun, purpose: str
) -> None:
    key_policy = default_run.named(f"{PREFIX}-{purpose}-key-policy")
    assert key_policy.inputs["keyId"] == default_run.named(f"{PREFIX}-{purpose}-key").outputs["keyId"]
    assert key_policy.protect is (purpose in ("proof", "evidence")), "restoring KMS's default policy is a change"
    doc = json.loads(key_policy.inputs["policy"])
    admin = statement(doc, "KeyAdministration")
    assert admin["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT}:root", DEPLOYER]}
    assert "kms:PutKeyPolicy" in admin["Action"], "the account can always repair the policy"
    assert not {a for a in admin["Action"] if a.startswith(("kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt",
                                                                "kms:GenerateDataKey", "kms:CreateGrant"))}
    encrypt = statement(doc, "EncryptThroughS3ForWriters")
    assert encrypt["Principal"] == {"AWS": [role_arn(f"{PREFIX}-{purpose}-writer")]}
    assert encrypt["Action"] == ["kms:GenerateDataKey", "kms:Encrypt"]
    decrypt = statement(doc, "DecryptThroughS3ForReaders")
    assert decrypt["Principal"] == {"AWS": [role_arn(f"{PREFIX}-{purpose}-reader")]}
    assert decrypt["Action"] == ["kms:Decrypt"]
    for use in (encrypt, decrypt):
        assert use["Condition"] == {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}
    assert len(doc["Statement"]) == 3


def test_existing_principals_are_the_key_users(run_stack: Runner) -> None:
    team = f"arn:aws:iam::{ACCOUNT}:role/DisputeTeam"
    recorder = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect_1"
    run = run_stack({"principals": {"proof": {"reader": [team], "writer": [recorder]}}})
    doc = json.loads(run.named(f"{PREFIX}-proof-key-policy").inputs["policy"])
    assert statement(doc, "DecryptThroughS3ForReaders")["Principal"] == {"AWS": [team]}
    assert statement(doc, "EncryptThroughS3ForWriters")["Principal"] == {"AWS": [recorder]}


def test_per_object_retention_follows_the_example_stacks_shorter_retention(run_stack: Runner) -> None:
    run = run_stack({"purposes": {"proof": {"retentionDays": 180}}})
    cap = statement(policy_of(run, "proof"), "DenyRetentionBeyondStackRetention")
    assert cap["Condition"]["NumericGreaterThan"] == {"s3:object-lock-remaining-retention-days": "179"}


def test_proof_and_log_buckets_are_protected_against_destroy(default_run: ProgramRun) -> None:
    for reg in default_run.registrations:
        if reg.custom and any(f"{PREFIX}-{p}" in reg.name for p in ("proof", "evidence", "access-logs")):
            assert reg.protect, f"{reg.name} ({reg.type}) must be protected"
    assert not default_run.named(f"{PREFIX}-quality").protect


def test_stack_outputs(default_run: ProgramRun) -> None:
    out = default_run.outputs
    assert out["buckets"] == {p: f"{PREFIX}-{p}-0a1b2c3" for p in ALL}
    assert set(out["keyArns"]) == set(LOCKED)
    assert out["roleArns"]["quality"]["erasure"] == role_arn(f"{PREFIX}-quality-erasure")
    assert "erasure" not in out["roleArns"]["proof"]
    assert out["deployerArn"] == DEPLOYER
    assert out["policyDigest"] == load_policy().digest
    assert out["policy"] == json.loads(json.dumps(load_policy().as_dict()))  # as the outputs carry it


def test_shorter_stack_values_are_deployed(run_stack: Runner) -> None:
    run = run_stack({"purposes": {"quality": {"retentionDays": 60}, "proof": {"objectLockMode": "GOVERNANCE"}}})
    rules = inputs(run, f"{PREFIX}-quality-lifecycle")["rules"]
    assert rules[0]["expiration"] == {"days": 57}
    lock = inputs(run, f"{PREFIX}-quality-object-lock")["rule"]["defaultRetention"]
    assert lock == {"mode": "GOVERNANCE", "days": 59}
    assert inputs(run, f"{PREFIX}-proof-object-lock")["rule"]["defaultRetention"]["mode"] == "GOVERNANCE"
    assert run.named(f"{PREFIX}-quality").inputs["tags"]["recgov:retention-days"] == "60"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"purposes": {"quality": {"retentionDays": 200}}},
         "quality: retentionDays 200 exceeds the legal maximum of 181"),
        ({"purposes": {"proof": {"retentionDays": 2000}}}, "R5"),
        ({"purposes": {"quality": {"samplingRate": 1.0}}}, "samplingRate 1.0 is outside (0, 0.30]"),
        ({"purposes": {"quality": {"objectLockDays": 90}}}, "objectLockDays 90 keeps locked versions up to 91 days"),
        ({"purposes": {"marketing": {"retentionDays": 30}}}, "marketing: unknown purpose"),
        ({"purposes": {"quality": {"retentionDays": -1}}}, "retentionDays -1 must not be negative"),
        ({"purposes": {"quality": {"retentionDays": 30.5}}}, "must be a whole number of days"),
        ({"purposes": {"proof": {"retentionDays": 300}, "quality": {"retentionDays": 120}}}, "longer than the policy"),
        ({"namePrefix": "Not_Valid"}, "recgov:namePrefix"),
        ({"principals": {"quality": {"reader": ["not-an-arn"]}}}, "is not an IAM principal ARN"),
    ],
)
def test_refused_settings_stop_the_program_before_any_resource(
    run_stack: Runner, config: dict[str, Any], expected: str
) -> None:
    assert_refused_before_any_resource(run_stack, config, expected)


def assert_refused_before_any_resource(run_stack: Runner, config: dict[str, Any], expected: str) -> None:
    """The program stops with ``expected`` in its error, and not one resource is registered first."""
    partial = ProgramRun()
    with pytest.raises(pulumi.RunError) as err:
        run_stack(config, partial)
    assert expected in str(err.value)
    assert partial.registrations == [], "no resource may be registered when the settings are refused"


def test_existing_principals_replace_created_roles(run_stack: Runner) -> None:
    team = f"arn:aws:iam::{ACCOUNT}:role/QualityTeam"
    run = run_stack({"principals": {"quality": {"reader": [team]}, "auditor": {"reader": [team]}}})
    names = {r.name for r in run.of_type("aws:iam/role:Role")}
    assert f"{PREFIX}-quality-reader" not in names and f"{PREFIX}-auditor" not in names
    reads = statement(policy_of(run, "quality"), "DenyReadsOutsidePurpose")
    assert reads["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [team]
    assert Purpose.QUALITY.value in run.outputs["roleArns"]


@pytest.mark.parametrize("purpose", sorted(LOCKED))
def test_daily_inventory_of_every_version_into_the_log_bucket(default_run: ProgramRun, purpose: str) -> None:
    inventory = inputs(default_run, f"{PREFIX}-{purpose}-inventory")
    assert inventory["name"] == "recgov-daily" and inventory["enabled"] is True
    assert inventory["includedObjectVersions"] == "All"
    assert inventory["schedule"] == {"frequency": "Daily"}
    assert inventory["destination"]["bucket"] == {
        "bucketArn": f"arn:aws:s3:::{PREFIX}-access-logs-0a1b2c3",
        "accountId": ACCOUNT,
        "format": "Parquet",
        "prefix": "inventory",
    }
    for field in ("LastModifiedDate", "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode",
                  "ObjectLockLegalHoldStatus", "StorageClass"):
        assert field in inventory["optionalFields"], f"{purpose}: inventory lacks {field}"
    delivery = statement(policy_of(default_run, "access-logs"), "AllowInventoryDelivery")
    assert delivery["Principal"] == {"Service": "s3.amazonaws.com"}
    assert delivery["Resource"] == f"arn:aws:s3:::{PREFIX}-access-logs-0a1b2c3/inventory/*"


@pytest.mark.parametrize("purpose", sorted(LOCKED))
def test_logging_waits_for_the_log_bucket_policy(default_run: ProgramRun, purpose: str) -> None:
    log_policy = default_run.named(f"{PREFIX}-access-logs-policy")
    assert log_policy.urn in default_run.named(f"{PREFIX}-{purpose}-logging").dependencies


def test_no_athena_table_unless_the_stack_asks(default_run: ProgramRun) -> None:
    assert not [r for r in default_run.registrations if r.type.startswith("aws:glue/")]
    assert "inventoryTables" not in default_run.outputs


def test_the_athena_tables_are_the_inventories_as_aws_documents_them(run_stack: Runner) -> None:
    run = run_stack({"athena": {"database": "recgov_inventories", "since": "2025-03-01"}})
    assert inputs(run, f"{PREFIX}-inventory-tables-database")["name"] == "recgov_inventories"
    tables = {r.inputs["name"]: whole_numbers(dict(r.inputs))
              for r in run.of_type("aws:glue/catalogTable:CatalogTable")}
    assert set(tables) == set(LOCKED), "one table per inventoried purpose"
    proof = tables["proof"]
    assert proof["databaseName"] == "recgov_inventories" and proof["tableType"] == "EXTERNAL_TABLE"
    assert proof["partitionKeys"] == [{"name": "dt", "type": "string"}]
    storage = proof["storageDescriptor"]
    assert storage["location"] == f"s3://{PREFIX}-access-logs-0a1b2c3/inventory/{PREFIX}-proof-0a1b2c3/recgov-daily/hive/"
    assert storage["inputFormat"] == "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
    serde = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert storage["serDeInfo"] == {"serializationLibrary": serde}
    declared = {c["name"]: c["type"] for c in storage["columns"]}
    assert (declared["last_modified_date"], declared["object_lock_retain_until_date"]) == ("timestamp", "bigint")
    assert {"key", "version_id", "is_delete_marker", "encryption_status", "object_lock_mode",
            "object_lock_legal_hold_status"} <= set(declared)
    assert proof["parameters"]["projection.dt.range"] == "2025-03-01-00-00,NOW"
    assert proof["parameters"]["projection.dt.interval.unit"] == "HOURS"
    assert run.outputs["inventoryTables"]["proof"] == "recgov_inventories.proof"
