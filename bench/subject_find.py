"""Benchmark ``recgov subject find --inventory`` against a plain DuckDB filtered scan, in one run (not a test).

    python bench/inventory_gen.py --out /tmp/inv --rows 10000000
    python bench/subject_find.py --parquet /tmp/inv/parquet/.../manifest.json [--csv .../manifest.json] [--repeat 3]

For each inventory, two child processes are timed (median of ``--repeat`` rounds, fastest and slowest
shown): the real command finding one call's versions (every data file's MD5 verified, the inventory
view, the exact match by the key layout, the JSON output), and the reference: DuckDB selecting the
same columns of the rows whose key contains the call id, straight from the same files, with no
checksum and no matching. The ratio is the command's time over the reference's; the target is 1.5x.
``md5sum`` of the same files is shown beside them: the verification the command does and the
reference does not; the last line compares CPU times, and gives the scan plus the hashing alone as a
multiple of the scan (no search that verifies every byte goes below it on busy cores).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.audit_objects import PYTHON, count_rows, data_files, md5_argv, measure_rounds  # noqa: E402
from governance.audit.layout import CSV_FIELDS  # noqa: E402
from governance.audit.manifest import snake_case  # noqa: E402

TARGET = 1.5
CALL = "CALL-1234567"
"""A call of the generated inventories (``quality/YYYY/MM/DD/CALL-<i>.wav``)."""


def find_argv(manifest: Path) -> list[str]:
    """The command measured: the real CLI, output rendered and discarded."""
    return [PYTHON, "-c", "from governance.cli import main; main()", "subject", "find", "--call-id", CALL,
            "--inventory", str(manifest), "--purpose", "quality", "--format", "json", "--output", os.devnull]


def reference_argv(files: list[Path]) -> list[str]:
    """A plain filtered scan of the same files: the rows whose key contains the call id."""
    listing = ", ".join(f"'{p}'" for p in files)
    columns = "key, version_id, is_latest, is_delete_marker, last_modified_date, object_lock_mode, " \
              "object_lock_retain_until_date, object_lock_legal_hold_status"
    if files[0].suffix == ".parquet":
        source = f"read_parquet([{listing}])"
    else:
        names = [snake_case(f) for f in CSV_FIELDS]
        source = f"read_csv([{listing}], header=false, names={names!r}, all_varchar=true)"
    query = f"SELECT {columns} FROM {source} WHERE contains(key, '{CALL}')"
    code = f"import duckdb; print(duckdb.execute({query!r}).fetchall())"
    return [PYTHON, "-c", code]


def main() -> None:
    """Measure and print the ratio per inventory format."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parquet", type=Path)
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for label, manifest in (("Parquet", args.parquet), ("CSV.gz", args.csv)):
        if manifest is None:
            continue
        files = data_files(manifest)
        rows = count_rows(files)  # also brings the files into the page cache
        find, ref, md5 = measure_rounds([("subject find", find_argv(manifest)),
                                         ("DuckDB filtered scan", reference_argv(files)),
                                         ("md5sum, one per core", md5_argv(files, os.cpu_count() or 2))],
                                        args.repeat)
        print(f"{label}: {rows:,} rows in {len(files)} files, call {CALL}")
        for m in (find, ref, md5):
            print(f"  {m.label:<22} {m.seconds:7.2f} s (fastest {m.fastest:.2f}, slowest {m.slowest:.2f})  "
                  f"cpu {m.cpu_seconds:6.2f} s  peak {m.peak_mb:6.0f} MB")
        ratio = find.seconds / ref.seconds
        print(f"  ratio {ratio:.2f}x (target {TARGET}x): {'met' if ratio <= TARGET else 'NOT met'}")
        # When the cores are busy, a search that hashes every byte costs at least the scan plus the hashing.
        floor = (ref.cpu_seconds + md5.cpu_seconds) / ref.cpu_seconds
        print(f"  CPU: find {find.cpu_seconds / ref.cpu_seconds:.2f}x the scan's; scan + MD5 alone {floor:.2f}x")


if __name__ == "__main__":
    main()
