"""`recgov demo --platform amazon-connect`: Connect's layout, contact records read back from S3, the same three
judgements; with --drift, one agent has every call recorded."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import main
from sandbox.connect_seed import KEY_PREFIX
from tests.e2e.test_e2e_demo_cli import REPORTS

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


def test_connect_demo_with_drift_finds_the_over_recorded_agent(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--platform", "amazon-connect", "--drift"])
    assert result.exit_code == 1, result.output
    assert "RG-PROP-RATE: Agent AGENT-03" in result.output
    results = _report(tmp_path, "proportionality")["results"]
    assert isinstance(results, list)
    failed = [r for r in results if r["status"] == "fail"]
    assert failed and all(r["check"] == "RG-PROP-RATE" and "AGENT-03" in r["resource"] for r in failed)
    assert "RG-LIFECYCLE-WORST-CASE" in result.output


def test_the_default_demo_is_still_recgov(tmp_path: Path) -> None:
    help_text = CliRunner().invoke(main, ["demo", "--help"]).output
    assert "--platform [recgov|amazon-connect]" in help_text and "default: recgov" in help_text
