"""Benchmark ``recgov audit-objects`` against its references, in one run (not a test).

    python bench/inventory_gen.py --out /tmp/inv
    python bench/audit_objects.py --parquet /tmp/inv/parquet/.../manifest.json --csv /tmp/inv/csv/.../manifest.json

Each measurement runs in its own child process; its wall time, CPU time (user + system) and peak
resident memory (all from wait4) are printed beside rows per second. With ``--repeat N`` every
measurement runs N times, in rounds, and the median time is shown with the fastest and slowest run:
on a shared machine the spread is part of the figure.

Each section ends with the issue's targets, judged on the figures just printed: 5 M rows/s and within
3x of the raw count on Parquet (beside the two floors any verified audit pays: checksums and decoding),
under 1 GB of memory, CSV.gz within 1.2x of decompression, and 100 M rows in under 25 s when the
inventory has that many.

- Parquet: ``audit-objects`` (MD5 of every file while one scan makes every object check) beside a
  raw DuckDB ``count(key)`` over the same files (the reference, ``x ref``: DuckDB answers it from the
  footers' statistics, so it is little more than starting Python and DuckDB), DuckDB decoding every
  column the audit reads with no check at all, and ``md5sum`` of the same files with one process per
  core: the two floors any audit that verifies checksums and reads those columns stands on;
- CSV.gz: ``audit-objects`` beside plain decompression of the same files: ``gzip -dc`` on one core
  and with one process per core (the reference, ``x ref``), ISA-L's inflate in one thread per core (the
  decompressor the audit reads CSV with, so the floor under its own reading) and DuckDB's gzip reader
  splitting the files into lines without parsing a field.

The data files are page-cached by the count that precedes the measurements, so every measurement
reads them from memory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# DuckDB-free (a test pins it): this parent stays small, so each child's reported peak is its own.
from governance.audit.sql import COLUMNS  # noqa: E402


@dataclass(frozen=True)
class Measure:
    """One child process's cost."""

    label: str
    seconds: float
    peak_mb: float
    cpu_seconds: float
    fastest: float
    slowest: float


def run_child(label: str, argv: list[str]) -> Measure:
    """Run ``argv`` to completion; wall time and its own peak RSS (children of it included)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):  # audit-objects exits 1 on violations, which the data has
        raise SystemExit(f"{label} failed ({proc.returncode}): {err}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measure(label, seconds, usage.ru_maxrss / 1024, cpu, seconds, seconds)


def measure_rounds(children: list[tuple[str, list[str]]], repeat: int) -> list[Measure]:
    """Each child ``repeat`` times, in rounds (a slow spell of the machine then touches every
    measurement alike): the median wall and CPU times, the fastest and slowest run, the highest peak."""
    runs: dict[str, list[Measure]] = {label: [] for label, _ in children}
    for _ in range(repeat):
        for label, argv in children:
            runs[label].append(run_child(label, argv))
    return [Measure(label, statistics.median(m.seconds for m in done), max(m.peak_mb for m in done),
                    statistics.median(m.cpu_seconds for m in done), min(m.seconds for m in done),
                    max(m.seconds for m in done))
            for label, done in runs.items()]


def data_files(manifest: Path) -> list[Path]:
    """The manifest's data files (under the ancestor that plays the destination bucket)."""
    doc = json.loads(manifest.read_text())
    root = manifest.parents[4]  # <root>/<prefix>/<bucket>/<config>/<timestamp>/manifest.json
    return [root / f["key"] for f in doc["files"]]


def count_rows(files: list[Path]) -> int:
    """Rows in the inventory, from the Parquet footers or by decompressing the CSV.

    Counted in a child: on Linux a forked child starts with its parent's peak RSS, so the parent
    stays small (DuckDB is never imported here) and the children's peaks are their own.
    """
    if files[0].suffix == ".parquet":
        listing = ", ".join(f"'{p}'" for p in files)
        query = f"SELECT count(*) FROM read_parquet([{listing}])"
        code = f"import duckdb; print(duckdb.execute({query!r}).fetchall()[0][0])"
        return int(subprocess.run([PYTHON, "-c", code], capture_output=True, check=True, text=True).stdout)
    total = 0
    for p in files:
        out = subprocess.run(f"gzip -dc '{p}' | wc -l", shell=True, capture_output=True, check=True)
        total += int(out.stdout)
    return total


