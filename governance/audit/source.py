"""The inventory as a DuckDB view with AWS's snake_case columns and typed values.

CSV inventories carry text (URL-encoded keys, ``true``/``false``, ISO 8601 timestamps); Parquet ones
carry types (timestamps in milliseconds). The view gives the shared audit SQL one shape either way,
and the files stream through it: nothing is loaded whole, and only the columns a query names are
decoded.

Parquet files are read by DuckDB. CSV.gz files are decompressed by ISA-L and parsed by Arrow's CSV
reader, which DuckDB scans as a stream: the files are read in parallel with a bounded read-ahead,
booleans and timestamps are typed as they are parsed: less work a row than DuckDB's own CSV reader
(figures in docs/performance.md).

Timestamps become plain UTC ``TIMESTAMP`` values by their integer microseconds since the epoch
(:data:`UTC_WALL_CLOCK`): the same value ``CAST(… AS TIMESTAMP)`` gives in a UTC session, without
the time-zone conversion that cast performs on every row (several times the cost of the whole scan).
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from governance.audit.errors import ManifestError, UnsupportedFormatError
from governance.audit.files import Inventory
from governance.audit.sql import BOOLEANS, COLUMNS, TIMESTAMPS, literal, sql_type

VIEW = "inventory"
UTC_WALL_CLOCK = "make_timestamp(epoch_us({}))"
"""A ``TIMESTAMP WITH TIME ZONE`` as the UTC ``TIMESTAMP`` of the same instant, by integer arithmetic."""


def connect(memory_limit: str = "768MB", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC whose memory stays bounded whatever the inventory's size."""
    con = duckdb.connect(config={"memory_limit": memory_limit})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # a terminal's progress bar would mix into the report
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _file_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(literal(str(p)) for p in paths) + "]"


CSV_TRUE = ("true", "True", "TRUE")
CSV_FALSE = ("false", "False", "FALSE")
"""Boolean spellings a CSV inventory may use; any other value makes the file unreadable, not false."""
CSV_BLOCK_BYTES = 1 << 20
"""Arrow parses CSV in blocks of 1 MiB: small blocks keep the read-ahead's memory low."""
EMPTY_PROBE_BYTES = 64 << 10
"""A CSV.gz file this small may hold no line (gzip of nothing is 20 bytes); larger ones always hold some."""


def has_lines(path: Path) -> bool:
    """Whether a CSV.gz data file holds anything but blank lines (Arrow refuses a file that does not).

    A file that does not decompress is said to have lines: the reader then reports it as unreadable.
    """
    if path.stat().st_size > EMPTY_PROBE_BYTES:
        return True
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(1 << 16):
                if chunk.strip():
                    return True
    except (OSError, EOFError, zlib.error):
        return True
    return False


def _csv_stream(inv: Inventory, paths: Sequence[Path], threads: int | None) -> Any:
    """The CSV.gz files as a re-scannable Arrow stream, every field text except the audit's booleans and
    timestamps (see :class:`governance.audit.gunzip.CsvStream`).

    Empty booleans and timestamps are null; text fields keep ``''`` (the view makes it null, except
    in the key). Batches are read ahead a bounded number, so memory does not grow with rows.
    """
    # Imported here: loading Arrow costs a tenth of a second that a Parquet audit need not pay.
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from governance.audit.gunzip import CsvStream

    fields = inv.manifest.fields
    schema = pa.schema([(f, pa.bool_() if f in BOOLEANS else pa.timestamp("us", tz="UTC") if f in TIMESTAMPS
                         else pa.string()) for f in fields])
    return CsvStream(
        tuple(paths), schema,
        read_options=pa_csv.ReadOptions(column_names=list(fields), block_size=CSV_BLOCK_BYTES),
        parse_options=pa_csv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, escape_char=False),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema, null_values=[""], strings_can_be_null=False,
            true_values=list(CSV_TRUE), false_values=list(CSV_FALSE),
        ),
        workers=threads or os.cpu_count() or 2,
    )


def _threads(con: duckdb.DuckDBPyConnection) -> int | None:
    rows = con.execute("SELECT current_setting('threads')").fetchall()
    return int(rows[0][0]) if rows else None


def _csv_select(con: duckdb.DuckDBPyConnection, inv: Inventory, paths: Sequence[Path], name: str) -> str:
    files = f"{name}_csv_files"
    con.register(files, _csv_stream(inv, paths, _threads(con)))
    exprs = []
    for column in COLUMNS:
        if column not in inv.manifest.fields:
            continue
        if column == "key":
            # Keys are URL-encoded form style: '+' is a space and a literal '+' is '%2B'. Most keys
            # have neither, and decoding them anyway cost more than the rest of the row's checks.
            exprs.append("CASE WHEN contains(key, '%') OR contains(key, '+') "
                         "THEN url_decode(replace(key, '+', ' ')) ELSE key END AS key")
        elif column in BOOLEANS:
            exprs.append(column)
        elif column in TIMESTAMPS:
            exprs.append(f"{UTC_WALL_CLOCK.format(column)} AS {column}")
        else:
            exprs.append(f"nullif({column}, '') AS {column}")
    return f"SELECT {', '.join(exprs)} FROM {files}"


def _parquet_select(con: duckdb.DuckDBPyConnection, inv: Inventory) -> str:
    source = f"read_parquet({_file_list(inv.paths)}, union_by_name = true)"
    try:
        types = {row[0]: str(row[1]).upper() for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    except duckdb.Error as exc:
        raise ManifestError(f"{inv.manifest.location}: a Parquet data file cannot be read ({exc}).") from None
    exprs = []
    for name in COLUMNS:
        kind = types.get(name)
        if kind is None:
            continue
        if name in TIMESTAMPS and kind in {"BIGINT", "INTEGER"}:
            exprs.append(f"epoch_ms({name}) AS {name}")  # timestamps written as plain milliseconds
        elif name in TIMESTAMPS and "TIME ZONE" in kind:
            exprs.append(f"{UTC_WALL_CLOCK.format(name)} AS {name}")  # AWS writes TIMESTAMP(MILLIS, true)
        else:
            exprs.append(name)
    return f"SELECT {', '.join(exprs)} FROM {source}"


def create_view(con: duckdb.DuckDBPyConnection, inv: Inventory, name: str = VIEW) -> tuple[str, ...]:
    """Create the view ``name`` over the inventory's files; returns the audit columns it has."""
    fmt = inv.manifest.file_format
    if fmt == "ORC":
        raise UnsupportedFormatError(
            f"{inv.manifest.location}: ORC inventories cannot be read here (DuckDB has no built-in ORC "
            "reader); configure the inventory as Parquet or CSV, or use --engine athena."
        )
    paths = [p for p in inv.paths if has_lines(p)] if fmt == "CSV" else list(inv.paths)
    if not paths:
        # No data files (an empty bucket): an empty view of the right shape, so every check passes on
        # zero rows rather than failing to parse.
        cols = ", ".join(f"CAST(NULL AS {sql_type(c)}) AS {c}" for c in COLUMNS if c in inv.manifest.fields)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {cols} WHERE false")
    else:
        select = _csv_select(con, inv, paths, name) if fmt == "CSV" else _parquet_select(con, inv)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
    return tuple(row[0] for row in con.execute(f"DESCRIBE {name}").fetchall())
