"""Where S3 Inventory puts things and what it writes, for generators of inventories in AWS's layout.

``<prefix>/<source-bucket>/<config-id>/<YYYY-MM-DDTHH-MMZ>/manifest.json`` (with ``manifest.checksum``)
and data files under ``<prefix>/<source-bucket>/<config-id>/data/``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

CSV_FIELDS = (
    "Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker", "Size", "LastModifiedDate", "ETag",
    "StorageClass", "IsMultipartUploaded", "EncryptionStatus", "ObjectLockRetainUntilDate",
    "ObjectLockMode", "ObjectLockLegalHoldStatus",
)
"""The fields of an all-versions inventory with the optional fields the Pulumi program configures."""

PARQUET_SCHEMA = (
    "message s3.inventory { required binary bucket (STRING); required binary key (STRING); "
    "optional binary version_id (STRING); optional boolean is_latest; optional boolean is_delete_marker; "
    "optional int64 size; optional int64 last_modified_date (TIMESTAMP(MILLIS,true)); "
    "optional binary e_tag (STRING); optional binary storage_class (STRING); "
    "optional boolean is_multipart_uploaded; optional binary encryption_status (STRING); "
    "optional int64 object_lock_retain_until_date (TIMESTAMP(MILLIS,true)); "
    "optional binary object_lock_mode (STRING); optional binary object_lock_legal_hold_status (STRING);}"
)


def config_dir(root: Path, prefix: str, source_bucket: str, config_id: str) -> Path:
    """``<root>/<prefix>/<source-bucket>/<config-id>``: the inventory configuration's folder."""
    return root / prefix / source_bucket / config_id


def timestamp_folder(when: datetime) -> str:
    """``2025-06-01T01-00Z``: the folder of one delivery."""
    return when.strftime("%Y-%m-%dT%H-%MZ")


def md5_file(path: Path) -> str:
    """Hex MD5 of a file, as the manifest's ``MD5checksum``."""
    digest = hashlib.md5()
    with path.open("rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(
    root: Path, *, prefix: str, source_bucket: str, config_id: str, destination_bucket: str,
    when: datetime, file_format: str, file_schema: str, data_files: Sequence[Path],
) -> Path:
    """Write ``manifest.json`` and ``manifest.checksum`` for data files already under ``root``."""
    folder = config_dir(root, prefix, source_bucket, config_id) / timestamp_folder(when)
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "sourceBucket": source_bucket,
        "destinationBucket": f"arn:aws:s3:::{destination_bucket}",
        "version": "2016-11-30",
        "creationTimestamp": str(int(when.timestamp() * 1000)),
        "fileFormat": file_format,
        "fileSchema": file_schema,
        "files": [
            {"key": p.relative_to(root).as_posix(), "size": p.stat().st_size, "MD5checksum": md5_file(p)}
            for p in data_files
        ],
    }
    path = folder / "manifest.json"
    text = json.dumps(doc, indent=2)
    path.write_text(text, encoding="utf-8")
    (folder / "manifest.checksum").write_text(hashlib.md5(text.encode()).hexdigest(), encoding="ascii")
    return path
