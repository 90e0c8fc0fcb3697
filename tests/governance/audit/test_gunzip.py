"""CSV.gz files read by ISA-L and Arrow as one stream that DuckDB can scan again and again."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from governance.audit.gunzip import CsvStream, real_name, shown_name

SCHEMA = pa.schema([("v", pa.string())])


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


def stream(paths: list[Path], workers: int = 2, block: int = 1 << 20) -> CsvStream:
    return CsvStream(tuple(paths), SCHEMA, pa_csv.ReadOptions(column_names=["v"], block_size=block),
                     pa_csv.ParseOptions(), pa_csv.ConvertOptions(column_types=SCHEMA), workers=workers)


@pytest.mark.parametrize("workers", [1, 2, 8])
def test_every_file_is_read_decompressed_and_the_stream_scans_again(tmp_path: Path, workers: int) -> None:
    con = duckdb.connect()
    con.register("files", stream(_files(tmp_path), workers))
    for _ in range(3):
        assert sorted(v for (v,) in con.execute("SELECT v FROM files").fetchall()) == list("abcdefgh")
    assert [p.read_bytes()[:2] for p in _files(tmp_path)] == [b"\x1f\x8b"] * 4  # untouched


def test_a_file_that_does_not_parse_is_named(tmp_path: Path) -> None:
    paths = _files(tmp_path)
    paths[2].write_bytes(gzip.compress(b'"d"\n"e","extra"\n'))
    con = duckdb.connect()
    con.register("files", stream(paths))
    with pytest.raises(duckdb.Error, match=r"CSV input source '00002/part-2\.csv'"):
        con.execute("SELECT count(*) FROM files").fetchall()
    assert real_name(shown_name(paths[2], 2), paths) == "part-2.csv.gz"
    assert real_name("unknown.csv", paths) == "unknown.csv"


def test_a_scan_that_stops_early_leaves_no_reader_behind(tmp_path: Path) -> None:
    paths = []
    for i in range(6):  # many small batches: the bounded queue fills while nobody reads it
        path = tmp_path / f"big-{i}.csv.gz"
        path.write_bytes(gzip.compress("".join(f'"{i}-{n}"\n' for n in range(20000)).encode()))
        paths.append(path)
    before = threading.active_count()
    batches = stream(paths, workers=3, block=4096).batches()
    assert next(batches).num_rows > 0
    batches.close()
    assert threading.active_count() == before
