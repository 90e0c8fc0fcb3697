"""An inventory's data files on local disk, each verified against the manifest's MD5 before use.

A local manifest's files are read in place. An ``s3://`` manifest's files are streamed to a temporary
directory (hashed on the way) because DuckDB here has no S3 reader: its ``httpfs`` extension is not
bundled and would be downloaded from the internet. boto3 honours ``AWS_ENDPOINT_URL``.

Local files can be hashed while the audit reads them (``open_inventory(..., background=True)``):
existence and sizes are checked at once, the MD5s run in threads (hashlib releases the GIL), and
:meth:`Inventory.verified` must be called, and must return, before anything read from the files
is used. A mismatch then raises :class:`ChecksumError` exactly as if it had been found first.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.audit.errors import ChecksumError, ManifestError
from governance.audit.manifest import DataFile, Manifest, local_root, parse_manifest, read_local_manifest

CHUNK = 8 << 20
"""Downloads read 8 MiB at a time: large enough that hashlib releases the GIL, small in memory."""
HASH_CHUNK = 1 << 20
"""Local files are hashed 1 MiB at a time into one reused buffer per file (no allocation per read)."""


@dataclass(frozen=True)
class Inventory:
    """A manifest and the local paths of its data files, in manifest order.

    ``pending`` holds the MD5 verifications still running (background mode); the files are trusted
    only once :meth:`verified` has returned.
    """

    manifest: Manifest
    paths: tuple[Path, ...]
    pending: tuple[Future[Path], ...] = field(default=(), compare=False)

    def verified(self) -> None:
        """Wait for every checksum; the first mismatch in manifest order raises ChecksumError."""
        for check in self.pending:
            check.result()


def verify_workers() -> int:
    """Files hashed at once: one per core (MD5 is CPU-bound once the file is in the page cache)."""
    return max(2, os.cpu_count() or 2)


def _md5_of(path: Path) -> str:
    digest = hashlib.md5()
    buffer = bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as fh:
        while read := fh.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()


def _check_present(manifest: Manifest, entry: DataFile, path: Path) -> None:
    """The file exists with the manifest's size (cheap: no byte is read)."""
    if not path.is_file():
        raise ManifestError(f"{manifest.location}: data file {entry.key} listed in the manifest does not exist.")
    size = path.stat().st_size
    if size != entry.size:
        raise ChecksumError(
            f"{entry.key}: {size} bytes on disk, {entry.size} in the manifest; the file is not the one "
            "S3 Inventory wrote, so the inventory is not trusted."
        )


def _check_md5(entry: DataFile, path: Path) -> Path:
    actual = _md5_of(path)
    if actual != entry.md5:
        raise ChecksumError(
            f"{entry.key}: MD5 {actual} differs from the manifest's {entry.md5}; the file is not the one "
            "S3 Inventory wrote, so the inventory is not trusted."
        )
    return path


def _verify(manifest: Manifest, entry: DataFile, path: Path) -> Path:
    _check_present(manifest, entry, path)
    return _check_md5(entry, path)


def verify_local(manifest: Manifest, manifest_path: Path) -> Inventory:
    """Locate and verify every data file of a manifest read from disk."""
    root = local_root(manifest, manifest_path)
    with ThreadPoolExecutor(verify_workers()) as pool:
        paths = list(pool.map(lambda f: _verify(manifest, f, root / f.key), manifest.files))
    return Inventory(manifest, tuple(paths))


@contextmanager
def verifying_local(manifest: Manifest, manifest_path: Path) -> Iterator[Inventory]:
    """The inventory at once, its files' MD5s computed in the background (see :meth:`Inventory.verified`).

    Missing files and wrong sizes are refused before anything else; the hashing threads are
    cancelled or joined when the block ends, whatever happened in it.
    """
    root = local_root(manifest, manifest_path)
    paths = tuple(root / f.key for f in manifest.files)
    for entry, path in zip(manifest.files, paths, strict=True):
        _check_present(manifest, entry, path)
    # Largest first: the longest hashes start first and the threads finish together.
    order = sorted(range(len(paths)), key=lambda i: -manifest.files[i].size)
    with ThreadPoolExecutor(verify_workers(), thread_name_prefix="md5") as pool:
        started = {i: pool.submit(_check_md5, manifest.files[i], paths[i]) for i in order}
        try:
            yield Inventory(manifest, paths, tuple(started[i] for i in range(len(paths))))
        finally:
            for check in started.values():
                check.cancel()


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); anything else is a ManifestError."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not url.startswith("s3://") or not bucket or not key:
        raise ManifestError(f"{url}: an S3 location is written s3://BUCKET/KEY.")
    return bucket, key


def s3_client() -> Any:
    """An S3 client from the standard chain (``AWS_ENDPOINT_URL`` and region from the environment)."""
    import boto3

    return boto3.client("s3")


def _download(client: Any, bucket: str, manifest: Manifest, entry: DataFile, into: Path) -> Path:
    target = into / entry.key.replace("/", "_")
    digest = hashlib.md5()
    try:
        body = client.get_object(Bucket=bucket, Key=entry.key)["Body"]
        with target.open("wb") as out:
            for chunk in iter(lambda: body.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
    except client.exceptions.NoSuchKey:
        raise ManifestError(f"{manifest.location}: data file s3://{bucket}/{entry.key} does not exist.") from None
    if digest.hexdigest() != entry.md5:
        raise ChecksumError(
            f"s3://{bucket}/{entry.key}: MD5 {digest.hexdigest()} differs from the manifest's {entry.md5}; "
            "the inventory is not trusted."
        )
    return target


def read_s3_manifest(url: str, client: Any) -> Manifest:
    """Fetch and parse ``s3://bucket/.../manifest.json``."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = split_s3_url(url)
    try:
        raw = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as exc:
        raise ManifestError(f"{url}: cannot read the manifest ({exc}).") from None
    try:
        return parse_manifest(raw.decode("utf-8"), url)
    except UnicodeDecodeError:
        raise ManifestError(f"{url}: the manifest is not UTF-8 text.") from None


@contextmanager
def open_inventory(location: str, background: bool = False) -> Iterator[Inventory]:
    """The verified inventory at ``location`` (a local ``manifest.json`` or ``s3://…/manifest.json``).

    With ``background``, a local inventory's checksums are still running when it is yielded: the
    caller must call :meth:`Inventory.verified` before it uses anything read from the files.
    """
    if not location.startswith("s3://"):
        path = Path(location)
        if background:
            with verifying_local(read_local_manifest(path), path) as inv:
                yield inv
        else:
            yield verify_local(read_local_manifest(path), path)
        return
    from botocore.exceptions import BotoCoreError, ClientError

    client = s3_client()
    manifest = read_s3_manifest(location, client)
    bucket = manifest.destination_bucket or split_s3_url(location)[0]
    workdir = Path(tempfile.mkdtemp(prefix="recgov-inventory-"))
    try:
        try:
            with ThreadPoolExecutor(verify_workers()) as pool:
                paths = list(pool.map(lambda f: _download(client, bucket, manifest, f, workdir), manifest.files))
        except (ClientError, BotoCoreError) as exc:
            raise ManifestError(f"{location}: cannot read a data file ({exc}).") from None
        yield Inventory(manifest, tuple(paths))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
