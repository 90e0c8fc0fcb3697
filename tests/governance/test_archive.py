"""Archiving a report: write-once in a bucket under a default Object Lock retention."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from moto import mock_aws

from governance.archive import ArchiveError, ArchiveTarget, archive_report
from governance.cli import main
from governance.model import Report, Result, Severity, Status
from governance.report import FORMATS

REGION = "eu-west-3"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        for name, locked in (("evidence-locked", True), ("evidence-open", False)):
            client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION},
                                 ObjectLockEnabledForBucket=locked)
        client.put_object_lock_configuration(
            Bucket="evidence-locked",
            ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
                                     "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1824}}},
        )
        yield client


def report() -> Report:
    result = Result("RG-VERSIONING-ENABLED", "recgov-dev-quality-1", "quality", Status.PASS, Severity.HIGH,
                    "Bucket recgov-dev-quality-1 (quality) has versioning Enabled, as required.",
                    {"Status": "Enabled"}, {"Status": "Enabled"}, ("R8 (GDPR Art. 5(1)(e))",))
    return Report(results=(result,), target={"source": "buckets"}, policy_digest="sha256:abc",
                  generated_at="2026-11-28T15:00:00Z", tool_version="0.1.0")


def test_archive_writes_report_evidence_and_manifest(s3: Any) -> None:
    uris = archive_report(report(), "markdown", ArchiveTarget.parse("s3://evidence-locked/nightly"), s3)
    keys = [u.removeprefix("s3://evidence-locked/") for u in uris]
    assert [k.rsplit("/", 1)[1] for k in keys] == ["evidence.json", "report.md", "manifest.json"]
    assert all(k.startswith("nightly/verify/20261128T150000Z-") for k in keys)
    manifest = json.loads(s3.get_object(Bucket="evidence-locked", Key=keys[2])["Body"].read())
    body = s3.get_object(Bucket="evidence-locked", Key=keys[1])["Body"].read()
    assert manifest["files"]["report.md"] == "sha256:" + hashlib.sha256(body).hexdigest()
    assert (manifest["object_lock"]["Mode"], manifest["object_lock"]["Days"]) == ("COMPLIANCE", 1824)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_format_is_archived_under_its_own_file_name_and_content_type(s3: Any, fmt: str) -> None:
    uris = archive_report(report(), fmt, ArchiveTarget.parse("s3://evidence-locked/nightly"), s3)
    written = {u.rsplit("/", 1)[1]: u.removeprefix("s3://evidence-locked/") for u in uris}
    name = FORMATS[fmt].file_name("report") if fmt != "json" else "evidence.json"
    assert name in written, sorted(written)
    head = s3.head_object(Bucket="evidence-locked", Key=written[name])
    assert head["ContentType"] == FORMATS[fmt].content_type


def test_archived_evidence_cannot_be_deleted_or_replaced(s3: Any) -> None:
    (evidence, *_) = archive_report(report(), "json", ArchiveTarget.parse("s3://evidence-locked"), s3)
    key = evidence.removeprefix("s3://evidence-locked/")
    original = s3.get_object(Bucket="evidence-locked", Key=key)
    version = original["VersionId"]
    with pytest.raises(ClientError) as denied:
        s3.delete_object(Bucket="evidence-locked", Key=key, VersionId=version)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ArchiveError, match="an archive already exists there"):
        archive_report(report(), "json", ArchiveTarget.parse("s3://evidence-locked"), s3)
    # Even a plain overwrite only adds a version: the archived bytes stay, locked.
    s3.put_object(Bucket="evidence-locked", Key=key, Body=b"forged")
    kept = s3.get_object(Bucket="evidence-locked", Key=key, VersionId=version)["Body"].read()
    assert kept == original["Body"].read()


def test_a_bucket_without_default_lock_is_refused(s3: Any) -> None:
    with pytest.raises(ArchiveError, match="write-once under R13"):
        archive_report(report(), "json", ArchiveTarget.parse("s3://evidence-open/x"), s3)
    assert "Contents" not in s3.list_objects_v2(Bucket="evidence-open")


@pytest.mark.parametrize("uri", ["evidence-locked", "s3://", "https://evidence-locked/x", "s3://UPPER/x"])
def test_bad_archive_addresses(uri: str) -> None:
    with pytest.raises(ArchiveError, match="is not an s3://BUCKET/PREFIX address"):
        ArchiveTarget.parse(uri)


def test_verify_archives_only_when_asked(s3: Any) -> None:
    s3.create_bucket(Bucket="recgov-dev-quality-1", CreateBucketConfiguration={"LocationConstraint": REGION})
    runner = CliRunner()
    plain = runner.invoke(main, ["verify", "--bucket", "recgov-dev-quality-1=quality", "--format", "json"])
    assert plain.exit_code == 1
    assert "Contents" not in s3.list_objects_v2(Bucket="evidence-locked")
    archived = runner.invoke(main, ["verify", "--bucket", "recgov-dev-quality-1=quality", "--format", "html",
                                    "--archive", "s3://evidence-locked/ci"])
    assert archived.exit_code == 1, archived.stderr
    assert archived.stderr.count("archived s3://evidence-locked/ci/verify/") == 3
    refused = runner.invoke(main, ["verify", "--bucket", "recgov-dev-quality-1=quality", "--archive",
                                   "s3://evidence-open/ci"])
    assert refused.exit_code == 2 and "error: s3://evidence-open has no default Object Lock" in refused.stderr


class _RefusingWrites:
    """The evidence bucket as a principal without write permission sees it: reads pass, PutObject is denied."""

    def __init__(self, s3: Any, code: str) -> None:
        self._s3, self._code = s3, code

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def put_object(self, **_: Any) -> Any:
        raise ClientError({"Error": {"Code": self._code}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "PutObject")


@pytest.mark.parametrize("code", ["AccessDenied", "403"])
def test_a_refused_archive_names_the_writer_role(s3: Any, code: str) -> None:
    with pytest.raises(ArchiveError) as refused:
        archive_report(report(), "json", ArchiveTarget.parse("s3://evidence-locked/x"), _RefusingWrites(s3, code))
    message = str(refused.value)
    assert "PutObject was refused" in message and "roleArns.evidence.writer" in message
