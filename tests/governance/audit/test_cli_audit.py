"""The two commands end to end through the CLI: exit codes, bad input in one sentence, every format."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.governance.audit.inventories import Row, rewrite_data_file, write_inventory
from tests.governance.audit.planted import BUCKET, ago, planted_rows
from tests.governance.audit.test_proportionality import scenario
from tests.governance.cli_runner import recgov


def test_violations_exit_1(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "CSV")
    code, out, _ = recgov("audit-objects", "--inventory", str(manifest), "--as-of", "2025-06-01")
    assert code == 1
    assert "RG-OBJ-AGE" in out and "NON-COMPLIANT" in out


def test_compliant_inventory_exits_0(tmp_path: Path) -> None:
    rows = [Row(f"quality/2025/05/{d:02d}/CALL-{d}.wav", ago(32 - d)) for d in range(1, 31)]
    manifest = write_inventory(tmp_path, BUCKET, rows, "Parquet")
    code, out, _ = recgov("audit-objects", "--inventory", str(manifest), "--as-of", "2025-06-01T00:00:00Z")
    assert code == 0, out
    assert "Verdict: COMPLIANT" in out


def test_json_report_has_the_contract_shape_and_the_register(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet")
    code, out, _ = recgov("audit-objects", "--inventory", str(manifest), "--as-of", "2025-06-01", "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert {"schema", "generated_at", "tool_version", "policy_digest", "target", "summary", "results"} <= set(doc)
    assert doc["tables"]["legal_holds"][0]["key"] == "quality/2025/01/02/CALL-HOLD.wav"
    assert doc["target"]["as_of"] == "2025-06-01T00:00:00Z"


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda m: m.write_text("{ truncated"), "not valid JSON"),
        (lambda m: next(m.parents[1].joinpath("data").iterdir()).write_bytes(b"not gzip"),
         "not the one S3 Inventory wrote"),
    ],
)
def test_bad_inventory_exits_2_with_one_sentence_and_no_report(tmp_path: Path, mutate: Callable[[Path], object],
                                                                words: str) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "CSV", files=1)
    (manifest.parent / "manifest.checksum").unlink()
    mutate(manifest)
    code, out, err = recgov("audit-objects", "--inventory", str(manifest))
    assert code == 2
    assert out == ""
    assert words in err and err.count("\n") == 1


def _rewrite_first_row(manifest: Path, change: Callable[[dict[str, str]], object]) -> None:
    """Edit the first data row of a one-file CSV inventory (see rewrite_data_file)."""
    fields = [f.strip() for f in json.loads(manifest.read_text(encoding="utf-8"))["fileSchema"].split(",")]

    def edit(raw: bytes) -> bytes:
        lines = gzip.decompress(raw).decode().splitlines()
        row = dict(zip(fields, next(csv.reader([lines[0]])), strict=True))
        change(row)
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(list(row.values()))
        return gzip.compress(("\n".join([out.getvalue().rstrip("\n"), *lines[1:]]) + "\n").encode())

    rewrite_data_file(manifest, edit)


@pytest.mark.parametrize(
    "change",
    [
        lambda row: row.pop("StorageClass"),
        lambda row: row.update(ExtraField="x"),
        lambda row: row.update(IsDeleteMarker="yes"),
        lambda row: row.update(LastModifiedDate="yesterday"),
        lambda row: row.update(IsDeleteMarker="\x1b[2Jtrue"),
        lambda row: row.update(ObjectLockRetainUntilDate="2025-13-40T00:00:00.000Z"),
    ],
    ids=["a-field-short", "a-field-long", "boolean-yes", "date-yesterday", "escape-sequence", "date-impossible"],
)
def test_a_csv_row_that_does_not_parse_exits_2_and_reports_nothing(tmp_path: Path,
                                                                    change: Callable[[dict[str, str]], object]) -> None:
    """A data file whose checksum passes but whose rows do not read as S3 Inventory's is refused whole:
    a value that is not a boolean or a date is never taken for false or for no date."""
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "CSV", files=1)
    (manifest.parent / "manifest.checksum").unlink()
    _rewrite_first_row(manifest, change)
    code, out, err = recgov("audit-objects", "--inventory", str(manifest), "--as-of", "2025-06-01")
    assert code == 2, err
    assert out == ""
    assert "cannot be parsed as CSV" in err and err.count("\n") == 1
    assert "\x1b" not in err


@pytest.mark.parametrize(
    ("change", "words"),
    [(gzip.decompress, "Not a gzipped file"),
     (lambda raw: raw[: len(raw) // 2], "Compressed file ended before the end-of-stream")],
    ids=["not-gzip", "truncated-stream"],
)
def test_a_csv_file_that_does_not_decompress_exits_2_with_its_name(tmp_path: Path, change: Callable[[bytes], bytes],
                                                                   words: str) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "CSV", files=1)
    (manifest.parent / "manifest.checksum").unlink()
    rewrite_data_file(manifest, change)
    name = Path(json.loads(manifest.read_text(encoding="utf-8"))["files"][0]["key"]).name
    code, out, err = recgov("audit-objects", "--inventory", str(manifest), "--as-of", "2025-06-01")
    assert (code, out) == (2, "")
    assert f"data file {name} cannot be parsed as CSV ({words}" in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_unknown_purpose_and_missing_source_exit_2(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, "recordings-archive", [Row("a/b.wav", ago(1))], "CSV")
    code, _, err = recgov("audit-objects", "--inventory", str(manifest))
    assert code == 2 and "--purpose" in err
    code, _, _ = recgov("audit-objects", "--inventory", str(manifest), "--purpose", "proof", "--as-of", "2025-06-01")
    assert code == 1  # judged once the purpose is given (the key is outside the convention)
    code, _, err = recgov("audit-objects")
    assert code == 2 and "--inventory" in err
    code, _, err = recgov("audit-objects", "--inventory", str(manifest), "--as-of", "yesterday")
    assert code == 2 and "--as-of" in err


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_agent_month_table_is_in_the_report(tmp_path: Path, fmt: str) -> None:
    calls, inventories = scenario(tmp_path)
    args = ["proportionality", "--calls", str(calls), "--format", fmt]
    for inv in inventories:
        args += ["--inventory", inv.location]
    code, out, _ = recgov(*args)
    assert code == 1
    assert "agent_months" in out
    for agent in ("A25", "A45", "A100"):
        assert agent in out


@pytest.mark.parametrize("fmt", ["junit", "sarif"])
def test_proportionality_renders_in_ci_formats(tmp_path: Path, fmt: str) -> None:
    calls, inventories = scenario(tmp_path)
    code, out, _ = recgov("proportionality", "--calls", str(calls), "--inventory", inventories[0].location,
                          "--format", fmt)
    assert code == 1
    assert "RG-PROP-RATE" in out


def test_bad_calls_file_exits_2(tmp_path: Path) -> None:
    _, inventories = scenario(tmp_path)
    calls = tmp_path / "calls.csv"
    calls.write_text("call_id,agent_id,started_at,transaction_id\nC1,A,2025-05-01 08:00,\n")
    code, out, err = recgov("proportionality", "--calls", str(calls), "--inventory", inventories[0].location)
    assert code == 2 and out == ""
    assert "ISO 8601 UTC" in err


def test_both_commands_are_documented() -> None:
    for command in ("audit-objects", "proportionality"):
        code, out, _ = recgov(command, "--help")
        assert code == 0 and "Example:" in out
