"""The commands a newcomer runs: `recgov demo`, `recgov demo --drift`, `recgov sandbox deploy`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import main
from sandbox.emulator import Emulator

pytestmark = pytest.mark.e2e
REPORTS = (
    *(f"{kind}.{ext}" for kind in ("verify", "audit-objects", "proportionality")
      for ext in ("txt", "json", "md", "html", "junit.xml", "sarif")),
    "report.html", "stack-outputs.json", "calls.csv",
)


def test_demo_exits_0_with_every_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "production deployments use `pulumi up`" in result.output
    assert "Compliant" in result.output
    for name in REPORTS:
        assert (tmp_path / name).stat().st_size > 0, name
    for kind in ("verify", "audit-objects", "proportionality"):
        report = json.loads((tmp_path / f"{kind}.json").read_text(encoding="utf-8"))
        assert report["summary"]["fail"] == 0 and report["summary"]["error"] == 0, kind
        assert report["summary"]["pass"] > 0, kind
    assert "agent_months" in json.loads((tmp_path / "proportionality.json").read_text(encoding="utf-8"))["tables"]
    assert "COMPLIANT" in (tmp_path / "report.html").read_text(encoding="utf-8")
    # The live listing's ages are drawn: the age chart the HTML report promises.
    assert json.loads((tmp_path / "audit-objects.json").read_text(encoding="utf-8"))["tables"]["age_distribution"]
    assert "Age of stored versions" in (tmp_path / "audit-objects.html").read_text(encoding="utf-8")


def test_demo_with_drift_exits_1_and_names_the_failures(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--drift"])
    assert result.exit_code == 1, result.output
    for check in ("RG-LIFECYCLE-WORST-CASE", "RG-PUBLIC-ACCESS-BLOCK", "RG-OBJECT-LOCK-DEFAULT"):
        assert check in result.output
    report = json.loads((tmp_path / "verify.json").read_text(encoding="utf-8"))
    assert report["summary"]["fail"] >= 3


def test_sandbox_deploy_writes_stack_outputs(emulator: Emulator, tmp_path: Path) -> None:
    emulator.reset()
    out = tmp_path / "outputs.json"
    result = CliRunner().invoke(main, ["sandbox", "deploy", "--endpoint-url", emulator.endpoint_url,
                                       "--output", str(out)])
    assert result.exit_code == 0, result.output
    outputs = json.loads(out.read_text(encoding="utf-8"))
    assert set(outputs["buckets"]) == {"quality", "proof", "evaluations", "access-logs", "evidence"}


def test_sandbox_deploy_refuses_a_remote_endpoint() -> None:
    result = CliRunner().invoke(main, ["sandbox", "deploy", "--endpoint-url", "https://s3.eu-west-3.amazonaws.com"])
    assert result.exit_code == 2
    assert "pulumi up" in result.output


@pytest.mark.parametrize("command", [["demo", "--help"], ["sandbox", "deploy", "--help"], ["sandbox", "--help"]])
def test_help_says_it_is_an_emulation(command: list[str]) -> None:
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0
    assert "emulation" in result.output and "pulumi up" in result.output
