"""Benchmark ``recgov audit-objects`` against its references, in one run (not a test).

    python bench/inventory_gen.py --out /tmp/inv
    python bench/audit_objects.py --parquet /tmp/inv/parquet/.../manifest.json --csv /tmp/inv/csv/.../manifest.json

Each measurement runs in its own child process; its wall time, CPU time (user + system) and peak
resident memory (all from wait4) are printed beside rows per second. With ``--repeat N`` every
measurement runs N times, in rounds, and the median time is shown with the fastest and slowest run:
on a shared machine the spread is part of the figure.

Each section also runs a hand-written DuckDB query computing the same findings over the same files (a
filtered count and the first keys per finding, as one would write it without recgov: no checksum, no
register, no age histogram), first checks once that it finds what the report says, and judges recgov's
command against it: within 1.5x. Each section ends with the targets, judged on the figures just printed:
5 M rows/s and within 3x of the raw count on Parquet (beside the two floors any verified audit pays:
checksums and decoding), under 1 GB of memory, CSV.gz within 1.2x of decompression, and 100 M rows in
under 25 s when the inventory has that many.

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
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# DuckDB-free (a test pins it): this parent stays small, so each child's reported peak is its own.
from governance.audit.limits import thresholds_for  # noqa: E402
from governance.audit.sql import COLUMNS, Thresholds  # noqa: E402
from lifecycle.legal import Purpose  # noqa: E402
from lifecycle.loader import load_policy_file  # noqa: E402

AS_OF = datetime(2025, 6, 1)
"""The audit date of every measurement (``--as-of 2025-06-01``): the generator's rows end there."""


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


def plain_source(files: list[Path]) -> str:
    """The inventory's files as DuckDB reads them without help: Parquet as written, CSV.gz typed by DuckDB."""
    listing = ", ".join(f"'{p}'" for p in files)
    if files[0].suffix == ".parquet":
        return f"read_parquet([{listing}])"
    columns = {"bucket": "VARCHAR", "key": "VARCHAR", "version_id": "VARCHAR", "is_latest": "BOOLEAN",
               "is_delete_marker": "BOOLEAN", "size": "BIGINT", "last_modified_date": "TIMESTAMPTZ",
               "e_tag": "VARCHAR", "storage_class": "VARCHAR", "is_multipart_uploaded": "BOOLEAN",
               "encryption_status": "VARCHAR", "object_lock_retain_until_date": "TIMESTAMPTZ",
               "object_lock_mode": "VARCHAR", "object_lock_legal_hold_status": "VARCHAR"}
    return f"read_csv([{listing}], columns = {columns}, header = false, auto_detect = false)"


def floor_sql(files: list[Path], t: Thresholds) -> str:
    """The object findings of a recgov-layout bucket as one would write them by hand, and as fast: each row's
    conditions once (the key's regular expressions are most of the cost: evaluated in every FILTER they would
    count several times), lock spans in epoch seconds (subtracting timestamps into intervals costs more than
    the rest of the query), then one count and the ``sample`` smallest keys per finding, over the files as
    DuckDB reads them (no view, no register, no age histogram, no checksum). ``min(key, n)`` keeps rows, not
    distinct keys: on the generated inventories no key has two versions in one finding, which
    :func:`compare_floor` verifies against the report."""
    cutoff = f"TIMESTAMPTZ '{t.age_cutoff:%Y-%m-%d %H:%M:%S}+00'"
    locked = "epoch(object_lock_retain_until_date) - epoch(last_modified_date)"
    derived = " OR ".join(f"(starts_with(key, '{prefix}') AND regexp_matches(key, '{pattern}'))"
                          for prefix, pattern in t.derived) or "false"
    conditions = {
        "version": "NOT coalesce(is_delete_marker, false)",
        "old": f"coalesce(last_modified_date < {cutoff}, false)",
        "held": "coalesce(upper(object_lock_legal_hold_status) = 'ON', false)",
        "beyond_retention": f"coalesce({locked} > {t.lock_limit_days * 86400}, false)",
        "beyond_legal": f"coalesce({locked} > {t.legal_max_days * 86400}, false)",
        "compliance": "coalesce(upper(object_lock_mode) = 'COMPLIANCE', false)",
        "not_kms": "coalesce(encryption_status, '') NOT IN ('SSE-KMS', 'DSSE-KMS')",
        "bad_key": f"NOT regexp_matches(key, '{t.key_pattern}') AND NOT ({derived})",
    }
    findings = {
        "versions": "version",
        "delete_markers": "NOT version",
        "aged_versions": "version AND old AND NOT held",
        "aged_markers": "NOT version AND old",
        "lock_beyond_retention": "version AND beyond_retention AND NOT beyond_legal",
        "lock_beyond_legal": "version AND beyond_legal",
        "lock_beyond_legal_compliance": "version AND beyond_legal AND compliance",
        "legal_holds": "version AND held",
        "not_kms": "version AND not_kms",
        "bad_keys": "bad_key",
    }
    keyed = ("aged_versions", "aged_markers", "lock_beyond_retention", "lock_beyond_legal", "not_kms", "bad_keys")
    items = [f"count_if({c}) AS {n}" for n, c in findings.items()]
    items += [f"min(key, {t.sample}) FILTER (WHERE {findings[n]}) AS {n}_keys" for n in keyed]
    row = ", ".join(f"{c} AS {n}" for n, c in conditions.items())
    return f"SELECT {', '.join(items)}\nFROM (SELECT key, {row} FROM {plain_source(files)})"


