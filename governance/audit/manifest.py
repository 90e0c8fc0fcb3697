"""S3 Inventory manifests: parse ``manifest.json``, locate its data files, verify their MD5 first.

AWS writes ``manifest.json`` at ``<prefix>/<source-bucket>/<config-id>/<YYYY-MM-DDTHH-MMZ>/`` and the
data files under ``<prefix>/<source-bucket>/<config-id>/data/``; each file's ``key`` in the manifest is
its key in the destination bucket. A local copy keeps that layout, so a data file is found under the
ancestor directory of the manifest that plays the destination bucket's root.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance.audit.errors import ManifestError

FORMATS = ("CSV", "Parquet", "ORC")
REQUIRED_FIELDS = ("bucket", "key", "version_id", "is_latest", "is_delete_marker", "last_modified_date")
"""Without every version and its date the audit would miss the noncurrent bytes (DESIGN section 4)."""
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_PARQUET_FIELD = re.compile(r"\b(?:required|optional|repeated)\s+\w+\s+(\w+)")
_ORC_FIELD = re.compile(r"[<,]\s*(\w+)\s*:")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake_case(csv_field: str) -> str:
    """The Parquet/ORC name AWS gives a CSV field: ``LastModifiedDate`` -> ``last_modified_date``."""
    return _CAMEL.sub("_", csv_field.strip()).lower()


@dataclass(frozen=True)
class DataFile:
    """One data file the manifest lists."""

    key: str
    size: int
    md5: str


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says about one inventory of one source bucket."""

    location: str
    source_bucket: str
    destination_bucket: str
    file_format: str
    file_schema: str
    files: tuple[DataFile, ...]
    created_at: datetime | None

    @property
    def fields(self) -> tuple[str, ...]:
        """Field names in AWS's snake_case, in file order (the CSV column order for CSV files)."""
        if self.file_format == "CSV":
            return tuple(snake_case(f) for f in self.file_schema.split(",") if f.strip())
        pattern = _PARQUET_FIELD if self.file_format == "Parquet" else _ORC_FIELD
        return tuple(m.group(1).lower() for m in pattern.finditer(self.file_schema))

    @property
    def rows_hint(self) -> str:
        """The manifest's own description for messages: bucket, format and file count."""
        return f"s3://{self.source_bucket} ({self.file_format}, {len(self.files)} data files)"


def _require(doc: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    value = doc.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ManifestError(
            f"{where}: '{name}' is missing or not a {kind.__name__}; an S3 Inventory manifest has "
            "sourceBucket, fileFormat, fileSchema and files[] (key, size, MD5checksum)."
        )
    return value


def parse_manifest(text: str, location: str) -> Manifest:
    """Parse and validate a manifest's text; every defect raises ManifestError with one sentence."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{location}: not valid JSON ({exc.__class__.__name__}: {exc}).") from None
    if not isinstance(doc, dict):
        raise ManifestError(f"{location}: an S3 Inventory manifest is a JSON object, not {type(doc).__name__}.")
    source = _require(doc, "sourceBucket", str, location)
    fmt = _require(doc, "fileFormat", str, location)
    if fmt not in FORMATS:
        raise ManifestError(f"{location}: fileFormat {fmt!r} is not one of {', '.join(FORMATS)}.")
    schema = _require(doc, "fileSchema", str, location)
    files = []
    for i, entry in enumerate(_require(doc, "files", list, location)):
        where = f"{location}: files[{i}]"
        if not isinstance(entry, dict):
            raise ManifestError(f"{where} is not an object with key, size and MD5checksum.")
        key = _require(entry, "key", str, where)
        size = _require(entry, "size", int, where)
        md5 = _require(entry, "MD5checksum", str, where).lower()
        if not _MD5.match(md5):
            raise ManifestError(f"{where}: MD5checksum {md5!r} is not 32 hexadecimal digits.")
        files.append(DataFile(key, size, md5))
    created = None
    stamp = doc.get("creationTimestamp")
    if isinstance(stamp, str) and stamp.isdigit():
        created = datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)
    destination = doc.get("destinationBucket")
    destination = destination.split(":::")[-1] if isinstance(destination, str) else ""
    manifest = Manifest(location, source, destination, fmt, schema, tuple(files), created)
    missing = [f for f in REQUIRED_FIELDS if f not in manifest.fields]
    if missing:
        raise ManifestError(
            f"{location}: fileSchema lacks {', '.join(missing)}; the audit needs an inventory of all "
            "versions (IncludedObjectVersions=All) with LastModifiedDate."
        )
    return manifest


def read_local_manifest(path: Path) -> Manifest:
    """Read a manifest from disk (checking ``manifest.checksum`` beside it when AWS wrote one)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc.strerror or exc}).") from None
    checksum = path.with_name("manifest.checksum")
    if checksum.is_file():
        expected = checksum.read_text(encoding="ascii", errors="replace").strip().lower()
        if hashlib.md5(raw).hexdigest() != expected:
            raise ManifestError(
                f"{path}: the manifest's MD5 differs from {checksum.name}; it was altered or truncated."
            )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: the manifest is not UTF-8 text.") from None
    return parse_manifest(text, str(path))


def local_root(manifest: Manifest, manifest_path: Path) -> Path:
    """The directory that plays the destination bucket: the ancestor under which the files' keys exist."""
    if not manifest.files:
        return manifest_path.parent
    first = manifest.files[0].key
    # The data folder, not the file, identifies the root: a missing file is then reported as missing.
    for ancestor in manifest_path.resolve().parents:
        if (ancestor / first).parent.is_dir():
            return ancestor
    raise ManifestError(
        f"{manifest_path}: data file {first} is not under any parent directory of the manifest; keep "
        "the layout S3 Inventory writes (<prefix>/<source-bucket>/<config-id>/data/...)."
    )
