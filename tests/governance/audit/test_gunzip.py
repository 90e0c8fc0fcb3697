"""The ISA-L filesystem shows Arrow each gzip file decompressed, under a name without ``.gz``, read-only."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_ds
import pytest

from governance.audit.gunzip import gunzip_filesystem, real_name


def _files(tmp_path: Path) -> list[Path]:
    paths = []
    for i, rows in enumerate([["a", "b"], ["c"], ["d", "e", "f"]]):
        path = tmp_path / f"part-{i}.csv.gz"
        path.write_bytes(gzip.compress("".join(f'"{r}"\n' for r in rows).encode()))
        paths.append(path)
    # A multi-member gzip file, as concatenated streams: every member is read.
    tail = tmp_path / "part-3.csv.gz"
    tail.write_bytes(gzip.compress(b'"g"\n') + gzip.compress(b'"h"\n'))
    return [*paths, tail]


def test_a_dataset_reads_every_file_decompressed_in_order(tmp_path: Path) -> None:
    paths = _files(tmp_path)
    filesystem, names = gunzip_filesystem(paths)
    assert [n.rsplit("/", 1)[1] for n in names] == ["part-0.csv", "part-1.csv", "part-2.csv", "part-3.csv"]
    fmt = pa_ds.CsvFileFormat(read_options=pa_csv.ReadOptions(column_names=["v"]))
    table = pa_ds.dataset(names, format=fmt, filesystem=filesystem).to_table()
    assert table.column("v").to_pylist() == ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_the_filesystem_is_read_only_and_knows_only_its_files(tmp_path: Path) -> None:
    paths = _files(tmp_path)
    filesystem, names = gunzip_filesystem(paths)
    with pytest.raises(OSError, match="read-only"):
        filesystem.open_output_stream(names[0])
    with pytest.raises(OSError, match="read-only"):
        filesystem.delete_file(names[0])
    assert filesystem.get_file_info("elsewhere.csv").type.name == "NotFound"
    assert [p.read_bytes()[:2] for p in paths] == [b"\x1f\x8b"] * 4  # untouched


def test_an_error_names_the_file_as_the_manifest_does(tmp_path: Path) -> None:
    paths = _files(tmp_path)
    _, names = gunzip_filesystem(paths)
    assert real_name(names[2], paths) == "part-2.csv.gz"
    assert real_name("unknown.csv", paths) == "unknown.csv"
