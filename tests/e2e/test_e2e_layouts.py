"""Platform key layouts end to end: an inventory in the emulator, audited through the installed ``recgov``.

A Genesys Cloud export bucket (recordings with their ``_metadata.json`` beside them) and an Amazon
Connect recordings bucket (with Contact Lens output under ``Analysis/``) are judged by the layout the
stack config declares: platform keys are recordings, Contact Lens output is derived data matched to its
recording (orphans are findings), other objects are counted apart, a misnamed key is still a finding,
and proportionality ties recordings to calls by the layout's call id.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from sandbox.emulator import Emulator
from tests.governance.audit.inventories import DESTINATION, Row, write_inventory
from tests.governance.audit.planted import ago

pytestmark = pytest.mark.e2e
RECGOV = str(Path(sys.executable).parent / "recgov")
GENESYS = "acme-genesys-export"
CONNECT = "acme-connect-recordings"
CONNECT_PREFIX = "connect/acme/CallRecordings"


def stack_config(path: Path, purposes: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"config": {"recgov:purposes": purposes}}), encoding="utf-8")
    return path


def upload(emulator: Emulator, root: Path, manifest: Path) -> str:
    """The inventory under ``root`` copied into the emulator's destination bucket; its manifest's URL."""
    s3 = boto3.client("s3", region_name=emulator.region)
    s3.create_bucket(Bucket=DESTINATION, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    for path in root.rglob("*"):
        if path.is_file():
            s3.put_object(Bucket=DESTINATION, Key=path.relative_to(root).as_posix(), Body=path.read_bytes())
    return f"s3://{DESTINATION}/{manifest.relative_to(root).as_posix()}"


def recgov(emulator: Emulator, *args: str) -> tuple[int, dict[str, Any], str]:
    """Run the installed command against the emulator; the JSON report and stderr."""
    env = {**os.environ, "AWS_ENDPOINT_URL": emulator.endpoint_url, "AWS_DEFAULT_REGION": emulator.region}
    done = subprocess.run([RECGOV, *args, "--format", "json"], capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def by_check(report: dict[str, Any], check: str) -> dict[str, Any]:
    found = [r for r in report["results"] if r["check"] == check]
    assert len(found) == 1, (check, found)
    return found[0]


def genesys_rows() -> list[Row]:
    rows = []
    for n in range(10):
        folder = f"org-7/year=2025/month=5/day={n + 1}/hour={n + 8}/conversation_id=conv-{n}"
        rows += [Row(f"{folder}/rec-{n}.opus", ago(30 - n)), Row(f"{folder}/rec-{n}_metadata.json", ago(30 - n))]
    rows.append(Row("org-7/year=2025/month=5/day=3/hour=9/conversation_id=conv-x/notes.txt.bak/x", ago(20)))
    rows.append(Row("org-7/year=2025/month=5/day=40/hour=9/conversation_id=conv-y/rec-y.opus", ago(20)))
    rows.append(Row("exports-readme.txt", ago(20)))
    return rows


def test_genesys_inventory_in_the_emulator(tmp_path: Path, clean_emulator: Emulator) -> None:
    manifest = write_inventory(tmp_path / "inv", GENESYS, genesys_rows(), "Parquet")
    url = upload(clean_emulator, tmp_path / "inv", manifest)
    config = stack_config(tmp_path / "Pulumi.genesys.yaml",
                          {"quality": {"layout": "genesys-cloud", "keyPrefix": "org-7"}})
    code, report, err = recgov(clean_emulator, "audit-objects", "--inventory", url, "--purpose", "quality",
                               "--stack-config", str(config), "--as-of", "2025-06-01")
    assert code == 1, err
    misnamed = by_check(report, "RG-OBJ-KEY-NAME")
    assert misnamed["status"] == "fail" and misnamed["observed"]["count"] == 2, misnamed
    assert not any(k.endswith("_metadata.json") for k in misnamed["observed"]["first_keys"])
    outside = by_check(report, "RG-OBJ-OUTSIDE-LAYOUT")
    assert outside["status"] == "pass" and outside["observed"]["first_keys"] == ["exports-readme.txt"]
    assert by_check(report, "RG-OBJ-AGE")["status"] == "pass"

    calls = tmp_path / "calls.csv"
    with calls.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["call_id", "agent_id", "started_at", "transaction_id"])
        for n in range(50):
            writer.writerow([f"conv-{n}", "agent-1", f"2025-05-{n % 28 + 1:02d}T10:00:00Z", ""])
    code, report, err = recgov(clean_emulator, "proportionality", "--calls", str(calls), "--inventory", url,
                               "--purpose", "quality", "--stack-config", str(config))
    assert code == 0, (err, report)
    # Ten conversations recorded of fifty: the metadata beside each recording is not a second recording.
    assert report["tables"]["agent_months"] == [{"agent_id": "agent-1", "month": "2025-05", "calls": 50,
                                                 "recordings": 10, "rate": 0.2, "max_rate": 0.25,
                                                 "verdict": "within the sampling rate"}]


def test_connect_layout_judges_contact_lens_output_as_derived(tmp_path: Path, clean_emulator: Emulator) -> None:
    contact, erased = "6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90", "0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9"
    redacted = "Analysis/Voice/Redacted"
    rows = [
        Row(f"{CONNECT_PREFIX}/2025/05/20/{contact}_20250520T09:30_UTC.wav", ago(12)),
        Row(f"{CONNECT_PREFIX}/2025/05/21/{contact}-2_20250521T10:00_UTC.wav", ago(11)),
        Row(f"{CONNECT_PREFIX}/2025/05/21/misnamed.wav", ago(11)),
        Row(f"Analysis/Voice/2025/05/20/{contact}_analysis_2025-05-20T09:40:00Z.json", ago(12)),
        # Derived from a recording still there, yet older than the purpose's limit: an age finding.
        Row(f"{redacted}/2025/01/02/{contact}_call_recording_redacted_2025-01-02T09:40:00Z.wav", ago(150)),
        # The recording and its unredacted analysis were erased; the redacted copies were left behind.
        Row(f"{redacted}/2025/05/22/{erased}_call_recording_redacted_2025-05-22T09:40:00Z.wav", ago(10)),
        Row(f"{redacted}/2025/05/22/{erased}_analysis_redacted_2025-05-22T09:40:00Z.json", ago(10)),
        # Chat analysis is not a derived kind of a call-recording bucket: counted apart.
        Row(f"Analysis/Chat/2025/05/20/{contact}_analysis_2025-05-20T09:40:00Z.json", ago(12)),
    ]
    manifest = write_inventory(tmp_path / "inv", CONNECT, rows, "CSV")
    url = upload(clean_emulator, tmp_path / "inv", manifest)
    config = stack_config(tmp_path / "Pulumi.connect.yaml",
                          {"quality": {"layout": "amazon-connect", "keyPrefix": CONNECT_PREFIX}})
    code, report, err = recgov(clean_emulator, "audit-objects", "--inventory", url, "--purpose", "quality",
                               "--stack-config", str(config), "--as-of", "2025-06-01")
    assert code == 1, err
    assert by_check(report, "RG-OBJ-KEY-NAME")["observed"]["first_keys"] == [
        f"{CONNECT_PREFIX}/2025/05/21/misnamed.wav"]
    outside = by_check(report, "RG-OBJ-OUTSIDE-LAYOUT")["observed"]
    assert outside["first_keys"] == [f"Analysis/Chat/2025/05/20/{contact}_analysis_2025-05-20T09:40:00Z.json"]
    orphans = by_check(report, "RG-OBJ-DERIVED-ORPHAN")
    assert orphans["status"] == "fail" and orphans["severity"] == "high"
    assert orphans["observed"]["first_keys"] == [rows[6].key, rows[5].key]
    assert orphans["observed"]["derived_objects"] == 4
    aged = by_check(report, "RG-OBJ-AGE")
    assert aged["status"] == "fail" and aged["observed"]["first_keys"] == [rows[4].key]


def test_an_unknown_layout_exits_2_in_one_sentence(tmp_path: Path, clean_emulator: Emulator) -> None:
    config = stack_config(tmp_path / "Pulumi.bad.yaml", {"quality": {"layout": "avaya", "keyPrefix": "../x"}})
    code, _, err = recgov(clean_emulator, "audit-objects", "--bucket", "b=quality", "--stack-config", str(config))
    assert code == 2
    assert "layout 'avaya' is unknown" in err and "must not contain '..'" in err


def test_live_listing_follows_the_layout(tmp_path: Path, clean_emulator: Emulator) -> None:
    s3 = boto3.client("s3", region_name=clean_emulator.region)
    s3.create_bucket(Bucket=CONNECT, CreateBucketConfiguration={"LocationConstraint": clean_emulator.region})
    s3.put_bucket_versioning(Bucket=CONNECT, VersioningConfiguration={"Status": "Enabled"})
    today = datetime.now(UTC)
    keys = [f"{CONNECT_PREFIX}/{today:%Y/%m/%d}/c-{n}_{today:%Y%m%d}T09:30_UTC.wav" for n in range(3)]
    keys += [f"Analysis/Voice/{today:%Y/%m/%d}/c-7_analysis_{today:%Y-%m-%dT%H:%M:%S}Z.json",
             f"Analysis/Chat/{today:%Y/%m/%d}/c-0_analysis_{today:%Y-%m-%dT%H:%M:%S}Z.json",
             f"{CONNECT_PREFIX}/{today:%Y/%m/%d}/no-underscore.wav"]
    for key in keys:
        s3.put_object(Bucket=CONNECT, Key=key, Body=b"RIFF", ServerSideEncryption="aws:kms")
    config = stack_config(tmp_path / "Pulumi.connect.yaml",
                          {"quality": {"layout": "amazon-connect", "keyPrefix": CONNECT_PREFIX}})
    code, report, err = recgov(clean_emulator, "audit-objects", "--bucket", f"{CONNECT}=quality",
                               "--stack-config", str(config))
    assert code == 1, err
    assert by_check(report, "RG-OBJ-KEY-NAME")["observed"]["first_keys"] == [keys[-1]]
    assert by_check(report, "RG-OBJ-OUTSIDE-LAYOUT")["observed"]["first_keys"] == [keys[4]]
    assert by_check(report, "RG-OBJ-DERIVED-ORPHAN")["observed"]["first_keys"] == [keys[3]]
    assert by_check(report, "RG-OBJ-AGE")["status"] == "pass"
