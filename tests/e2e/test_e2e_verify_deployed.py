"""The sandbox steps of the README, through the installed ``recgov``: deploy the example stack, then
``verify --stack-outputs`` alone judges what was deployed and passes; a different policy says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from governance.model import ExitCode
from sandbox.emulator import FAKE_CREDENTIALS, Emulator

RECGOV = str(Path(sys.executable).with_name("recgov"))
PROJECT = Path(__file__).resolve().parents[2]


def recgov(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | FAKE_CREDENTIALS
    return subprocess.run([RECGOV, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_verify_on_the_example_stacks_outputs_alone_passes(clean_emulator: Emulator, tmp_path: Path) -> None:
    url = clean_emulator.endpoint_url
    deployed = recgov("sandbox", "deploy", "--endpoint-url", url, "--output", "outputs.json", cwd=tmp_path)
    assert deployed.returncode == 0, deployed.stderr
    assert str(PROJECT / "Pulumi.dev.yaml") in deployed.stderr  # which stack file was used

    alone = recgov("verify", "--stack-outputs", "outputs.json", "--endpoint-url", url, "--format", "json",
                   cwd=tmp_path)
    assert alone.returncode == ExitCode.COMPLIANT, alone.stdout[-2000:]
    doc = json.loads(alone.stdout)
    outputs = json.loads((tmp_path / "outputs.json").read_text(encoding="utf-8"))
    assert doc["policy_digest"] == outputs["policyDigest"] and "notices" not in doc and alone.stderr == ""

    same = recgov("verify", "--stack-outputs", "outputs.json", "--stack-config", str(PROJECT / "Pulumi.dev.yaml"),
                  "--endpoint-url", url, cwd=tmp_path)
    assert same.returncode == ExitCode.COMPLIANT and "differs" not in same.stderr + same.stdout

    packaged = str(PROJECT / "lifecycle/default_policy.yaml")
    other = recgov("verify", "--stack-outputs", "outputs.json", "--policy", packaged, "--endpoint-url", url,
                   "--format", "json", cwd=tmp_path)
    assert other.returncode == ExitCode.VIOLATION  # the packaged policy keeps quality 90 days, dev 60
    [note] = other.stderr.splitlines()
    assert "--policy" in note and "differs from the one this stack deployed" in note
    assert json.loads(other.stdout)["notices"] == [note.removeprefix("note: ")]
