"""Bad invocations of the subject and hold commands: exit 2, one sentence, no traceback, nothing read."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import main


@pytest.mark.parametrize("args", [
    ["subject", "find", "--bucket", "b=quality"],
    ["subject", "find", "--call-id", "C1/..", "--bucket", "b=quality"],
    ["subject", "find", "--call-id", "C*", "--bucket", "b=quality"],
    ["subject", "find", "--call-id", "C\x001", "--bucket", "b=quality"],
    ["subject", "find", "--call-id", "C1"],
    ["subject", "find", "--call-id", "C1", "--bucket", "b=nothing"],
    ["subject", "erase", "--call-id", "../C1", "--reason", "objection", "--bucket", "b=quality", "--execute"],
    ["hold", "place", "--call-id", "C1", "--case", " ", "--bucket", "b=proof"],
])
def test_refused_with_one_sentence(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1


def test_an_unknown_reason_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["subject", "erase", "--call-id", "C1", "--reason", "whim", "--bucket", "b=q"])
    assert result.exit_code == 2 and "objection" in result.output


def test_export_refuses_a_non_empty_directory_before_reading(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("mine")
    result = CliRunner().invoke(main, ["subject", "export", "--call-id", "C1", "--out", str(tmp_path),
                                       "--bucket", "b=quality"])
    assert result.exit_code == 2 and "not an empty directory" in result.output


def test_every_subject_command_has_help_with_an_example() -> None:
    for group, names in (("subject", ("find", "export", "erase", "receipts")), ("hold", ("place", "release", "list"))):
        for name in names:
            result = CliRunner().invoke(main, [group, name, "--help"])
            assert result.exit_code == 0 and "Example: recgov" in result.output, (group, name)


def _records(tmp_path: Path) -> Path:
    path = tmp_path / "ctr.json"
    path.write_text('{"ContactId": "C1", "CustomerEndpoint": {"Address": "+33123456789"}}\n')
    return path


@pytest.mark.parametrize(("args", "said"), [
    (["--customer-number", "0123456789", "--contact-records", "RECORDS"], "not an E.164 number"),
    (["--customer-number", "+33123456789"], "needs --contact-records"),
    (["--contact-records", "RECORDS"], "only to resolve --customer-number"),
    (["--customer-number", "+33123456789", "--contact-records", "NOT-JSON"], "not JSON"),
    (["--customer-number", "+33123456789", "--contact-records", "ABSENT"], "no such file or directory"),
])
@pytest.mark.parametrize("command", [["subject", "find"], ["subject", "erase", "--reason", "objection"]])
def test_a_customer_number_is_refused_with_one_sentence(tmp_path: Path, command: list[str], args: list[str],
                                                        said: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json\n")
    where = {"RECORDS": str(_records(tmp_path)), "NOT-JSON": str(bad), "ABSENT": str(tmp_path / "absent")}
    result = CliRunner().invoke(main, [*command, *(where.get(a, a) for a in args), "--bucket", "b=quality"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1 and said in result.output


def test_a_number_without_contact_is_said_by_find_and_refused_by_export(tmp_path: Path) -> None:
    records = str(_records(tmp_path))
    # Nothing to search: no bucket is read, so the unreachable endpoint is never used.
    found = CliRunner().invoke(main, ["subject", "find", "--customer-number", "+49 30 1234567", "--contact-records",
                                      records, "--bucket", "b=quality", "--endpoint-url", "http://127.0.0.1:9",
                                      "--format", "json"])
    assert found.exit_code == 0, found.output
    assert "no contact of customer number +49301234567 is in the contact records" in found.output
    exported = CliRunner().invoke(main, ["subject", "export", "--customer-number", "+49301234567", "--contact-records",
                                         records, "--out", str(tmp_path / "out"), "--bucket", "b=quality"])
    assert exported.exit_code == 2 and "Nothing was exported." in exported.output


def test_contact_records_out_of_reach_are_unverifiable_not_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    result = CliRunner().invoke(main, ["subject", "find", "--customer-number", "+33123456789", "--contact-records",
                                       "s3://ctr/connect/", "--bucket", "b=quality", "--region", "eu-west-3",
                                       "--endpoint-url", "http://127.0.0.1:9"])
    assert result.exit_code == 3, result.output
    assert result.output.startswith("error: s3://ctr/connect/: the contact records cannot be reached")
    assert result.output.count("\n") == 1
