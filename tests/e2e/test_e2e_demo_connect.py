"""`recgov demo --platform amazon-connect`: Connect's layout, contact records read back from S3, Contact Lens
output beside the recordings, the same three judgements and the analytics audit; with --drift, one agent has
every call recorded, one recording's Contact Lens output outlives it and one analysis scores the agent."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import main
from lifecycle.loader import load_policy_file
from sandbox.connect_seed import KEY_PREFIX
from tests.e2e.test_e2e_demo_cli import REPORTS

ANALYTICS_REPORTS = tuple(f"audit-analytics.{ext}" for ext in ("txt", "json", "md", "html", "junit.xml", "sarif"))

pytestmark = pytest.mark.e2e


def _report(folder: Path, kind: str) -> dict[str, object]:
    return dict(json.loads((folder / f"{kind}.json").read_text(encoding="utf-8")))


def test_connect_demo_exits_0_judging_contact_records(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--platform", "amazon-connect"])
    assert result.exit_code == 0, result.output
    assert "Compliant" in result.output and KEY_PREFIX in result.output
    for name in (n for n in REPORTS if n != "calls.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert not (tmp_path / "calls.csv").exists()
    files = sorted((tmp_path / "contact-records").rglob("*.gz"))
    assert files and all(f.parent.name.startswith("day=") for f in files)
    records = [json.loads(line) for f in files for line in gzip.decompress(f.read_bytes()).splitlines()]
    assert len(records) > len({r["ContactId"] for r in records})  # redeliveries
    for kind in ("verify", "audit-objects", "proportionality"):
        summary = _report(tmp_path, kind)["summary"]
        assert isinstance(summary, dict) and summary["fail"] == 0 and summary["error"] == 0, kind
    target = _report(tmp_path, "proportionality")["target"]
    assert isinstance(target, dict) and str(target["contact_records"]).startswith("s3://")
    assert target["deliveries"] == len(records) and target["located_recordings"] > 0
    audit = _report(tmp_path, "audit-objects")["results"]
    assert isinstance(audit, list)
    assert any(r["check"] == "RG-OBJ-KEY-NAME" and "amazon-connect" in r["message"] for r in audit)
    # Contact Lens output lies beside the recordings, each with its recording: three objects per analysed call.
    recorded = int(target["located_recordings"])
    orphans = [r for r in audit if r["check"] == "RG-OBJ-DERIVED-ORPHAN" and r["purpose"] == "quality"]
    assert [(r["status"], r["observed"]["derived_objects"]) for r in orphans] == [("pass", 3 * recorded)]
    # The analytics are declared in the policy file the demo wrote and deployed with.
    declared = load_policy_file(tmp_path / "policy.yaml")["quality"].analytics
    assert declared is not None and declared.as_dict()["sentiment"] == ["customer"]
    assert str(tmp_path / "policy.yaml") in result.output
    for name in ANALYTICS_REPORTS:
        assert (tmp_path / name).stat().st_size > 0, name
    analytics = _report(tmp_path, "audit-analytics")
    summary = analytics["summary"]
    assert isinstance(summary, dict) and summary["fail"] == 0 and summary["error"] == 0 and summary["pass"] > 0
    tables = analytics["tables"]
    assert isinstance(tables, dict)
    contacts = tables["analytics_contacts"]
    assert len(contacts) == recorded
    assert all(c["sentiment_scored"] == "customer" and c["voice_scored"] == "-" and c["redacted_copy"] == "yes"
               for c in contacts), contacts
    assert "audit-analytics" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_connect_demo_with_drift_finds_the_over_recorded_agent(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--platform", "amazon-connect", "--drift"])
    assert result.exit_code == 1, result.output
    assert "RG-PROP-RATE: Agent AGENT-03" in result.output
    results = _report(tmp_path, "proportionality")["results"]
    assert isinstance(results, list)
    failed = [r for r in results if r["status"] == "fail"]
    assert failed and all(r["check"] == "RG-PROP-RATE" and "AGENT-03" in r["resource"] for r in failed)
    assert "RG-LIFECYCLE-WORST-CASE" in result.output


def test_connect_demo_with_drift_finds_the_orphan_transcript_and_the_scored_agent(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--platform", "amazon-connect", "--drift"])
    assert result.exit_code == 1, result.output
    assert "RG-OBJ-DERIVED-ORPHAN" in result.output and "RG-ANALYTICS-AGENT" in result.output
    audit = _report(tmp_path, "audit-objects")["results"]
    assert isinstance(audit, list)
    orphaned = [r for r in audit if r["check"] == "RG-OBJ-DERIVED-ORPHAN" and r["status"] == "fail"]
    assert len(orphaned) == 1 and orphaned[0]["observed"]["count"] == 3, orphaned
    keys = orphaned[0]["observed"]["first_keys"]
    contact = keys[0].rsplit("/", 1)[1].split("_", 1)[0]
    assert f"the recording of contact {contact} erased" in result.output
    assert any(k.startswith("Analysis/Voice/") and "_analysis_" in k and "Redacted" not in k for k in keys)
    assert any(k.startswith("Analysis/Voice/Redacted/") and "_call_recording_redacted_" in k for k in keys)
    # Erased through Connect: its record says DELETED, so proportionality expects it gone.
    ratio = _report(tmp_path, "proportionality")["results"]
    assert isinstance(ratio, list)
    assert all(r["status"] == "pass" for r in ratio if r["check"] == "RG-PROP-LOCATION-MISSING")
    judged = _report(tmp_path, "audit-analytics")["results"]
    assert isinstance(judged, list)
    failed = [r for r in judged if r["status"] != "pass"]
    assert [(r["check"], r["status"], r["severity"]) for r in failed] == [("RG-ANALYTICS-AGENT", "fail", "high")]
    scored = failed[0]["observed"]
    assert len(scored["contacts"]) == 1 and scored["sentiment"] == scored["contacts"] and not scored["voice"]
    assert scored["contacts"] != [contact]


def test_the_default_demo_is_still_recgov(tmp_path: Path) -> None:
    help_text = CliRunner().invoke(main, ["demo", "--help"]).output
    assert "--platform [recgov|amazon-connect]" in help_text and "default: recgov" in help_text
