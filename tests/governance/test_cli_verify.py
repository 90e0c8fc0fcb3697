"""``recgov verify`` end to end in-process: exit codes 0, 1, 2 and 3, targets, formats, output file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from governance.collect import make_clients
from governance.commands import verify as command
from tests.governance.cli_runner import recgov
from tests.governance.support import REGION, Account, deny

VERIFY = ("verify", "--region", REGION)


@pytest.fixture
def outputs_file(account: Account, tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(account.outputs), encoding="utf-8")
    return path


def test_a_compliant_stack_exits_0_with_a_json_report(outputs_file: Path) -> None:
    result = recgov(*VERIFY, "--stack-outputs", str(outputs_file), "--format", "json")
    assert result.code == 0, result.output
    doc = json.loads(result.out)
    assert doc["summary"]["fail"] == 0 and doc["summary"]["error"] == 0 and doc["summary"]["pass"] > 0
    assert {r["purpose"] for r in doc["results"]} == {"quality", "proof", "evaluations", "access-logs", "evidence"}


def test_a_violation_exits_1(account: Account, outputs_file: Path) -> None:
    account.s3.delete_bucket_policy(Bucket=account.bucket("proof"))
    result = recgov(*VERIFY, "--stack-outputs", str(outputs_file))
    assert result.code == 1
    assert "has no bucket policy" in result.out


def test_an_unreadable_setting_exits_3(account: Account, outputs_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied_clients(**kwargs: Any) -> Any:
        clients = make_clients(**kwargs)
        deny(clients.s3, "GetBucketPolicy")
        return clients

    monkeypatch.setattr(command, "make_clients", denied_clients)
    result = recgov(*VERIFY, "--stack-outputs", str(outputs_file))
    assert result.code == 3, result.output


def test_bucket_targets_and_output_file(account: Account, tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    result = recgov(*VERIFY, "--bucket", f"{account.bucket('quality')}=quality",
                    "--bucket", f"{account.bucket('proof')}=proof", "--format", "junit", "--output", str(out))
    assert result.code == 0, result.output
    assert "<testsuite" in out.read_text(encoding="utf-8")
    assert "0 failed, 0 errors" in result.err


def test_a_missing_bucket_target_fails_with_exit_1(account: Account) -> None:
    result = recgov(*VERIFY, "--bucket", "nowhere=quality")
    assert result.code == 1
    assert "nowhere (quality) does not exist" in result.out


def test_discover_finds_the_tagged_buckets(account: Account) -> None:
    result = recgov(*VERIFY, "--discover", "--format", "json")
    assert result.code == 0, result.output
    assert set(json.loads(result.out)["target"]["buckets"]) == set(account.outputs["buckets"].values())


def test_discover_with_nothing_tagged_exits_3(account: Account) -> None:
    for name in account.outputs["buckets"].values():
        account.s3.delete_bucket_tagging(Bucket=name)
    result = recgov(*VERIFY, "--discover")
    assert result.code == 3
    assert "nothing was verified" in result.err


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
    result = recgov(*VERIFY, *args)
    assert result.code == 2, result.output
    assert message in result.err and "Traceback" not in result.output
    assert result.err.startswith("error: ")


def test_malformed_stack_outputs_exit_2(account: Account, tmp_path: Path) -> None:
    bad = tmp_path / "outputs.json"
    bad.write_text('{"keyArns": {}}', encoding="utf-8")
    result = recgov(*VERIFY, "--stack-outputs", str(bad))
    assert result.code == 2 and "non-empty 'buckets' map" in result.err


def test_html_is_rendered(account: Account) -> None:
    result = recgov(*VERIFY, "--bucket", f"{account.bucket('quality')}=quality", "--format", "html")
    assert result.code == 0 and "<html" in result.out.lower()


def test_verify_is_documented() -> None:
    result = recgov("verify", "--help")
    assert result.code == 0
    assert "Example: recgov verify --stack-outputs" in result.output


def test_every_problem_of_the_stack_config_is_said(account: Account, tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text("config:\n  recgov:principals: []\n  recgov:athena: []\n", encoding="utf-8")
    result = recgov(*VERIFY, "--bucket", f"{account.bucket('quality')}=quality", "--stack-config", str(stack))
    assert result.code == 2, result.output
    assert "recgov:principals: expected a mapping" in result.err
    assert "recgov:athena: expected a mapping" in result.err
    assert all(line.startswith("error: ") for line in result.err.splitlines())


def test_the_stack_config_is_read_once(account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = Path(__file__).resolve().parents[2] / "Pulumi.dev.yaml"
    reads = []
    original = Path.read_text

    def counted(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.resolve() == stack:
            reads.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counted)
    result = recgov(*VERIFY, "--bucket", f"{account.bucket('quality')}=quality", "--stack-config", str(stack))
    assert result.code in (0, 1), result.output
    assert len(reads) == 1
