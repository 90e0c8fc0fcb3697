"""Live listing on the emulator: every version, read-only calls only, the same findings as an inventory."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from governance.audit.findings import hold_rows, object_results
from governance.audit.limits import thresholds_for
from governance.audit.live import audit_listing, list_bucket
from governance.audit.source import connect
from governance.model import Status
from lifecycle.legal import Purpose
from lifecycle.policy import Policy
from sandbox.emulator import AwsEmulator

BUCKET = "recgov-t-quality-live"
pytestmark = pytest.mark.emulators("moto", "localstack")


HEAD_FIELDS_NEEDING = {
    "get_object_retention": ("ObjectLockMode", "ObjectLockRetainUntilDate"),
    "get_object_legal_hold": ("ObjectLockLegalHoldStatus",),
}
"""HeadObject returns these fields only to a caller allowed the matching call (s3:GetObjectRetention,
s3:GetObjectLegalHold)."""


class Recording:
    """Wraps an S3 client and records the operation names it is asked for."""

    def __init__(self, client: Any, deny: frozenset[str] = frozenset()) -> None:
        self._client, self.calls, self.deny = client, Counter[str](), deny

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if callable(attr) and not name.startswith("get_paginator"):
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                self.calls[name] += 1
                if name in self.deny:  # as AWS answers a caller without the permission
                    raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, name)
                answer = attr(*args, **kwargs)
                if name == "head_object":
                    hidden = {f for call in self.deny for f in HEAD_FIELDS_NEEDING.get(call, ())}
                    answer = {k: v for k, v in answer.items() if k not in hidden}
                return answer
            return wrapped
        if name == "get_paginator":
            def paginator(op: str) -> Any:
                self.calls[op] += 1
                return attr(op)
            return paginator
        return attr


@pytest.fixture
def populated(clean_emulator: AwsEmulator) -> Any:
    s3 = boto3.client("s3", region_name=clean_emulator.region)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": clean_emulator.region},
                     ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})
    for day in range(1, 13):  # a dozen day prefixes, three calls each: work for several threads
        for n in range(3):
            s3.put_object(Bucket=BUCKET, Key=f"quality/2025/05/{day:02d}/CALL-{day}-{n}.wav", Body=b"x",
                          ServerSideEncryption="aws:kms")
    s3.put_object(Bucket=BUCKET, Key="quality/2025/05/01/CALL-1-0.wav", Body=b"y", ServerSideEncryption="aws:kms")
    s3.delete_object(Bucket=BUCKET, Key="quality/2025/05/02/CALL-2-0.wav")
    s3.put_object(Bucket=BUCKET, Key="quality/2025/05/03/CALL-PLAIN.wav", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="quality/2025/05/04/CALL-HOLD.wav", Body=b"x", ServerSideEncryption="aws:kms",
                  ObjectLockLegalHoldStatus="ON", ObjectLockMode="GOVERNANCE",
                  ObjectLockRetainUntilDate=datetime.now(UTC) + timedelta(days=20))
    s3.put_object(Bucket=BUCKET, Key="quality/2025/05/05/CALL-LOCK.wav", Body=b"x", ServerSideEncryption="aws:kms",
                  ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=datetime.now(UTC) + timedelta(days=400))
    s3.put_object(Bucket=BUCKET, Key="upload.tmp", Body=b"x", ServerSideEncryption="aws:kms")
    s3.create_multipart_upload(Bucket=BUCKET, Key="quality/2025/05/06/CALL-PART.wav")
    return s3


def test_listing_finds_every_kind_and_makes_only_read_calls(populated: Any, default_policy: Policy) -> None:
    s3 = Recording(populated)
    listing = list_bucket(s3, BUCKET, workers=4)
    assert all(name.startswith(("list_", "get_", "head_")) for name in s3.calls), s3.calls
    assert s3.calls["head_object"] == 36 + 1 + 4  # one HEAD per version, none per delete marker
    # Well past the 90-day limit: every version is old, except the one under legal hold.
    as_of = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=120)
    con = connect()
    audit = audit_listing(con, BUCKET, listing, thresholds_for(default_policy, Purpose.QUALITY, as_of))
    results = {r.check: r for r in object_results(audit, "x")}
    assert audit.aggregates["versions_count"] == 41
    assert audit.aggregates["delete_markers_count"] == 1
    assert results["RG-OBJ-AGE"].observed["count"] == 40
    assert results["RG-OBJ-MARKER-AGE"].observed["count"] == 1
    assert results["RG-OBJ-KMS"].observed["first_keys"] == ["quality/2025/05/03/CALL-PLAIN.wav"]
    assert results["RG-OBJ-KEY-NAME"].observed["first_keys"] == ["upload.tmp"]
    assert results["RG-OBJ-LOCK-LEGAL-MAX"].observed["first_keys"] == ["quality/2025/05/05/CALL-LOCK.wav"]
    assert results["RG-OBJ-LOCK-RETENTION"].status is Status.PASS  # the bucket's 30-day default fits
    # HEAD carried retention; the legal-hold field was probed once for the bucket, not per version.
    assert "get_object_retention" not in s3.calls
    assert s3.calls["get_object_legal_hold"] == 1
    assert results["RG-OBJ-MULTIPART"].status is Status.FAIL
    assert results["RG-OBJ-MULTIPART"].observed["first_keys"] == ["quality/2025/05/06/CALL-PART.wav"]
    assert [r["key"] for r in hold_rows(audit, as_of)] == ["quality/2025/05/04/CALL-HOLD.wav"]


def test_listing_a_young_bucket_passes_the_age_checks(populated: Any, default_policy: Policy) -> None:
    as_of = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    listing = list_bucket(populated, BUCKET, workers=2)
    audit = audit_listing(connect(), BUCKET, listing, thresholds_for(default_policy, Purpose.QUALITY, as_of))
    results = {r.check: r for r in object_results(audit, "x")}
    assert results["RG-OBJ-AGE"].status is Status.PASS
    assert results["RG-OBJ-MARKER-AGE"].status is Status.PASS


def test_keys_only_listing_skips_head_and_marks_fields_unreadable(populated: Any) -> None:
    s3 = Recording(populated)
    listing = list_bucket(s3, BUCKET, workers=2, details=False)
    assert "head_object" not in s3.calls
    assert len(listing.rows) == 42
    assert "encryption_status" in listing.unreadable


def test_lock_fields_hidden_from_the_caller_are_errors_not_passes(populated: Any, default_policy: Policy) -> None:
    # A caller without s3:GetObjectRetention gets no retention in HEAD, as S3 answers it; the listing
    # then asks GetObjectRetention and, denied, the lock checks cannot be judged for the bucket.
    populated.put_object(Bucket=BUCKET, Key="quality/2025/05/07/CALL-HELD.wav", Body=b"x",
                         ServerSideEncryption="aws:kms", ObjectLockLegalHoldStatus="ON")
    s3 = Recording(populated, deny=frozenset({"get_object_retention"}))
    listing = list_bucket(s3, BUCKET, workers=2)
    as_of = datetime.now(UTC).replace(tzinfo=None)
    audit = audit_listing(connect(), BUCKET, listing, thresholds_for(default_policy, Purpose.QUALITY, as_of))
    results = {r.check: r for r in object_results(audit, "x")}
    assert results["RG-OBJ-LOCK-RETENTION"].status is Status.ERROR
    assert results["RG-OBJ-LOCK-LEGAL-MAX"].status is Status.ERROR
    assert results["RG-OBJ-KMS"].status is Status.FAIL  # still judged: HEAD answered


def test_a_refused_head_says_which_call_and_which_permission(populated: Any, default_policy: Policy) -> None:
    s3 = Recording(populated, deny=frozenset({"head_object"}))
    listing = list_bucket(s3, BUCKET, workers=2)
    as_of = datetime.now(UTC).replace(tzinfo=None)
    audit = audit_listing(connect(), BUCKET, listing, thresholds_for(default_policy, Purpose.QUALITY, as_of))
    kms = {r.check: r for r in object_results(audit, "x")}["RG-OBJ-KMS"]
    assert kms.status is Status.ERROR
    assert "Access was denied to HeadObject" in kms.message and "s3:GetObject" in kms.message
    assert "inventory's optional fields" not in kms.message
    assert kms.observed["call"] == "HeadObject" and kms.observed["code"] == "AccessDenied"


def test_a_refused_lock_read_names_its_call(populated: Any, default_policy: Policy) -> None:
    populated.put_object(Bucket=BUCKET, Key="quality/2025/05/07/CALL-HELD.wav", Body=b"x",
                         ServerSideEncryption="aws:kms", ObjectLockLegalHoldStatus="ON")
    listing = list_bucket(Recording(populated, deny=frozenset({"get_object_retention"})), BUCKET, workers=2)
    as_of = datetime.now(UTC).replace(tzinfo=None)
    audit = audit_listing(connect(), BUCKET, listing, thresholds_for(default_policy, Purpose.QUALITY, as_of))
    lock = {r.check: r for r in object_results(audit, "x")}["RG-OBJ-LOCK-LEGAL-MAX"]
    assert "GetObjectRetention" in lock.message and "s3:GetObjectRetention" in lock.message


def test_a_listing_carries_the_age_histogram(populated: Any, default_policy: Policy) -> None:
    as_of = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=120)
    audit = audit_listing(connect(), BUCKET, list_bucket(populated, BUCKET, workers=2),
                          thresholds_for(default_policy, Purpose.QUALITY, as_of))
    assert sum(row["versions"] for row in audit.ages) == 41  # every version, drawn in the HTML's age chart


class CountingProgress:
    """A :class:`governance.audit.live.Progress` that remembers what it was told."""

    def __init__(self) -> None:
        self.told: list[tuple[str, int]] = []

    def start(self, label: str, total: int) -> None:
        self.told.append((label, total))

    def advance(self) -> None:
        self.told.append(("advance", 1))

    def finish(self) -> None:
        self.told.append(("finish", 0))


def test_the_listing_tells_its_progress_to_the_caller(populated: Any) -> None:
    """The library draws nothing: the command line gives it what to tell (a bar on a terminal)."""
    progress = CountingProgress()
    list_bucket(populated, BUCKET, workers=2, progress=progress)
    (label, total), *steps, last = progress.told
    assert label == f"listing s3://{BUCKET}" and total > 1
    assert steps == [("advance", 1)] * total
    assert last == ("finish", 0)
