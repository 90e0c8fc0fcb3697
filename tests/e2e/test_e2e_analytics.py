"""``recgov audit-analytics`` end to end: Contact Lens output in an emulated bucket, read through the
installed command by its s3:// prefix and through the purpose's layout (``--bucket``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from sandbox.emulator import Emulator
from tests.governance.analytics.contact_lens import analysis, key, policy_text

pytestmark = pytest.mark.e2e
RECGOV = str(Path(sys.executable).parent / "recgov")
BUCKET = "acme-connect-recordings"
DECLARED = "{sentiment: [customer], redaction: true}"


def recgov(emulator: Emulator, *args: str, by_flags: bool = False) -> tuple[int, dict[str, Any], str]:
    """Run the installed command against the emulator, named by the environment or by --endpoint-url and
    --region; the JSON report and stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"))}
    if by_flags:
        args = (*args, "--endpoint-url", emulator.endpoint_url, "--region", emulator.region)
    else:
        env.update({"AWS_ENDPOINT_URL": emulator.endpoint_url, "AWS_DEFAULT_REGION": emulator.region})
    done = subprocess.run([RECGOV, "audit-analytics", *args, "--format", "json"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def result(report: dict[str, Any], check: str) -> dict[str, Any]:
    found = [r for r in report["results"] if r["check"] == check]
    assert len(found) == 1, (check, found)
    return found[0]


def seed(s3: Any) -> None:
    """Four analysed contacts on two days, one unreadable file, and objects that are no analysis."""
    def put(k: str, doc: Any) -> None:
        s3.put_object(Bucket=BUCKET, Key=k, Body=doc if isinstance(doc, bytes) else json.dumps(doc).encode())

    for contact, day, agent, redacted in (("c-agent", "2025/05/20", True, True), ("c-ok", "2025/05/20", False, True),
                                          ("c-missing", "2025/05/21", False, False),
                                          ("c-ok-2", "2025/05/21", False, True)):
        put(key(contact, day=day), analysis(contact, agent=agent, loudness=False))
        if redacted:
            put(key(contact, day=day, redacted=True), analysis(contact, agent=agent, loudness=False, redacted=True))
    put(key("c-broken", day="2025/05/21"), b"{ truncated by a failed upload")
    put("Analysis/Voice/Redacted/2025/05/20/c-ok_call_recording_redacted_2025-03-14T09:41:07Z.wav", b"RIFF")
    put("connect/acme/CallRecordings/2025/05/20/c-ok_20250520T09:30_UTC.wav", b"RIFF")
    put("connect/acme/notes.json", b"not an analysis and not under an analysis prefix")


def versions(s3: Any) -> list[tuple[str, str]]:
    listed = s3.list_object_versions(Bucket=BUCKET)
    return sorted((v["Key"], v["VersionId"]) for v in listed.get("Versions", []))


def test_contact_lens_output_judged_from_s3_and_through_the_layout(tmp_path: Path, clean_emulator: Emulator) -> None:
    s3 = boto3.client("s3", region_name=clean_emulator.region)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": clean_emulator.region})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    seed(s3)
    before = versions(s3)
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_text(DECLARED), encoding="utf-8")

    reports = {
        "bucket": recgov(clean_emulator, "--bucket", f"{BUCKET}=quality", "--policy", str(policy)),
        "s3": recgov(clean_emulator, f"s3://{BUCKET}/Analysis/Voice/", "--purpose", "quality",
                     "--policy", str(policy), by_flags=True),
    }
    for how, (code, report, err) in reports.items():
        assert code == 1, (how, err)
        agent = result(report, "RG-ANALYTICS-AGENT")
        assert (agent["status"], agent["observed"]["contacts"]) == ("fail", ["c-agent"]), how
        redaction = result(report, "RG-ANALYTICS-REDACTION")
        assert (redaction["status"], redaction["observed"]["contacts"]) == ("fail", ["c-missing"]), how
        assert result(report, "RG-ANALYTICS-CUSTOMER")["status"] == "pass"
        errors = [r for r in report["results"] if r["status"] == "error"]
        assert [r["resource"] for r in errors] == [f"s3://{BUCKET}/{key('c-broken', day='2025/05/21')}"], how
        contacts = {r["contact_id"]: r for r in report["tables"]["analytics_contacts"]}
        assert set(contacts) == {"c-agent", "c-ok", "c-missing", "c-ok-2"}, how
        assert contacts["c-agent"]["sentiment_scored"] == "agent, customer"
        assert report["target"]["sources"][0]["listed"] == 8, how
    assert reports["bucket"][1]["target"]["sources"][0]["source"] == (
        f"s3://{BUCKET} (Analysis/Voice/, Analysis/Voice/Redacted/)")

    code, report, _ = recgov(clean_emulator, "--bucket", f"{BUCKET}=quality", "--policy", str(policy),
                             "--sample", "1")
    sampled = [r["contact_id"] for r in report["tables"]["analytics_contacts"]]
    assert len(sampled) == 2 and len({c in ("c-agent", "c-ok") for c in sampled}) == 2, "one contact a day"
    assert code == (1 if "c-agent" in sampled or "c-missing" in sampled else 0), report["results"]
    assert versions(s3) == before, "audit-analytics writes nothing"


def test_an_unlistable_bucket_is_an_error_not_a_pass(tmp_path: Path, clean_emulator: Emulator) -> None:
    code, report, err = recgov(clean_emulator, "--bucket", "no-such-bucket=quality")
    assert code == 3, err
    assert [(r["check"], r["status"]) for r in report["results"]] == [("RG-ANALYTICS-READABLE", "error")]
    assert "cannot be listed" in report["results"][0]["message"]