def query_argv(query: str) -> list[str]:
    """A hand-written query in a child of its own, printing its one row as JSON."""
    code = ("import duckdb, json, sys; con = duckdb.connect(); con.execute(\"SET TimeZone = 'UTC'\"); "
            "con.execute('SET enable_progress_bar = false'); "
            "cur = con.execute(sys.argv[1]); names = [d[0] for d in cur.description]; "
            "print(json.dumps(dict(zip(names, cur.fetchone()))))")
    return [PYTHON, "-c", code, query]


def floor_argv(files: list[Path], t: Thresholds) -> list[str]:
    """The hand-written query in a child of its own, printing its findings as JSON."""
    return query_argv(floor_sql(files, t))


REPORTED = {"RG-OBJ-AGE": "aged_versions", "RG-OBJ-MARKER-AGE": "aged_markers",
            "RG-OBJ-LOCK-RETENTION": "lock_beyond_retention", "RG-OBJ-LOCK-LEGAL-MAX": "lock_beyond_legal",
            "RG-OBJ-KMS": "not_kms", "RG-OBJ-KEY-NAME": "bad_keys", "RG-OBJ-LEGAL-HOLD": "legal_holds",
            "RG-OBJ-DERIVED-ORPHAN": "orphans"}
"""The report's checks whose count (and first keys) a hand-written query computes; each is compared when
the query names it (:func:`floor_sql` leaves orphans to ``bench/derived_audit.py``)."""


def compare_floor(manifest: Path, files: list[Path], t: Thresholds, query: str | None = None) -> str:
    """Whether the hand-written query (:func:`floor_sql` unless ``query`` is given) finds what
    ``recgov audit-objects`` reports (one run of each, untimed)."""
    argv = floor_argv(files, t) if query is None else query_argv(query)
    floor = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run([*audit_argv(manifest)[:-1], str(out)], cwd=ROOT, capture_output=True, check=False)
        report = json.loads(out.read_text())
    differences = []
    for result in report["results"]:
        name = REPORTED.get(result["check"])
        if name is None or name not in floor:
            continue
        observed = result["observed"]
        if observed["count"] != floor[name] or observed.get("first_keys", floor.get(f"{name}_keys") or []) != (
                floor.get(f"{name}_keys") or []):
            differences.append(result["check"])
        if name == "lock_beyond_legal" and observed["compliance_mode"] != floor["lock_beyond_legal_compliance"]:
            differences.append(f"{result['check']} (COMPLIANCE)")
        if name == "orphans" and observed["derived_objects"] != floor["derived_objects"]:
            differences.append(f"{result['check']} (derived objects)")
    return "the same findings" if not differences else f"DIFFERENT findings: {', '.join(differences)}"


def floor_target(floor: Measure, audit: Measure) -> str:
    """recgov's command against the hand-written query over the same files, wall and CPU."""
    ratio = audit.seconds / floor.seconds
    return verdict(f"within {FLOOR_RATIO}x of the hand-written query", f"{ratio:.2f}x wall, "
                   f"{audit.cpu_seconds / floor.cpu_seconds:.2f}x CPU", ratio <= FLOOR_RATIO)


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
FLOOR_RATIO = 1.5


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
    t = thresholds_for(load_policy_file(None), Purpose.QUALITY, AS_OF)
    print(f"cores: {cores}; python {sys.version.split()[0]}; median of {args.repeat} run(s) each")
    if args.parquet:
        files = data_files(args.parquet)
        rows = count_rows(files)
        size = sum(p.stat().st_size for p in files) / 1e6
        print(f"\nParquet: {rows:,} rows in {len(files)} files ({size:,.0f} MB)")
        print(f"hand-written query and recgov audit-objects: {compare_floor(args.parquet, files, t)}")
        measures = measure_rounds([
            ("raw DuckDB count(key), same files", raw_count_argv(files)),
            ("DuckDB decoding the audited columns", read_columns_argv(files)),
            (f"md5sum, {cores} processes", md5_argv(files, cores)),
            ("hand-written DuckDB query, same findings", floor_argv(files, t)),
            ("recgov audit-objects (MD5 + all checks)", audit_argv(args.parquet)),
        ], args.repeat)
        report(rows, measures, measures[0])
        count, decoding, md5, floor, audit = measures
        print("\n".join([*parquet_targets(rows, count, decoding, md5, audit), floor_target(floor, audit)]))
    if args.csv:
        files = data_files(args.csv)
        rows = count_rows(files)
        size = sum(p.stat().st_size for p in files) / 1e6
        print(f"\nCSV.gz: {rows:,} rows in {len(files)} files ({size:,.0f} MB)")
        print(f"hand-written query and recgov audit-objects: {compare_floor(args.csv, files, t)}")
        measures = measure_rounds([
            ("gzip -dc, one process", gunzip_argv(files, 1)),
            (f"gzip -dc, {cores} processes", gunzip_argv(files, cores)),
            (f"ISA-L inflate, {cores} threads", isal_gunzip_argv(files, cores)),
            ("DuckDB gzip reader, lines only", duckdb_gunzip_argv(files)),
            ("hand-written DuckDB query, same findings", floor_argv(files, t)),
            ("recgov audit-objects (MD5 + all checks)", audit_argv(args.csv)),
        ], args.repeat)
        report(rows, measures, measures[1])
        print("\n".join([*csv_targets(rows, measures[1], measures[-1]), floor_target(measures[-2], measures[-1])]))


if __name__ == "__main__":
    main()
