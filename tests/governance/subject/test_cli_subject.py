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
