"""The seeder on a deployed stack: recordings through the writer roles, and the calls export."""

from __future__ import annotations

import csv
import io
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.seed import bucket_policies_lifted, seed
from tests.e2e.conftest import Deployed

pytestmark = pytest.mark.e2e
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_seed_writes_sampled_quality_and_transaction_proof_recordings(deployed: Deployed, tmp_path: Path) -> None:
    s3 = deployed.client("s3")
    policies = {p: s3.get_bucket_policy(Bucket=deployed.bucket(p))["Policy"] for p in ("quality", "proof")}
    result = seed(deployed.emulator.endpoint_url, deployed.outputs, tmp_path, seed=11, calls=40, now=NOW)

    rows = list(csv.DictReader(result.calls_export.open(encoding="utf-8")))
    assert len(rows) == 40
    with_transaction = {r["call_id"]: r["transaction_id"] for r in rows if r["transaction_id"]}
    assert 5 <= result.count("quality") <= 10, "at most a quarter of the calls, drawn per agent and month"
    assert {r.call.call_id for r in result.recordings if r.purpose == "proof"} == set(with_transaction)

    # moto applies the policies' conditional denies to every object request (even HEAD): lift them to look.
    with bucket_policies_lifted(s3, [deployed.bucket(p) for p in policies]):
        for rec in result.recordings:
            assert rec.key.startswith(f"{rec.purpose}/{rec.call.started_at:%Y/%m/%d}/")
            head = s3.head_object(Bucket=rec.bucket, Key=rec.key, VersionId=rec.version_id)
            assert head["Metadata"]["call-id"] == rec.call.call_id
            assert head["Metadata"]["agent-id"] == rec.call.agent_id
            assert head["ServerSideEncryption"] == "aws:kms"
            assert head["SSEKMSKeyId"] == deployed.outputs["keyArns"][rec.purpose]
            if rec.purpose == "proof":
                assert head["Metadata"]["transaction-id"] == with_transaction[rec.call.call_id]
                assert head["ObjectLockMode"] == "COMPLIANCE"
            else:
                assert "transaction-id" not in head["Metadata"]
                assert head["ObjectLockMode"] == "GOVERNANCE"
    # The bucket policies lifted for the emulator are back, byte for byte.
    assert {p: s3.get_bucket_policy(Bucket=deployed.bucket(p))["Policy"] for p in policies} == policies


def test_recordings_are_valid_wav_files(deployed: Deployed, tmp_path: Path) -> None:
    s3 = deployed.client("s3")
    result = seed(deployed.emulator.endpoint_url, deployed.outputs, tmp_path, seed=12, calls=8, now=NOW)
    rec = result.recordings[0]
    with bucket_policies_lifted(s3, [rec.bucket]):  # moto applies the policy's denies to every reader
        body = s3.get_object(Bucket=rec.bucket, Key=rec.key, VersionId=rec.version_id)["Body"].read()
    with wave.open(io.BytesIO(body)) as wav:
        assert wav.getnframes() > 0


def test_same_seed_same_calls_export(deployed: Deployed, tmp_path: Path) -> None:
    a = seed(deployed.emulator.endpoint_url, deployed.outputs, tmp_path / "a", seed=13, calls=20, now=NOW)
    b = seed(deployed.emulator.endpoint_url, deployed.outputs, tmp_path / "b", seed=13, calls=20, now=NOW)
    assert a.calls_export.read_bytes() == b.calls_export.read_bytes()
    assert [r.key for r in a.recordings] == [r.key for r in b.recordings]
