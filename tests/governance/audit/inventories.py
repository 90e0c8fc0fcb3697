"""Inventories in AWS's exact layout, written from explicit rows, for the audit's tests."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus

import pyarrow as pa
import pyarrow.parquet as pq

from governance.audit.layout import CSV_FIELDS, PARQUET_SCHEMA, config_dir, write_manifest
from lifecycle.render import INVENTORY_ID, INVENTORY_PREFIX

DESTINATION = "recgov-dev-access-logs"
DELIVERED = datetime(2025, 6, 1, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    """One version or delete marker as S3 Inventory lists it."""

    key: str
    modified: datetime
    version_id: str = ""
    is_latest: bool = True
    delete_marker: bool = False
    encryption: str | None = "SSE-KMS"
    retain_until: datetime | None = None
    lock_mode: str | None = None
    legal_hold: str | None = "OFF"
    null_versioned: bool = False
    """Written while versioning was off: an all-versions inventory gives it an empty version id."""


def _version(row: Row, i: int) -> str:
    return "" if row.null_versioned else row.version_id or f"v{i:06d}"


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z" if value else ""


def _csv_bytes(bucket: str, rows: Sequence[tuple[int, Row]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for i, r in rows:
        writer.writerow([
            bucket, quote_plus(r.key, safe="/"), _version(r, i), str(r.is_latest).lower(),
            str(r.delete_marker).lower(), "" if r.delete_marker else "1024", _iso(r.modified),
            "" if r.delete_marker else "d41d8cd98f00b204e9800998ecf8427e", "" if r.delete_marker else "STANDARD",
            "false", "" if r.delete_marker else (r.encryption or "NOT-SSE"), _iso(r.retain_until),
            r.lock_mode or "", "" if r.delete_marker else (r.legal_hold or ""),
        ])
    return gzip.compress(out.getvalue().encode("utf-8"))


def _parquet_table(bucket: str, rows: Sequence[tuple[int, Row]]) -> pa.Table:
    ts = pa.timestamp("ms", tz="UTC")
    return pa.table({
        "bucket": pa.array([bucket] * len(rows), pa.string()),
        "key": pa.array([r.key for _, r in rows], pa.string()),
        "version_id": pa.array([_version(r, i) for i, r in rows], pa.string()),
        "is_latest": pa.array([r.is_latest for _, r in rows], pa.bool_()),
        "is_delete_marker": pa.array([r.delete_marker for _, r in rows], pa.bool_()),
        "size": pa.array([None if r.delete_marker else 1024 for _, r in rows], pa.int64()),
        "last_modified_date": pa.array([r.modified for _, r in rows], ts),
        "e_tag": pa.array([None if r.delete_marker else "d41d8cd98f00b204e9800998ecf8427e" for _, r in rows]),
        "storage_class": pa.array([None if r.delete_marker else "STANDARD" for _, r in rows], pa.string()),
        "is_multipart_uploaded": pa.array([False for _ in rows], pa.bool_()),
        "encryption_status": pa.array(
            [None if r.delete_marker else (r.encryption or "NOT-SSE") for _, r in rows], pa.string()
        ),
        "object_lock_retain_until_date": pa.array([r.retain_until for _, r in rows], ts),
        "object_lock_mode": pa.array([r.lock_mode for _, r in rows], pa.string()),
        "object_lock_legal_hold_status": pa.array(
            [None if r.delete_marker else r.legal_hold for _, r in rows], pa.string()
        ),
    })


def write_inventory(root: Path, bucket: str, rows: Sequence[Row], fmt: str = "Parquet", files: int = 2) -> Path:
    """Write ``rows`` as an all-versions inventory of ``bucket`` under ``root`` (the destination bucket);
    returns the manifest's path."""
    data = config_dir(root, INVENTORY_PREFIX, bucket, INVENTORY_ID) / "data"
    data.mkdir(parents=True, exist_ok=True)
    numbered = list(enumerate(rows))
    paths = []
    for n in range(files):
        chunk = numbered[n::files]
        if fmt == "CSV":
            path = data / f"{uuid.uuid4()}.csv.gz"
            path.write_bytes(_csv_bytes(bucket, chunk))
        else:
            path = data / f"{uuid.uuid4()}.parquet"
            pq.write_table(_parquet_table(bucket, chunk), path)
        paths.append(path)
    schema = ", ".join(CSV_FIELDS) if fmt == "CSV" else PARQUET_SCHEMA
    return write_manifest(
        root, prefix=INVENTORY_PREFIX, source_bucket=bucket, config_id=INVENTORY_ID,
        destination_bucket=DESTINATION, when=DELIVERED, file_format=fmt, file_schema=schema, data_files=paths,
    )


def rewrite_data_file(manifest: Path, change: Callable[[bytes], bytes]) -> None:
    """Rewrite the data file of a one-file inventory and give the manifest its new size and MD5, as if
    S3 Inventory had written the file that way (the checksum passes; the content is what is tested)."""
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    data = manifest.parents[1] / "data" / Path(doc["files"][0]["key"]).name
    raw = change(data.read_bytes())
    data.write_bytes(raw)
    doc["files"][0].update(size=len(raw), MD5checksum=hashlib.md5(raw).hexdigest())
    manifest.write_text(json.dumps(doc), encoding="utf-8")
