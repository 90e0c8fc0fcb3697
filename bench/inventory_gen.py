"""Generate a large S3 Inventory in AWS's layout for the object-audit benchmark (not a test).

    python bench/inventory_gen.py --out /tmp/inv                # 10 M rows, Parquet and CSV.gz
    python bench/inventory_gen.py --out /tmp/inv --huge         # 100 M rows
    python bench/inventory_gen.py --out /tmp/inv --rows 2000000 --format parquet

Rows are generated and written by DuckDB (never held in Python): versions spread over 200 days
before 2025-06-01, so about half are older than quality's 90-day limit, with a sprinkling of every
violation the audit looks for (delete markers, SSE-S3 objects, bad keys, long COMPLIANCE locks,
legal holds). Prints the manifest paths.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from governance.audit.layout import CSV_FIELDS, PARQUET_SCHEMA, config_dir, write_manifest
from lifecycle.render import INVENTORY_ID, INVENTORY_PREFIX

SOURCE = "recgov-bench-quality"
DESTINATION = "recgov-bench-access-logs"
AS_OF_EPOCH = 1748736000  # 2025-06-01T00:00:00Z
SPREAD_SECONDS = 200 * 86400
DELIVERED = datetime(2025, 6, 1, 1, 0, tzinfo=UTC)


def rows_sql(start: int, stop: int) -> str:
    """One file's rows, typed as in AWS's Parquet inventories (timestamps in milliseconds)."""
    return f"""
    WITH base AS (
      SELECT i, CAST(to_timestamp({AS_OF_EPOCH} - ((i * 7919) % {SPREAD_SECONDS})) AS TIMESTAMP) AS modified
      FROM range({start}, {stop}) t(i)
    )
    SELECT
      '{SOURCE}' AS bucket,
      CASE WHEN i % 997 = 0 THEN 'tmp/upload-' || i || '.wav'
           ELSE 'quality/' || strftime(modified, '%Y/%m/%d') || '/CALL-' || i || '.wav' END AS key,
      printf('%016x', hash(i)) AS version_id,
      i % 10 <> 0 AS is_latest,
      i % 50 = 0 AS is_delete_marker,
      CASE WHEN i % 50 = 0 THEN NULL ELSE 100000 + i % 900000 END AS size,
      CAST(modified AS TIMESTAMP_MS) AS last_modified_date,
      CASE WHEN i % 50 = 0 THEN NULL ELSE 'd41d8cd98f00b204e9800998ecf8427e' END AS e_tag,
      CASE WHEN i % 50 = 0 THEN NULL ELSE 'STANDARD' END AS storage_class,
      false AS is_multipart_uploaded,
      CASE WHEN i % 50 = 0 THEN NULL WHEN i % 1000 = 1 THEN 'SSE-S3' ELSE 'SSE-KMS' END AS encryption_status,
      CASE WHEN i % 50 = 0 THEN NULL
           ELSE CAST(modified + to_days(CASE WHEN i % 5003 = 0 THEN 400 ELSE 89 END) AS TIMESTAMP_MS) END
        AS object_lock_retain_until_date,
      CASE WHEN i % 50 = 0 THEN NULL WHEN i % 5003 = 0 THEN 'COMPLIANCE' ELSE 'GOVERNANCE' END AS object_lock_mode,
      CASE WHEN i % 50 = 0 THEN NULL WHEN i % 20011 = 0 THEN 'ON' ELSE 'OFF' END AS object_lock_legal_hold_status
    FROM base
    """


def csv_sql(start: int, stop: int) -> str:
    """The same rows as S3 Inventory's CSV text: ISO 8601 timestamps, empty strings for nulls."""
    return f"""
    SELECT bucket, key, version_id, CAST(is_latest AS VARCHAR), CAST(is_delete_marker AS VARCHAR),
      coalesce(CAST(size AS VARCHAR), ''), strftime(last_modified_date, '%Y-%m-%dT%H:%M:%S.000Z'),
      coalesce(e_tag, ''), coalesce(storage_class, ''), CAST(is_multipart_uploaded AS VARCHAR),
      coalesce(encryption_status, ''),
      coalesce(strftime(object_lock_retain_until_date, '%Y-%m-%dT%H:%M:%S.000Z'), ''),
      coalesce(object_lock_mode, ''), coalesce(object_lock_legal_hold_status, '')
    FROM ({rows_sql(start, stop)})
    """


def generate(out: Path, rows: int, per_file: int, fmt: str) -> Path:
    """Write one inventory (``fmt`` Parquet or CSV) of ``rows`` rows under ``out``; returns the manifest."""
    root = out / fmt.lower()
    data = config_dir(root, INVENTORY_PREFIX, SOURCE, INVENTORY_ID) / "data"
    data.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = []
    for n, start in enumerate(range(0, rows, per_file)):
        stop = min(rows, start + per_file)
        if fmt == "Parquet":
            path = data / f"part-{n:05d}.parquet"
            con.execute(f"COPY ({rows_sql(start, stop)}) TO '{path}' (FORMAT parquet, COMPRESSION snappy)")
        else:
            path = data / f"part-{n:05d}.csv.gz"
            con.execute(f"COPY ({csv_sql(start, stop)}) TO '{path}' "
                        "(FORMAT csv, HEADER false, FORCE_QUOTE *, COMPRESSION gzip)")
        files.append(path)
        print(f"  {path.name}: rows {start}-{stop}", file=sys.stderr)
    schema = PARQUET_SCHEMA if fmt == "Parquet" else ", ".join(CSV_FIELDS)
    return write_manifest(root, prefix=INVENTORY_PREFIX, source_bucket=SOURCE, config_id=INVENTORY_ID,
                          destination_bucket=DESTINATION, when=DELIVERED, file_format=fmt, file_schema=schema,
                          data_files=files)


def main() -> None:
    """Parse the flags and generate."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--huge", action="store_true", help="100 M rows")
    parser.add_argument("--rows-per-file", type=int, default=2_000_000)
    parser.add_argument("--format", choices=["parquet", "csv", "both"], default="both")
    args = parser.parse_args()
    rows = 100_000_000 if args.huge else args.rows
    for fmt in (["Parquet", "CSV"] if args.format == "both" else ["Parquet" if args.format == "parquet" else "CSV"]):
        print(generate(args.out, rows, args.rows_per_file, fmt))


if __name__ == "__main__":
    main()
