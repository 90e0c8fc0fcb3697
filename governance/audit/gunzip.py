"""Local CSV.gz data files decompressed by ISA-L, parsed by Arrow, and streamed to DuckDB as batches.

Decompression is the largest single cost of a CSV audit: zlib, which Arrow uses for ``.gz``, spends
about three times the CPU of ISA-L's inflate on the same files (``bench/audit_objects.py`` measures
both). Each worker thread opens one file at a time through ``isal.igzip`` (which releases the GIL
while it inflates) and parses it with Arrow's streaming CSV reader; the batches meet in a bounded
queue that DuckDB reads through the Arrow C stream interface.

Why not an Arrow dataset over a Python filesystem: starting a dataset scan (``ToRecordBatchReader``)
holds the GIL while Arrow's I/O threads, holding the scan's lock, wait for the GIL to read through
the Python file: under load the audit deadlocked. Here no Arrow lock is held across a Python call,
and every wait (queue, read, parse) releases the GIL.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
from isal import igzip

BATCHES_PER_WORKER = 2
"""Batches each worker may have parsed ahead of DuckDB: memory stays bounded whatever the rows."""


def shown_name(path: Path, index: int) -> str:
    """The name an error gives a data file: its own, without ``.gz``, under its place in the files read."""
    return f"{index:05d}/{path.name.removesuffix('.gz')}"


@dataclass(frozen=True)
class _Failed:
    name: str
    error: BaseException


_DONE = object()


@dataclass(frozen=True)
class CsvStream:
    """CSV.gz files as one Arrow stream, scannable again and again (each scan reads the files anew).

    DuckDB asks an object with ``__arrow_c_stream__`` for a fresh stream at every scan, so a view over
    it can be queried several times. Files are read by ``workers`` threads in parallel; batches come in
    no particular order (every finding is an aggregate). A file that does not parse ends the stream
    with ``ArrowInvalid("CSV input source '<name>': <reason>")``.
    """

    paths: tuple[Path, ...]
    schema: pa.Schema
    read_options: pa_csv.ReadOptions
    parse_options: pa_csv.ParseOptions
    convert_options: pa_csv.ConvertOptions
    workers: int = 2

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        reader = pa.RecordBatchReader.from_batches(self.schema, self.batches())
        return reader.__arrow_c_stream__(requested_schema)

    def _read(self, name: str, path: Path, out: queue.Queue[Any], stop: threading.Event) -> None:
        try:
            with igzip.open(path, "rb") as raw:
                reader = pa_csv.open_csv(pa.PythonFile(raw, mode="r"), read_options=self.read_options,
                                         parse_options=self.parse_options, convert_options=self.convert_options)
                for batch in reader:
                    if stop.is_set():
                        return
                    out.put(batch)
        except Exception as exc:  # reported by the consumer, with the file's name
            out.put(_Failed(name, exc))

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Every batch of every file; nothing is read before the first batch is asked for."""
        files = iter([(shown_name(p, i), p) for i, p in enumerate(self.paths)])
        lock = threading.Lock()
        workers = max(1, min(self.workers, len(self.paths)))
        out: queue.Queue[Any] = queue.Queue(maxsize=BATCHES_PER_WORKER * workers)
        stop = threading.Event()

        def work() -> None:
            while not stop.is_set():
                with lock:
                    item = next(files, None)
                if item is None:
                    break
                self._read(*item, out, stop)
            out.put(_DONE)

        threads = [threading.Thread(target=work, name=f"recgov-csv-{i}", daemon=True) for i in range(workers)]
        for thread in threads:
            thread.start()
        finished = 0
        try:
            while finished < workers:
                item = out.get()
                if item is _DONE:
                    finished += 1
                elif isinstance(item, _Failed):
                    raise pa.ArrowInvalid(f"CSV input source '{item.name}': {item.error}")
                else:
                    yield item
        finally:
            stop.set()
            while any(t.is_alive() for t in threads):  # let a worker blocked on a full queue finish
                with contextlib.suppress(queue.Empty):
                    out.get(timeout=0.05)


def real_name(shown: str, paths: Sequence[Path]) -> str:
    """The data file's own name for a name Arrow reported (in an error), or that name if none matches."""
    name = Path(shown).name
    return next((p.name for p in paths if p.name.removesuffix(".gz") == name), name)
