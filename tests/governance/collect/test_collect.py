"""Collection: NoSuch… is absent, AccessDenied and malformed answers are unreadable, nothing writes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from governance.collect import BucketSnapshot, collect_bucket, collect_buckets, make_clients
from governance.collect.clients import MAX_ATTEMPTS
from governance.collect.s3 import READS, Read, read
from governance.collect.snapshot import NOT_COLLECTED
from governance.model import Status
from lifecycle.legal import Purpose
from tests.governance.support import REGION, Account, deny

BUCKET = "some-bucket"


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("s3", region_name=REGION)
    return client, Stubber(client)


@pytest.mark.parametrize("row", [r for r in READS if r.absent], ids=lambda r: r.name)
def test_each_no_such_code_means_absent(row: Read) -> None:
    client, stub = stubbed()
    for code in row.absent:
        stub.add_client_error(row.method, service_error_code=code, http_status_code=404)
    with stub:
        assert read(client, BUCKET, row).is_absent


@pytest.mark.parametrize("row", READS, ids=lambda r: r.name)
def test_access_denied_means_unreadable_with_the_permission(row: Read) -> None:
    client, stub = stubbed()
    stub.add_client_error(row.method, service_error_code="AccessDenied", service_message="Access Denied",
                          http_status_code=403)
    with stub:
        observed = read(client, BUCKET, row)
    assert observed.is_unreadable
    assert observed.reason == "AccessDenied: Access Denied" and observed.permission == row.permission


def test_a_malformed_answer_is_unreadable() -> None:
    client, stub = stubbed()
    lifecycle = next(r for r in READS if r.name == "lifecycle")
    stub.add_response("get_bucket_lifecycle_configuration", {})
    policy = next(r for r in READS if r.name == "policy")
    stub.add_response("get_bucket_policy", {"Policy": "{not json"})
    with stub:
        assert read(client, BUCKET, lifecycle).reason == "malformed answer: no Rules field"
        assert read(client, BUCKET, policy).reason.startswith("malformed answer")


def test_logging_off_is_absent_not_malformed() -> None:
    client, stub = stubbed()
    stub.add_response("get_bucket_logging", {})
    with stub:
        assert read(client, BUCKET, next(r for r in READS if r.name == "logging")).is_absent


def test_retries_are_adaptive_and_bounded() -> None:
    config = make_clients(region=REGION).s3.meta.config
    # botocore counts max_attempts as retries after the first call.
    assert config.retries == {"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS + 1}


def test_a_missing_bucket_is_marked_missing(account: Account) -> None:
    snapshot = collect_bucket(make_clients(region=REGION), "no-such-bucket")
    assert snapshot == BucketSnapshot("no-such-bucket", missing=True)


def test_a_collected_governed_bucket_has_every_setting_present(account: Account) -> None:
    snapshot = collect_bucket(make_clients(region=REGION), account.bucket(Purpose.QUALITY))
    assert {k: str(v.state) for k, v in snapshot.settings().items() if not v.is_present} == {
        "replication": "absent"}
    assert snapshot.key_policy.is_present
    assert snapshot.kms_key.value["KeyRotationEnabled"] is True
    assert snapshot.tag("recgov:purpose") == "quality"


def test_access_denied_on_aws_is_recorded_and_collection_goes_on(account: Account) -> None:
    clients = make_clients(region=REGION)
    deny(clients.s3, "GetBucketPolicy")
    deny(clients.kms(REGION), "GetKeyRotationStatus")
    snapshot = collect_bucket(clients, account.bucket(Purpose.QUALITY))
    assert snapshot.policy.is_unreadable and "AccessDenied" in snapshot.policy.reason
    assert snapshot.kms_key.is_unreadable
    assert snapshot.lifecycle.is_present  # the other reads went on
    assert NOT_COLLECTED not in snapshot.settings().values()


def test_the_key_policy_is_read_apart_from_the_rotation(account: Account) -> None:
    clients = make_clients(region=REGION)
    snapshot = collect_bucket(clients, account.bucket(Purpose.QUALITY))
    assert [s["Sid"] for s in snapshot.key_policy.value["Statement"]] == [
        "KeyAdministration", "EncryptThroughS3ForWriters", "DecryptThroughS3ForReaders"]
    deny(clients.kms(REGION), "GetKeyPolicy")
    snapshot = collect_bucket(clients, account.bucket(Purpose.QUALITY))
    assert snapshot.key_policy.is_unreadable and "AccessDenied" in snapshot.key_policy.reason
    assert snapshot.key_policy.permission == "kms:DescribeKey, kms:GetKeyPolicy"
    assert snapshot.kms_key.is_present  # the rotation is still judged


def test_a_denied_describe_key_leaves_every_key_read_unreadable(account: Account) -> None:
    clients = make_clients(region=REGION)
    deny(clients.kms(REGION), "DescribeKey")
    snapshot = collect_bucket(clients, account.bucket(Purpose.QUALITY))
    assert snapshot.kms_key.is_unreadable and snapshot.key_policy.is_unreadable
    assert "kms:GetKeyPolicy" in snapshot.key_policy.permission


def test_a_bucket_without_a_kms_key_has_no_key_policy(account: Account) -> None:
    snapshot = collect_bucket(make_clients(region=REGION), account.bucket(Purpose.ACCESS_LOGS))
    assert snapshot.kms_key.is_absent and snapshot.key_policy.is_absent


def test_concurrent_and_sequential_collection_agree(account: Account) -> None:
    names = [*account.outputs["buckets"].values(), "no-such-bucket"]
    clients = make_clients(region=REGION)
    assert collect_buckets(clients, names, max_workers=8) == collect_buckets(clients, names, max_workers=1)


def test_verify_only_reads(account: Account) -> None:
    """Every API call verify makes is a Get, List, Head or Describe: it never writes."""
    calls: list[str] = []
    clients = make_clients(region=REGION)

    def record(model: Any, **_kwargs: Any) -> None:
        calls.append(f"{model.service_model.service_name}:{model.name}")

    clients.s3.meta.events.register("before-call", record)
    clients.kms(REGION).meta.events.register("before-call", record)
    report = account.verify(clients=clients)
    assert report.results and all(r.status is Status.PASS for r in report.results)
    assert {"s3:GetBucketPolicy", "s3:HeadBucket", "kms:GetKeyRotationStatus"} <= set(calls)
    writes = [c for c in calls if not c.split(":")[1].startswith(("Get", "List", "Head", "Describe"))]
    assert writes == []