def audit_argv(manifest: Path) -> list[str]:
    """The command measured: the real CLI, every object check, report rendered and discarded."""
    return [PYTHON, "-c", "from governance.cli import main; main()", "audit-objects", "--inventory", str(manifest),
            "--as-of", "2025-06-01", "--format", "json", "--output", os.devnull]


def raw_count_argv(files: list[Path]) -> list[str]:
    listing = ", ".join(f"'{p}'" for p in files)
    code = f"import duckdb; print(duckdb.execute(\"SELECT count(key) FROM read_parquet([{listing}])\").fetchall())"
    return [PYTHON, "-c", code]


def read_columns_argv(files: list[Path]) -> list[str]:
    """DuckDB decoding the columns the audit reads (every row of each), and nothing else."""
    listing = ", ".join(f"'{p}'" for p in files)
    columns = [c for c in COLUMNS if c != "is_latest"]  # is_latest is in the view, and no check reads it
    # A filter on every column forces each value to be decoded (a bare count is answered from statistics).
    where = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    query = f"SELECT count(*) FILTER (WHERE {where}) FROM read_parquet([{listing}])"
    code = f"import duckdb; print(duckdb.execute({query!r}).fetchall())"
    return [PYTHON, "-c", code]


def per_file_argv(files: list[Path], parallel: int, command: str) -> list[str]:
    """``command`` run on each file (its path is ``$0``), ``parallel`` processes at a time, output discarded."""
    quoted = " ".join(f"'{p}'" for p in files)
    return ["sh", "-c", f"printf '%s\\n' {quoted} | xargs -P {parallel} -n 1 sh -c '{command} > /dev/null'"]


def md5_argv(files: list[Path], parallel: int) -> list[str]:
    return per_file_argv(files, parallel, 'md5sum "$0"')


def duckdb_gunzip_argv(files: list[Path]) -> list[str]:
    """DuckDB's gzip reader alone: each line one VARCHAR, no delimiter or quote handled."""
    listing = ", ".join(f"'{p}'" for p in files)
    code = (f"import duckdb; print(duckdb.execute(\"SELECT count(*) FROM read_csv([{listing}], "
            "columns = {'line': 'VARCHAR'}, header = false, delim = '\\x01', quote = '', escape = '', "
            "compression = 'gzip', auto_detect = false)\").fetchall())")
    return [PYTHON, "-c", code]


def isal_gunzip_argv(files: list[Path], parallel: int) -> list[str]:
    """The decompressor the audit reads CSV.gz with (ISA-L, ``isal.igzip``), ``parallel`` files at a time."""
    code = (
        "import sys; from concurrent.futures import ThreadPoolExecutor; from isal import igzip\n"
        "def inflate(path):\n"
        "    with igzip.open(path, 'rb') as stream:\n"
        "        while stream.read(1 << 22): pass\n"
        f"with ThreadPoolExecutor({parallel}) as pool: list(pool.map(inflate, sys.argv[1:]))\n"
    )
    return [PYTHON, "-c", code, *map(str, files)]


def gunzip_argv(files: list[Path], parallel: int) -> list[str]:
    return per_file_argv(files, parallel, 'gzip -dc "$0"')


def report(rows: int, measures: list[Measure], reference: Measure) -> None:
    print(f"{'measurement':44} {'seconds':>8} {'fastest-slowest':>15} {'CPU s':>6} {'M rows/s':>9} "
          f"{'peak MB':>8} {'x ref':>6}")
    for m in measures:
        print(f"{m.label:44} {m.seconds:8.2f} {m.fastest:7.2f}-{m.slowest:<7.2f} {m.cpu_seconds:6.2f} "
              f"{rows / m.seconds / 1e6:9.2f} {m.peak_mb:8.0f} {m.seconds / reference.seconds:6.2f}")


PARQUET_ROWS_PER_SECOND = 5e6
COUNT_RATIO = 3.0
GZIP_RATIO = 1.2
PEAK_MB = 1024
HUGE_ROWS, HUGE_SECONDS = 100_000_000, 25.0


