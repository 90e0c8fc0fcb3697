"""Local CSV.gz data files shown to Arrow already decompressed, by ISA-L instead of zlib.

Decompression is the largest single cost of a CSV audit: zlib, which Arrow uses for ``.gz``, spends
about three times the CPU of ISA-L's inflate on the same files (``bench/audit_objects.py`` measures
both). Arrow reads a dataset through a filesystem, so this read-only filesystem names each file
without its ``.gz`` suffix (Arrow then does not decompress it again) and opens it through
``isal.igzip``, which releases the GIL while it inflates: Arrow's I/O threads decompress in parallel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.fs as pa_fs
from isal import igzip


def shown_name(path: Path, index: int) -> str:
    """The name Arrow sees for a data file: its own, without ``.gz``, under its place in the files read."""
    return f"{index:05d}/{path.name.removesuffix('.gz')}"


class GunzipFiles(pa_fs.FileSystemHandler):
    """A read-only Arrow filesystem of a fixed set of gzip files, each read decompressed."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self.files = dict(files)

    def _refuse(self, *_: Any) -> NoReturn:
        raise OSError("the inventory's data files are read-only")

    def get_type_name(self) -> str:
        return "recgov-gunzip"

    def equals(self, other: Any) -> bool:
        return isinstance(other, GunzipFiles) and other.files == self.files

    def normalize_path(self, path: str) -> str:
        return path

    def get_file_info(self, paths: Sequence[str]) -> list[pa_fs.FileInfo]:
        return [pa_fs.FileInfo(p, pa_fs.FileType.File if p in self.files else pa_fs.FileType.NotFound)
                for p in paths]

    def get_file_info_selector(self, selector: pa_fs.FileSelector) -> list[pa_fs.FileInfo]:
        return self.get_file_info(sorted(self.files))

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return pa.PythonFile(igzip.open(self.files[path], "rb"), mode="r")

    def open_input_file(self, path: str) -> pa.NativeFile:
        return self.open_input_stream(path)

    create_dir = delete_dir = delete_dir_contents = delete_root_dir_contents = _refuse
    delete_file = move = copy_file = open_output_stream = open_append_stream = _refuse


def gunzip_filesystem(paths: Sequence[Path]) -> tuple[pa_fs.PyFileSystem, list[str]]:
    """An Arrow filesystem holding ``paths`` decompressed, and the names to read them by (in order)."""
    files = {shown_name(p, i): p for i, p in enumerate(paths)}
    return pa_fs.PyFileSystem(GunzipFiles(files)), list(files)


def real_name(shown: str, paths: Sequence[Path]) -> str:
    """The data file's own name for a name Arrow reported (in an error), or that name if none matches."""
    name = Path(shown).name
    return next((p.name for p in paths if p.name.removesuffix(".gz") == name), name)
