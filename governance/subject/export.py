"""Export a caller's recordings (GDPR Art. 15(3)): streamed to disk, re-read and checked, with a manifest.

Only current versions are exported: the copy is of the personal data as it is processed now (the
noncurrent versions and delete markers are listed by ``find``). Each object is streamed in chunks
into its file while its SHA-256 is computed, so no recording is held whole in memory; the file is
then read back and must give the same digest and the size S3 announced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance.subject.find import error_code
from governance.subject.stored import StoredVersion, iso
from lifecycle.policy import Policy

CHUNK = 1 << 20
MANIFEST = "manifest.json"


class ExportError(Exception):
    """An export could not be completed; one sentence."""


def exportable(versions: Sequence[StoredVersion]) -> list[StoredVersion]:
    """The current versions (no delete markers) of the call's objects."""
    return [v for v in versions if v.is_latest and not v.delete_marker]


def check_out_dir(out: Path) -> None:
    """Refuse an existing non-empty directory or a file: an export never mixes with other files."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"--out {out} already exists and is not an empty directory; give a new directory.")


def local_path(out: Path, v: StoredVersion) -> Path:
    """Where a version lands: ``files/<purpose>/<key>``, every key part kept inside the directory."""
    parts = [p if p not in ("", ".", "..") else "_" for p in v.key.split("/")]
    return out.joinpath("files", str(v.purpose), *parts)


def sha256_file(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and size, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class ExportedFile:
    """One exported object: where it is, its digest, and where it came from."""

    path: str
    sha256: str
    size: int
    version: StoredVersion
    legal_basis: str

    def as_dict(self) -> dict[str, Any]:
        """The manifest's entry."""
        v = self.version
        return {
            "path": self.path, "sha256": self.sha256, "size": self.size, "purpose": str(v.purpose),
            "legal_basis": self.legal_basis, "retention_end": iso(v.retention_end),
            "source": f"s3://{v.bucket}/{v.key}", "version_id": v.version_id, "call_id": v.call_id,
            "kind": str(v.kind), "recorded_at": iso(v.last_modified), "legal_hold": v.legal_hold,
        }


def download(s3: Any, v: StoredVersion, out: Path, legal_basis: str) -> ExportedFile:
    """Stream one version to disk, then read it back and check its digest and size."""
    target = local_path(out, v)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    try:
        response = s3.get_object(Bucket=v.bucket, Key=v.key, VersionId=v.version_id)
        announced = int(response.get("ContentLength", -1))
        with target.open("wb") as fh:
            for chunk in response["Body"].iter_chunks(CHUNK):
                digest.update(chunk)
                fh.write(chunk)
    except ClientError as err:
        raise ExportError(f"s3://{v.bucket}/{v.key} version {v.version_id} could not be read ({error_code(err)}); "
                          f"the {v.purpose} reader role is needed.") from None
    except BotoCoreError as err:
        raise ExportError(f"s3://{v.bucket}/{v.key} version {v.version_id} could not be read ({err}).") from None
    reread, size = sha256_file(target)
    if reread != digest.hexdigest() or size != announced:
        raise ExportError(f"{target} does not match what S3 sent (SHA-256 or size differ); run the export again.")
    return ExportedFile(str(target.relative_to(out)), reread, size, v, legal_basis)


def export(s3: Any, versions: Sequence[StoredVersion], policy: Policy, out: Path) -> list[ExportedFile]:
    """Download every version into ``out`` (checked new or empty by :func:`check_out_dir` first)."""
    out.mkdir(parents=True, exist_ok=True)
    files = [download(s3, v, out, policy[v.purpose].legal_basis) for v in versions]
    return files


def write_manifest(out: Path, files: Sequence[ExportedFile], header: dict[str, Any]) -> Path:
    """``manifest.json``: the request's header and one entry per file."""
    path = out / MANIFEST
    path.write_text(json.dumps(header | {"files": [f.as_dict() for f in files]}, indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")
    return path
