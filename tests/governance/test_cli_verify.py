"""``recgov verify`` end to end in-process: exit codes 0, 1, 2 and 3, targets, formats, output file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from governance.cli import main
from governance.collect import make_clients
from governance.commands import verify as command
from tests.governance.support import REGION, Account, deny


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["verify", "--region", REGION, *args])


@pytest.fixture
def outputs_file(account: Account, tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(account.outputs), encoding="utf-8")
    return path


def test_a_compliant_stack_exits_0_with_a_json_report(outputs_file: Path) -> None:
    result = run("--stack-outputs", str(outputs_file), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["summary"]["fail"] == 0 and doc["summary"]["error"] == 0 and doc["summary"]["pass"] > 0
    assert {r["purpose"] for r in doc["results"]} == {"quality", "proof", "evaluations", "access-logs"}


def test_a_violation_exits_1(account: Account, outputs_file: Path) -> None:
    account.s3.delete_bucket_policy(Bucket=account.bucket("proof"))
    result = run("--stack-outputs", str(outputs_file))
    assert result.exit_code == 1
    assert "has no bucket policy" in result.stdout


def test_an_unreadable_setting_exits_3(account: Account, outputs_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied_clients(**kwargs: Any) -> Any:
        clients = make_clients(**kwargs)
        deny(clients.s3, "GetBucketPolicy")
        return clients

    monkeypatch.setattr(command, "make_clients", denied_clients)
    result = run("--stack-outputs", str(outputs_file))
    assert result.exit_code == 3, result.output


def test_bucket_targets_and_output_file(account: Account, tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    result = run("--bucket", f"{account.bucket('quality')}=quality", "--bucket", f"{account.bucket('proof')}=proof",
                 "--format", "junit", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "<testsuite" in out.read_text(encoding="utf-8")
    assert "0 failed, 0 errors" in result.stderr


def test_a_missing_bucket_target_fails_with_exit_1(account: Account) -> None:
    result = run("--bucket", "nowhere=quality")
    assert result.exit_code == 1
    assert "nowhere (quality) does not exist" in result.stdout


def test_discover_finds_the_tagged_buckets(account: Account) -> None:
    result = run("--discover", "--format", "json")
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["target"]["buckets"]) == set(account.outputs["buckets"].values())


def test_discover_with_nothing_tagged_exits_3(account: Account) -> None:
    for name in account.outputs["buckets"].values():
        account.s3.delete_bucket_tagging(Bucket=name)
    result = run("--discover")
    assert result.exit_code == 3
    assert "nothing was verified" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of"),
        (("--bucket", "a=quality", "--discover"), "give exactly one of"),
        (("--bucket", "no-purpose"), "expected NAME=PURPOSE"),
        (("--bucket", "b=marketing"), "unknown purpose 'marketing'"),
        (("--stack-outputs", "/nonexistent/outputs.json"), "cannot read the stack outputs"),
        (("--bucket", "b=quality", "--policy", "/nonexistent/policy.yaml"), "cannot read the policy file"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(account: Account, args: tuple[str, ...], message: str) -> None:
    # ``account`` keeps any call in the mocked account, should input checking ever come too late.
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert result.stderr.startswith("error: ")


def test_malformed_stack_outputs_exit_2(account: Account, tmp_path: Path) -> None:
    bad = tmp_path / "outputs.json"
    bad.write_text('{"keyArns": {}}', encoding="utf-8")
    result = run("--stack-outputs", str(bad))
    assert result.exit_code == 2 and "non-empty 'buckets' map" in result.stderr


def test_html_is_rendered(account: Account) -> None:
    result = run("--bucket", f"{account.bucket('quality')}=quality", "--format", "html")
    assert result.exit_code == 0 and "<html" in result.stdout.lower()


def test_verify_is_documented() -> None:
    result = CliRunner().invoke(main, ["verify", "--help"])
    assert result.exit_code == 0
    assert "Example: recgov verify --stack-outputs" in result.output
