"""``subject find --inventory``: exact matches from an inventory's files, as Parquet or CSV."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import main
from governance.subject.inventory import find_in_inventory
from lifecycle.legal import Purpose
from lifecycle.loader import load_policy
from tests.governance.audit.inventories import Row, write_inventory

WHEN = datetime(2026, 11, 1, 9, tzinfo=UTC).replace(tzinfo=None)
ROWS = [
    Row("quality/2026/11/01/C1.wav", WHEN, "a", is_latest=False, lock_mode="GOVERNANCE", retain_until=WHEN),
    Row("quality/2026/11/01/C1.wav", WHEN, "b", legal_hold="ON"),
    Row("quality/2026/11/01/C1.wav", WHEN, "m", delete_marker=True, is_latest=False, legal_hold=None),
    Row("quality/2026/11/01/C10.wav", WHEN, "c"),
    Row("quality/2026/11/01/XC1.wav", WHEN, "d"),
    Row("tmp/C1.wav", WHEN, "e"),
]


@pytest.mark.parametrize("fmt", ["Parquet", "CSV"])
def test_exact_versions_with_their_locks(tmp_path: Path, fmt: str) -> None:
    manifest = write_inventory(tmp_path, "recgov-x-quality", ROWS, fmt)
    found = find_in_inventory(str(manifest), load_policy(), None, ["C1"])
    assert [v.version_id for v in found.versions] == ["a", "b", "m"]
    assert found.versions[1].legal_hold is True and found.versions[0].lock_mode == "GOVERNANCE"
    assert found.versions[2].delete_marker and found.complete
    assert find_in_inventory(str(manifest), load_policy(), Purpose.QUALITY, ["C2"]).versions == []


def test_the_command_reads_an_inventory(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, "exported-recordings", ROWS)
    result = CliRunner().invoke(main, ["subject", "find", "--call-id", "C10", "--inventory", str(manifest),
                                       "--format", "json"])
    assert result.exit_code == 2 and "--purpose" in result.output
    result = CliRunner().invoke(main, ["subject", "find", "--call-id", "C10", "--inventory", str(manifest),
                                       "--purpose", "quality", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [r["version_id"] for r in json.loads(result.output)["rows"]] == ["c"]


def test_an_inventory_find_does_not_load_boto3(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, "recgov-x-quality", ROWS)
    code = (
        "import sys\n"
        "from governance.cli import main\n"
        "try:\n"
        f"    main(['subject', 'find', '--call-id', 'C1', '--inventory', {str(manifest)!r}, '--format', 'json'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "print('boto3' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "False"
