"""Amazon Connect end to end: the stack deployed with the quality purpose on Connect's layout, recordings
written under it, contact records (redeliveries included) in an S3 prefix, and ``recgov proportionality
--contact-records s3://...`` through the real CLI with its exit code."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from governance.cli import main
from sandbox.connect_seed import KEY_PREFIX, ContactRecordsWritten, connect_key, contact_record, seed_connect
from sandbox.deploy import deploy, emulator_clients
from sandbox.emulator import Emulator, emulator_environment
from sandbox.seed import SeedResult, bucket_policies_lifted

pytestmark = pytest.mark.e2e
STACK = "e2e"
CONFIG = {"aws:region": "eu-west-3",
          "recgov:purposes": {"quality": {"layout": "amazon-connect", "keyPrefix": KEY_PREFIX}}}
OVER_RECORDED = "AGENT-03"


@dataclass
class Connected:
    """The deployed stack, what was seeded, and the stack file the CLI reads the layout from."""

    emulator: Emulator
    outputs: dict[str, Any]
    seeded: SeedResult
    records: ContactRecordsWritten
    stack_file: Path

    def s3(self) -> Any:
        return emulator_clients(self.emulator.endpoint_url, self.emulator.region)("s3")

    def bucket(self, purpose: str) -> str:
        return str(self.outputs["buckets"][purpose])

    def proportionality(self, contact_records: str, out: Path) -> tuple[int, str, dict[str, Any]]:
        """The CLI's exit code, output and JSON report (policies lifted: moto applies their denies to all)."""
        buckets = [self.bucket("quality"), self.bucket("proof")]
        with bucket_policies_lifted(self.s3(), buckets):
            result = CliRunner().invoke(main, [
                "proportionality", "--contact-records", contact_records, "--bucket", f"{buckets[0]}=quality",
                "--bucket", f"{buckets[1]}=proof", "--stack-config", str(self.stack_file),
                "--endpoint-url", self.emulator.endpoint_url, "--format", "json", "--output", str(out)])
        report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        return result.exit_code, result.output, report


@pytest.fixture(scope="module")
def connected(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connected]:
    """Deployed with the Connect layout, seeded with one over-recorded agent, and a stale redelivery added."""
    emulator.reset()
    folder = tmp_path_factory.mktemp("connect")
    stack_file = folder / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(yaml.safe_dump({"config": CONFIG}), encoding="utf-8")
    with emulator_environment(emulator):
        outputs = deploy(emulator.endpoint_url, stack=STACK, config=CONFIG).outputs
        seeded, records = seed_connect(emulator.endpoint_url, outputs, folder, records_bucket="recgov-e2e-ctr",
                                       calls=60, sampling_rate=0.2, over_recorded=OVER_RECORDED,
                                       region=emulator.region)
        # A stale copy of a recorded contact, delivered last with an older LastUpdateTimestamp and another
        # agent: kept, it would move the call to that agent and drop its recording's location.
        recorded = next(r.call for r in seeded.recordings
                        if r.purpose == "quality" and r.call.agent_id != OVER_RECORDED)
        stale = contact_record(recorded, recorded.started_at + timedelta(minutes=1), None)
        stale["Agent"]["Username"] = "AGENT-STALE"
        s3 = emulator_clients(emulator.endpoint_url, emulator.region)("s3")
        s3.put_object(Bucket=records.bucket, Key=f"{records.prefix}/late/stale.gz",
                      Body=gzip.compress(json.dumps(stale).encode()))
        yield Connected(emulator, outputs, seeded, records, stack_file)


def test_keys_follow_the_connect_layout_and_records_are_redelivered(connected: Connected) -> None:
    keys = [r.key for r in connected.seeded.recordings if r.purpose == "quality"]
    assert keys and all(k.startswith(f"{KEY_PREFIX}/") and k.endswith("_UTC.wav") for k in keys)
    assert connected.records.deliveries > connected.records.contacts
    listed = connected.s3().list_objects_v2(Bucket=connected.records.bucket, Prefix=connected.records.prefix)
    assert all("/year=" in o["Key"] or o["Key"].endswith("stale.gz") for o in listed["Contents"])


def test_proportionality_reads_contact_records_from_s3(connected: Connected, tmp_path: Path) -> None:
    code, output, report = connected.proportionality(connected.records.url, tmp_path / "report.json")
    assert code == 1, output
    target = report["target"]
    assert target["contact_records"] == connected.records.url
    assert target["deliveries"] == connected.records.deliveries + 1 and target["contacts"] == connected.records.contacts
    assert target["calls"] == len(connected.seeded.calls)
    assert target["located_recordings"] == connected.seeded.count("quality")
    failed = [r for r in report["results"] if r["status"] != "pass"]
    assert failed and all(r["check"] == "RG-PROP-RATE" and OVER_RECORDED in r["resource"] for r in failed)
    assert all(r["severity"] == "critical" for r in failed)
    agents = {row["agent_id"] for row in report["tables"]["agent_months"]}
    assert "AGENT-STALE" not in agents
    quality = [r.call.call_id for r in connected.seeded.recordings if r.purpose == "quality"]
    months = report["tables"]["agent_months"]
    assert sum(row["recordings"] for row in months) == len(set(quality))
    passed = {r["check"] for r in report["results"] if r["status"] == "pass"}
    assert {"RG-PROP-UNMATCHED", "RG-PROP-PROOF-TX", "RG-PROP-LOCATION-MISSING",
            "RG-PROP-LOCATION-UNAUDITED"} <= passed


def test_a_located_recording_missing_from_its_bucket_is_a_finding(connected: Connected, tmp_path: Path) -> None:
    """A contact whose record locates a recording the quality bucket does not hold (erased or moved)."""
    call = connected.seeded.calls[-1]
    key = connect_key(KEY_PREFIX, replace(call, call_id="0b7e2f9a-5c1d-4e3f-9a8b-7c6d5e4f3a2b"))
    missing = replace(call, call_id=key.rsplit("/", 1)[1].split("_", 1)[0])
    record = contact_record(missing, missing.started_at + timedelta(minutes=12), f"{connected.bucket('quality')}/{key}")
    connected.s3().put_object(Bucket=connected.records.bucket, Key="missing/year=2025/month=05/day=01/ctr.gz",
                              Body=gzip.compress(json.dumps(record).encode()))
    code, output, report = connected.proportionality(f"s3://{connected.records.bucket}/missing/",
                                                     tmp_path / "report.json")
    found = next(r for r in report["results"] if r["check"] == "RG-PROP-LOCATION-MISSING" and r["purpose"] == "quality")
    assert found["status"] == "fail", found
    assert found["observed"]["first_keys"] == [f"s3://{connected.bucket('quality')}/{key}"]
    assert code == 1, output


def test_a_bad_contact_record_in_s3_exits_2_naming_object_and_line(connected: Connected, tmp_path: Path) -> None:
    s3 = connected.s3()
    good = json.dumps(contact_record(connected.seeded.calls[0], connected.seeded.calls[0].started_at, None))
    record = json.loads(good)
    record["InitiationTimestamp"] = record["InitiationTimestamp"].rstrip("Z")
    key = "bad/year=2025/month=05/day=01/ctr.gz"
    s3.put_object(Bucket=connected.records.bucket, Key=key,
                  Body=gzip.compress((good + "\n" + json.dumps(record) + "\n").encode()))
    code, output, report = connected.proportionality(f"s3://{connected.records.bucket}/bad/", tmp_path / "r.json")
    assert code == 2 and not report
    assert f"s3://{connected.records.bucket}/{key} line 2" in output
    assert "without a time zone" in output and "Traceback" not in output
