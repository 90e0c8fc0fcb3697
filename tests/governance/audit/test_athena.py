"""The Athena engine runs the same audit SQL: executed by DuckDB on the same data, the Athena dialect
gives exactly the findings of the DuckDB path.

Athena's client is replaced by one that runs each query in DuckDB over a table of Athena's shape
(AWS's Parquet inventory columns plus the ``"$path"`` pseudo-column) and answers in Athena's result
format: every value as text, a header row first, pages joined by NextToken. The only Trino functions
the SQL uses that DuckDB spells differently are defined as DuckDB macros with the same meaning.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from governance.audit.athena import AthenaQueryError, AthenaTarget, audit_athena
from governance.audit.engine import audit_inventory
from governance.audit.files import open_inventory
from governance.audit.findings import hold_rows, object_results
from governance.audit.limits import thresholds_for
from governance.audit.sql import Dialect, audit_query
from lifecycle.legal import Purpose
from lifecycle.policy import Policy
from tests.governance.audit.inventories import DESTINATION, Row, write_inventory
from tests.governance.audit.planted import AS_OF, BUCKET, ago, planted_rows, versions_filling_the_sample

TARGET = AthenaTarget("inventories", "recgov_quality", "recgov", "s3://results/athena/")


class DuckAthena:
    """An Athena client whose engine is DuckDB: same SQL text in, Athena's result shape out."""

    def __init__(self, con: duckdb.DuckDBPyConnection, page_size: int = 2, fail: bool = False) -> None:
        self.con, self.page_size, self.fail = con, page_size, fail
        self.queries: list[dict[str, Any]] = []
        self._results: dict[str, tuple[list[str], list[list[str | None]]]] = {}
        self._ids = itertools.count()

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
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
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


def athena_shaped(root: Path, files: list[Path]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)")  # Trino: partial match, as DuckDB's
    con.execute("CREATE MACRO json_format(j) AS CAST(j AS VARCHAR)")  # Trino: JSON value -> its text
    con.execute("CREATE MACRO to_unixtime(t) AS epoch(t)")  # Trino: seconds since the epoch, a double
    con.execute("CREATE MACRO bitwise_and(x, y) AS (x & y)")  # Trino: the bits both integers have
    con.execute(f"CREATE SCHEMA {TARGET.database}")
    listing = ", ".join(f"'{p}'" for p in files)
    con.execute(
        f'CREATE VIEW {TARGET.relation} AS SELECT * EXCLUDE (filename, last_modified_date, '
        "object_lock_retain_until_date), CAST(last_modified_date AS TIMESTAMP) AS last_modified_date, "
        "CAST(object_lock_retain_until_date AS TIMESTAMP) AS object_lock_retain_until_date, "
        f"replace(filename, '{root}/', 's3://{DESTINATION}/') AS \"$path\" "
        f"FROM read_parquet([{listing}], filename = true)"
    )
    return con


def test_athena_sql_run_by_duckdb_gives_the_same_findings(tmp_path: Path, default_policy: Policy) -> None:
    # A second delivery's file in the same table must be ignored: only the manifest's files count.
    stray = write_inventory(tmp_path / "other", BUCKET, [Row("quality/2020/01/01/STRAY.wav", ago(2000))], files=1)
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=3)
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    with open_inventory(str(manifest_path)) as inv:
        local = audit_inventory(inv, t)
        stray_file = next(stray.parents[1].joinpath("data").iterdir())
        client = DuckAthena(athena_shaped(tmp_path, [*inv.paths, stray_file]))
        remote = audit_athena(client, TARGET, inv.manifest, t, register_limit=1000)
    assert object_results(remote, "x") == object_results(local, "x")
    assert hold_rows(remote, AS_OF) == hold_rows(local, AS_OF)
    assert {q["WorkGroup"] for q in client.queries} == {"recgov"}
    assert client.queries[0]["ResultConfiguration"] == {"OutputLocation": "s3://results/athena/"}
    assert "regexp_like" in client.queries[0]["QueryString"]
    assert '"$path" IN (' in client.queries[0]["QueryString"]


def test_dialects_differ_only_in_function_names(default_policy: Policy) -> None:
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    fields = ["key", "is_delete_marker", "last_modified_date", "encryption_status", "object_lock_retain_until_date"]
    duck = audit_query("t", t, fields, Dialect.DUCKDB)
    athena = audit_query("t", t, fields, Dialect.ATHENA)
    normalised = re.sub(r"json_format\(CAST\((.*) AS JSON\)\)", r"\1",
                        re.sub(r"bitwise_and\((\w+), (\d+)\)", r"(\1 & \2)",
                               athena.replace("regexp_like", "regexp_matches").replace("to_unixtime", "epoch")))
    assert normalised == duck
    assert athena != duck


def test_a_failed_athena_query_is_refused(tmp_path: Path, default_policy: Policy) -> None:
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=1)
    with open_inventory(str(manifest_path)) as inv, pytest.raises(AthenaQueryError, match="SYNTAX_ERROR"):
        audit_athena(DuckAthena(duckdb.connect(), fail=True), TARGET, inv.manifest,
                     thresholds_for(default_policy, Purpose.QUALITY, AS_OF), 10)


def test_athena_keys_arrive_as_json_text_and_are_parsed(tmp_path: Path, default_policy: Policy) -> None:
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=1)
    with open_inventory(str(manifest_path)) as inv:
        client = DuckAthena(athena_shaped(tmp_path, list(inv.paths)))
        remote = audit_athena(client, TARGET, inv.manifest, thresholds_for(default_policy, Purpose.QUALITY, AS_OF), 5)
    assert remote.aggregates["not_kms_keys"][0] == "quality/2025/05/29/CALL 7+8%.wav"
    assert any(q["QueryString"].count("json_format(CAST(") == 1 for q in client.queries)


def test_a_table_that_misses_the_delivery_is_refused_not_passed(tmp_path: Path, default_policy: Policy) -> None:
    """Athena reading nothing from listed, non-empty files is a table pointed elsewhere, never a clean bucket."""
    other = write_inventory(tmp_path / "other", BUCKET, [Row("quality/2025/05/01/CALL-1.wav", ago(2))], files=1)
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=2)
    with open_inventory(str(manifest_path)) as inv:
        client = DuckAthena(athena_shaped(tmp_path, [next(other.parents[1].joinpath("data").iterdir())]))
        with pytest.raises(AthenaQueryError, match="read no row from the 2 data files"):
            audit_athena(client, TARGET, inv.manifest, thresholds_for(default_policy, Purpose.QUALITY, AS_OF), 10)


def test_athena_lists_distinct_first_keys_when_versions_repeat_one(tmp_path: Path, default_policy: Policy) -> None:
    manifest_path = write_inventory(tmp_path, BUCKET, versions_filling_the_sample(), "Parquet", files=2)
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF, sample=3)
    with open_inventory(str(manifest_path)) as inv:
        client = DuckAthena(athena_shaped(tmp_path, list(inv.paths)))
        remote = audit_athena(client, TARGET, inv.manifest, t, register_limit=1000)
        local = audit_inventory(inv, t)
    assert remote.aggregates["aged_versions_keys"] == [f"quality/2025/01/05/{k}.wav" for k in "ABC"]
    assert remote.aggregates == local.aggregates
    follow_up = client.queries[1]["QueryString"]
    assert "ORDER BY key" in follow_up and '"$path" IN (' in follow_up, "one finding's keys, the manifest's files only"