def verdict(target: str, measured: str, met: bool) -> str:
    """One target line: what was asked, what was measured, and whether it was met."""
    return f"  target {target:36} {measured:40} {'met' if met else 'NOT MET'}"


def common_targets(rows: int, audit: Measure) -> list[str]:
    """The targets every format shares: bounded memory, and 100 M rows in under 25 s."""
    lines = [verdict(f"peak memory under {PEAK_MB} MB", f"{audit.peak_mb:.0f} MB", audit.peak_mb < PEAK_MB)]
    if rows >= HUGE_ROWS:
        lines.append(verdict(f"{HUGE_ROWS / 1e6:.0f} M rows in under {HUGE_SECONDS:.0f} s",
                             f"{audit.seconds * HUGE_ROWS / rows:.2f} s for {HUGE_ROWS / 1e6:.0f} M rows",
                             audit.seconds * HUGE_ROWS / rows < HUGE_SECONDS))
    return lines


def parquet_targets(rows: int, count: Measure, decoding: Measure, md5: Measure, audit: Measure) -> list[str]:
    """The Parquet targets, and the floors that any audit verifying checksums stands on."""
    rate = rows / audit.seconds
    floors = md5.seconds + decoding.seconds
    return [
        verdict(f"at least {PARQUET_ROWS_PER_SECOND / 1e6:.0f} M rows/s", f"{rate / 1e6:.2f} M rows/s",
                rate >= PARQUET_ROWS_PER_SECOND),
        verdict(f"within {COUNT_RATIO:.0f}x of the raw count", f"{audit.seconds / count.seconds:.2f}x "
                f"(floors alone {floors / count.seconds:.2f}x)", audit.seconds <= COUNT_RATIO * count.seconds),
        *common_targets(rows, audit),
    ]


def csv_targets(rows: int, gunzip: Measure, audit: Measure) -> list[str]:
    """The CSV.gz targets: within 1.2x of decompressing the same files on every core."""
    ratio = audit.seconds / gunzip.seconds
    return [verdict(f"within {GZIP_RATIO}x of {gunzip.label}", f"{ratio:.2f}x", ratio <= GZIP_RATIO),
            *common_targets(rows, audit)]


def main() -> None:
    """Run the measurements given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parquet", type=Path, help="manifest.json of a Parquet inventory")
    parser.add_argument("--csv", type=Path, help="manifest.json of a CSV.gz inventory")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the median is shown")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"cores: {cores}; python {sys.version.split()[0]}; median of {args.repeat} run(s) each")
    if args.parquet:
        files = data_files(args.parquet)
        rows = count_rows(files)
        size = sum(p.stat().st_size for p in files) / 1e6
        print(f"\nParquet: {rows:,} rows in {len(files)} files ({size:,.0f} MB)")
        measures = measure_rounds([
            ("raw DuckDB count(key), same files", raw_count_argv(files)),
            ("DuckDB decoding the audited columns", read_columns_argv(files)),
            (f"md5sum, {cores} processes", md5_argv(files, cores)),
            ("recgov audit-objects (MD5 + all checks)", audit_argv(args.parquet)),
        ], args.repeat)
        report(rows, measures, measures[0])
        print("\n".join(parquet_targets(rows, *measures)))
    if args.csv:
        files = data_files(args.csv)
        rows = count_rows(files)
        size = sum(p.stat().st_size for p in files) / 1e6
        print(f"\nCSV.gz: {rows:,} rows in {len(files)} files ({size:,.0f} MB)")
        measures = measure_rounds([
            ("gzip -dc, one process", gunzip_argv(files, 1)),
            (f"gzip -dc, {cores} processes", gunzip_argv(files, cores)),
            (f"ISA-L inflate, {cores} threads", isal_gunzip_argv(files, cores)),
            ("DuckDB gzip reader, lines only", duckdb_gunzip_argv(files)),
            ("recgov audit-objects (MD5 + all checks)", audit_argv(args.csv)),
        ], args.repeat)
        report(rows, measures, measures[1])
        print("\n".join(csv_targets(rows, measures[1], measures[-1])))


if __name__ == "__main__":
    main()
