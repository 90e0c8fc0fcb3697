"""Athena and Glue as the audit's tests see them, run by DuckDB.

Athena's client is replaced by one that runs each statement it is sent, as sent, in DuckDB over a view
of the table's shape (the inventory's columns typed as a DDL of the S3 user guide declares them, the
``dt`` partition and the ``"$path"`` pseudo-column), and answers in Athena's result format: every value
as text, a header row first, pages joined by NextToken. Glue's ``GetTable`` answers with the same
typing. The Trino functions the SQL uses that DuckDB lacks are DuckDB macros with the same meaning.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from botocore.exceptions import ClientError

from governance.audit.athena import AthenaTarget
from governance.audit.sql import BOOLEANS, TIMESTAMPS
from tests.governance.audit.inventories import DESTINATION

TARGET = AthenaTarget("inventories", "recgov_quality", "recgov", "s3://results/athena/")
DT = "2025-06-01-01-00"
"""The partition of the test inventories' delivery (their manifest's folder is ``2025-06-01T01-00Z``)."""
OTHER_DT = "2025-05-31-01-00"

PARQUET_CURRENT = "parquet-current"
"""The user guide's Parquet/ORC DDL today: ``last_modified_date timestamp``, retain-until ``bigint``."""
PARQUET_OLDER = "parquet-older"
"""Its earlier Parquet/ORC DDL: both dates ``bigint`` (epoch milliseconds)."""
CSV_STRINGS = "csv-all-string"
"""Its CSV DDL: every column ``string`` (keys URL-encoded, ISO 8601 dates, ``true``/``false``)."""
TYPINGS = (PARQUET_CURRENT, PARQUET_OLDER, CSV_STRINGS)


def declared_type(typing: str, column: str) -> str:
    """The Hive type the typing's DDL declares for an inventory column."""
    if typing == CSV_STRINGS:
        return "string"
    if column in TIMESTAMPS:
        return "timestamp" if typing == PARQUET_CURRENT and column == "last_modified_date" else "bigint"
    if column in BOOLEANS or column == "is_multipart_uploaded":
        return "boolean"
    return "bigint" if column == "size" else "string"


def _as_declared(typing: str, column: str) -> str:
    """DuckDB's reading of an AWS Parquet column as the DDL declares it (Athena's Parquet reader does so)."""
    kind = declared_type(typing, column)
    if column in TIMESTAMPS:
        # AWS writes TIMESTAMP(MILLIS, true): a timestamp column reads its UTC time, a bigint its milliseconds.
        return f"CAST({column} AS TIMESTAMP) AS {column}" if kind == "timestamp" else f"epoch_ms({column}) AS {column}"
    return column


class FakeGlue:
    """Glue's GetTable for the one inventory table, with the typing's columns and AWS's ``dt`` partition."""

    def __init__(self, columns: Mapping[str, str], partitions: Sequence[str] = ("dt",), missing: bool = False) -> None:
        self.columns, self.partitions, self.missing = dict(columns), tuple(partitions), missing
        self.calls: list[dict[str, str]] = []

    def get_table(self, **kwargs: str) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.missing:
            raise ClientError({"Error": {"Code": "EntityNotFoundException",
                                         "Message": f"Table {kwargs['Name']} not found."}}, "GetTable")
        return {"Table": {"Name": kwargs["Name"], "DatabaseName": kwargs["DatabaseName"],
                          "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in self.columns.items()]},
                          "PartitionKeys": [{"Name": p, "Type": "string"} for p in self.partitions]}}


class DuckAthena:
    """An Athena client whose engine is DuckDB: same SQL text in, Athena's result shape out."""

    def __init__(self, con: duckdb.DuckDBPyConnection, page_size: int = 2, fail: bool = False) -> None:
        self.con, self.page_size, self.fail = con, page_size, fail
        self.queries: list[dict[str, Any]] = []
        self._results: dict[str, tuple[list[str], list[list[str | None]]]] = {}
        self._ids = itertools.count()

    @property
    def statements(self) -> list[str]:
        """Every QueryString sent, in order."""
        return [q["QueryString"] for q in self.queries]

    def start_query_execution(self, **kwargs: Any) -> dict[str, str]:
        self.queries.append(kwargs)
        qid = f"q{next(self._ids)}"
        if not self.fail:
            cur = self.con.execute(kwargs["QueryString"])
            names = [d[0] for d in cur.description or ()]
            self._results[qid] = (names, [[self._text(v) for v in row] for row in cur.fetchall()])
        return {"QueryExecutionId": qid}

    @staticmethod
    def _text(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]  # Athena prints a TIMESTAMP so
        return str(value)

    def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        state = "FAILED" if self.fail else "SUCCEEDED"
        return {"QueryExecution": {"Status": {"State": state, "StateChangeReason": "SYNTAX_ERROR"}}}

    def get_query_results(self, QueryExecutionId: str, NextToken: str | None = None) -> dict[str, Any]:  # noqa: N803
        names, rows = self._results[QueryExecutionId]
        rows = [names, *rows]  # Athena repeats the header as the first row of the first page
        start = int(NextToken or 0)
        page = rows[start:start + self.page_size]
        answer: dict[str, Any] = {"ResultSet": {
            "ResultSetMetadata": {"ColumnInfo": [{"Name": n} for n in names]},
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in page],
        }}
        if start + self.page_size < len(rows):
            answer["NextToken"] = str(start + self.page_size)
        return answer


def trino_connection() -> duckdb.DuckDBPyConnection:
    """DuckDB in UTC (Athena's session zone) with the Trino functions the audit SQL names."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)")  # Trino: partial match, as DuckDB's
    con.execute("CREATE MACRO json_format(j) AS CAST(j AS VARCHAR)")  # Trino: JSON value -> its text
    con.execute("CREATE MACRO to_unixtime(t) AS epoch(t)")  # Trino: seconds since the epoch, a double
    con.execute("CREATE MACRO bitwise_and(x, y) AS (x & y)")  # Trino: the bits both integers have
    # Trino: the instant round(s * 1000) milliseconds after the epoch, in zone z (the SQL asks for 'UTC').
    con.execute("CREATE MACRO from_unixtime(s, z) AS make_timestamp(CAST(round(s * 1000) AS BIGINT) * 1000)")
    con.execute("CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)")  # Trino: ISO 8601 text
    con.execute(f"CREATE SCHEMA {TARGET.database}")
    return con


def athena_table(root: Path, partitions: Mapping[str, Sequence[Path]], fields: Sequence[str],
                 typing: str, materialize: bool = False) -> duckdb.DuckDBPyConnection:
    """The inventory table of AWS's DDL for ``typing``: each partition's data files, read as declared
    (once, into memory, with ``materialize``: thousands of files are then not reopened by every statement)."""
    con = trino_connection()
    selects = []
    for dt, files in partitions.items():
        listing = ", ".join(f"'{p}'" for p in files)
        path = f"replace(filename, '{root}/', 's3://{DESTINATION}/') AS \"$path\", '{dt}' AS dt"
        if typing == CSV_STRINGS:
            # OpenCSVSerDe: every field is text, an empty field the empty string.
            columns = ", ".join(f"'{f}': 'VARCHAR'" for f in fields)
            selects.append(f"SELECT * EXCLUDE (filename), {path} FROM read_csv([{listing}], columns = {{{columns}}}, "
                           "header = false, quote = '\"', allow_quoted_nulls = false, filename = true)")
        else:
            items = ", ".join(_as_declared(typing, f) for f in fields)
            selects.append(f"SELECT {items}, {path} FROM read_parquet([{listing}], filename = true)")
    con.execute(f"CREATE {'TABLE' if materialize else 'VIEW'} {TARGET.relation} AS {' UNION ALL '.join(selects)}")
    return con


def glue_for(fields: Sequence[str], typing: str, partitions: Sequence[str] = ("dt",)) -> FakeGlue:
    return FakeGlue({f: declared_type(typing, f) for f in fields}, partitions)


def format_of(typing: str) -> str:
    return "CSV" if typing == CSV_STRINGS else "Parquet"
