"""The Athena engine runs the same audit SQL: executed by DuckDB on the same data, in each column typing
AWS documents for the inventory table, the Athena dialect gives exactly the findings of the DuckDB path.

Athena and Glue are the DuckDB-backed doubles of :mod:`tests.governance.audit.athena_double`.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from governance.audit.athena import (
    QUERY_BYTES_LIMIT,
    AthenaQueryError,
    AthenaTableError,
    audit_athena,
    delivery_partition,
    read_table,
    whole_delivery,
)
from governance.audit.engine import audit_inventory
from governance.audit.errors import ManifestError
from governance.audit.files import Inventory, open_inventory
from governance.audit.findings import BucketAudit, hold_rows, object_results
from governance.audit.limits import thresholds_for
from governance.audit.sql import AuditPlan, Dialect
from lifecycle.legal import Purpose
from lifecycle.policy import Policy
from tests.governance.audit.athena_double import (
    CSV_STRINGS,
    DT,
    OTHER_DT,
    PARQUET_CURRENT,
    PARQUET_OLDER,
    TARGET,
    TYPINGS,
    DuckAthena,
    FakeGlue,
    athena_table,
    declared_type,
    format_of,
    glue_for,
)
from tests.governance.audit.inventories import Row, write_inventory
from tests.governance.audit.planted import AS_OF, BUCKET, ago, planted_rows, versions_filling_the_sample


def audit_both(inv: Inventory, t: Any, typing: str, extra: Mapping[str, Sequence[Path]] | None = None,
               root: Path | None = None, materialize: bool = False) -> tuple[BucketAudit, BucketAudit, DuckAthena]:
    """The DuckDB engine's audit of ``inv`` and the Athena engine's over its table in ``typing``."""
    root = root or inv.paths[0].parents[4]
    fields = inv.manifest.fields
    con = athena_table(root, {DT: inv.paths, **(extra or {})}, fields, typing, materialize)
    client = DuckAthena(con)
    remote = audit_athena(client, TARGET, inv.manifest, t, 1000, glue_for(fields, typing))
    return audit_inventory(inv, t), remote, client


@pytest.mark.parametrize("typing", TYPINGS)
def test_each_documented_typing_gives_the_duckdb_findings(tmp_path: Path, default_policy: Policy,
                                                          typing: str) -> None:
    """The exact statements the engine sends, run over the table as AWS's DDL types it, find what DuckDB finds."""
    # A second delivery's file, in its own partition, must be ignored: only the manifest's files count.
    stray = write_inventory(tmp_path / "other", BUCKET, [Row("quality/2020/01/01/STRAY.wav", ago(2000))],
                            format_of(typing), files=1)
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), format_of(typing), files=3)
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    stray_file = next(stray.parents[1].joinpath("data").iterdir())
    with open_inventory(str(manifest_path)) as inv:
        local, remote, client = audit_both(inv, t, typing, {OTHER_DT: [stray_file]}, tmp_path)
        declared = dict(client.con.execute(f"DESCRIBE {TARGET.relation}").fetchall()[i][:2]
                        for i in range(len(inv.manifest.fields)))
    assert object_results(remote, "x") == object_results(local, "x")
    assert hold_rows(remote, AS_OF) == hold_rows(local, AS_OF)
    assert [r["key"] for r in hold_rows(remote, AS_OF)] == ["quality/2025/01/02/CALL-HOLD.wav"]
    assert remote.aggregates["not_kms_keys"][0] == "quality/2025/05/29/CALL 7+8%.wav", "CSV keys are decoded"
    # The view really has the typing: nothing is cast to what the SQL would like before it reads it.
    expected = {PARQUET_CURRENT: ("TIMESTAMP", "BIGINT"), PARQUET_OLDER: ("BIGINT", "BIGINT"),
                CSV_STRINGS: ("VARCHAR", "VARCHAR")}[typing]
    assert (declared["last_modified_date"], declared["object_lock_retain_until_date"]) == expected
    assert {q["WorkGroup"] for q in client.queries} == {"recgov"}
    assert client.queries[0]["ResultConfiguration"] == {"OutputLocation": "s3://results/athena/"}
    assert all(f"dt = '{DT}' AND \"$path\" IN (" in s for s in client.statements), "the delivery's partition"


def test_the_register_parses_in_every_typing(tmp_path: Path, default_policy: Policy) -> None:
    """The register's dates come back as timestamps whatever the table declares, with their milliseconds."""
    held = Row("quality/2025/01/02/CALL-HOLD.wav", ago(150) + timedelta(milliseconds=123), legal_hold="ON",
               retain_until=ago(150) + timedelta(days=30, milliseconds=456), lock_mode="GOVERNANCE")
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    registers = []
    for typing in TYPINGS:
        root = tmp_path / typing
        with open_inventory(str(write_inventory(root, BUCKET, [held], format_of(typing), files=1))) as inv:
            _, remote, _ = audit_both(inv, t, typing, root=root)
        registers.append(remote.holds)
    assert registers[0][0]["retain_until"] == (ago(120) + timedelta(milliseconds=456)).replace(tzinfo=None)
    assert registers[0][0]["last_modified_date"] == (ago(150) + timedelta(milliseconds=123)).replace(tzinfo=None)
    assert registers[1] == registers[0] and registers[2] == registers[0]


def spelled_as_the_prose(rows: Sequence[Row]) -> list[Row]:
    """The rows with the user guide's prose spellings: "Compliance", "Governance", "On", "Off"."""
    def prose(value: str | None) -> str | None:
        return value.capitalize() if value else value
    return [replace(r, lock_mode=prose(r.lock_mode), legal_hold=prose(r.legal_hold)) for r in rows]


@pytest.mark.parametrize("typing", TYPINGS)
def test_both_spellings_of_lock_mode_and_legal_hold_give_the_same_findings(tmp_path: Path, default_policy: Policy,
                                                                        typing: str) -> None:
    rows = planted_rows()
    assert {r.lock_mode for r in spelled_as_the_prose(rows)} >= {"Compliance", "Governance"}
    assert {r.legal_hold for r in spelled_as_the_prose(rows)} == {"On", "Off"}
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    audits = []
    for name, spelled in (("api", rows), ("prose", spelled_as_the_prose(rows))):
        root = tmp_path / name
        with open_inventory(str(write_inventory(root, BUCKET, spelled, format_of(typing), files=2))) as inv:
            audits.append(audit_both(inv, t, typing, root=root)[:2])
    (api_local, api_remote), (prose_local, prose_remote) = audits
    for audit in (api_remote, prose_local, prose_remote):
        assert object_results(audit, "x") == object_results(api_local, "x")
        assert hold_rows(audit, AS_OF) == hold_rows(api_local, AS_OF)
    assert api_local.aggregates["legal_holds_count"] == 1 and api_local.aggregates["aged_versions_count"] == 1
    assert api_local.aggregates["lock_beyond_legal_compliance_count"] == 1


@pytest.mark.parametrize("typing", TYPINGS)
def test_an_empty_version_id_is_null_in_every_format_and_engine(tmp_path: Path, default_policy: Policy,
                                                                typing: str) -> None:
    """A null-versioned object's empty version id reads the same from Parquet, CSV and Athena: no version."""
    rows = [Row("quality/2025/01/02/CALL-NULL.wav", ago(150), legal_hold="ON", null_versioned=True),
            Row("quality/2025/01/03/CALL-V.wav", ago(149), "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", legal_hold="ON")]
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    with open_inventory(str(write_inventory(tmp_path, BUCKET, rows, format_of(typing), files=1))) as inv:
        local, remote, _ = audit_both(inv, t, typing, root=tmp_path)
    for audit in (local, remote):
        assert [r["version_id"] for r in hold_rows(audit, AS_OF)] == [None, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"]


def test_five_thousand_data_files_fit_athenas_query_limit(tmp_path: Path, default_policy: Policy) -> None:
    """At 5,000 data files every statement sent stays within 256 KB, and the batches find what one scan finds."""
    rows = [Row(f"quality/2025/01/{1 + i % 28:02d}/CALL-{i:05d}.wav", ago(100 + i % 60), legal_hold="ON"
                if i % 97 == 0 else "OFF", encryption="SSE-S3" if i % 89 == 0 else "SSE-KMS") for i in range(5000)]
    rows += [Row(f"quality/2025/01/05/{k}.wav", ago(146 + i / 1000)) for i, k in enumerate("AAAAAAAAAAAAAAAABC")]
    manifest_path = write_inventory(tmp_path, BUCKET, rows, files=5000)
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF, sample=5)
    with open_inventory(str(manifest_path)) as inv:
        local, remote, client = audit_both(inv, t, PARQUET_CURRENT, root=tmp_path, materialize=True)
    sizes = [len(s.encode("utf-8")) for s in client.statements]
    audits = [s for s in client.statements if s.startswith("SELECT flags")]
    assert max(sizes) <= QUERY_BYTES_LIMIT, f"largest statement {max(sizes)} bytes"
    assert len(audits) >= 3, "5,000 paths take more than one statement"
    assert sum(s.count("'s3://") for s in audits) == 5000, "each data file is listed once"
    assert max(sizes) > QUERY_BYTES_LIMIT * 0.9, "batches are filled, not cut small"
    assert object_results(remote, "x") == object_results(local, "x")
    assert hold_rows(remote, AS_OF) == hold_rows(local, AS_OF)
    assert remote.aggregates["aged_versions_keys"] == local.aggregates["aged_versions_keys"]


def test_every_statement_parses_as_trino(tmp_path: Path, default_policy: Policy) -> None:
    """Each statement the engine sends, in every typing, is one SELECT that Trino's grammar accepts."""
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF, sample=3)
    sent: list[str] = []
    for typing in TYPINGS:
        root = tmp_path / typing
        rows = [*planted_rows(), *versions_filling_the_sample()]
        with open_inventory(str(write_inventory(root, BUCKET, rows, format_of(typing), files=2))) as inv:
            sent += audit_both(inv, t, typing, root=root)[2].statements
    kinds = {s.split()[1] for s in sent}
    assert kinds == {"flags,", "DISTINCT", "key,", "d"}, "audit, first keys, register and orphan statements"
    for statement in sent:
        for dialect in ("trino", "athena"):
            parsed = sqlglot.parse(statement, read=dialect)
            assert len(parsed) == 1 and isinstance(parsed[0], exp.Select), statement[:200]
    with pytest.raises(ParseError):  # the parser does refuse what Trino would
        sqlglot.parse_one(sent[0].replace("GROUP BY", "GROUP"), read="trino")


def test_a_manifest_outside_its_delivery_folder_names_no_partition(tmp_path: Path, default_policy: Policy) -> None:
    """The ``dt`` filter comes from the manifest's folder: a manifest moved elsewhere is refused, in one sentence."""
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), files=1)
    moved = tmp_path / "inventory" / BUCKET / "recgov-daily" / "latest" / "manifest.json"
    moved.parent.mkdir()
    shutil.copy(manifest_path, moved)
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    with open_inventory(str(manifest_path)) as inv:
        assert delivery_partition(inv.manifest) == DT
    with open_inventory(str(moved)) as inv:
        client = DuckAthena(athena_table(tmp_path, {DT: inv.paths}, inv.manifest.fields, PARQUET_CURRENT))
        with pytest.raises(ManifestError, match=r"not in its delivery folder .*dt partition .* unknown") as err:
            audit_athena(client, TARGET, inv.manifest, t, 10, glue_for(inv.manifest.fields, PARQUET_CURRENT))
        assert client.queries == [] and "\n" not in str(err.value)
        # A table without the partition needs none: the manifest's files alone select the delivery.
        remote = audit_athena(client, TARGET, inv.manifest, t, 10,
                              glue_for(inv.manifest.fields, PARQUET_CURRENT, partitions=()))
        assert object_results(remote, "x") == object_results(audit_inventory(inv, t), "x")
        assert "dt =" not in client.statements[0]


def test_a_partition_that_is_not_the_deliverys_is_refused_not_passed(tmp_path: Path, default_policy: Policy) -> None:
    """The manifest's folder names dt 2025-06-01-01-00; a table holding its files under another dt reads nothing."""
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), files=2)
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    with open_inventory(str(manifest_path)) as inv:
        client = DuckAthena(athena_table(tmp_path, {OTHER_DT: inv.paths}, inv.manifest.fields, PARQUET_CURRENT))
        with pytest.raises(AthenaQueryError, match=rf"read no row from the 2 data files .* in partition dt = '{DT}'"):
            audit_athena(client, TARGET, inv.manifest, t, 10, glue_for(inv.manifest.fields, PARQUET_CURRENT))


def test_a_table_that_misses_the_delivery_is_refused_not_passed(tmp_path: Path, default_policy: Policy) -> None:
    """Athena reading nothing from listed, non-empty files is a table pointed elsewhere, never a clean bucket."""
    other = write_inventory(tmp_path / "other", BUCKET, [Row("quality/2025/05/01/CALL-1.wav", ago(2))], files=1)
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=2)
    with open_inventory(str(manifest_path)) as inv:
        con = athena_table(tmp_path, {DT: [next(other.parents[1].joinpath("data").iterdir())]}, inv.manifest.fields,
                           PARQUET_CURRENT)
        with pytest.raises(AthenaQueryError, match="read no row from the 2 data files"):
            audit_athena(DuckAthena(con), TARGET, inv.manifest, thresholds_for(default_policy, Purpose.QUALITY, AS_OF),
                         10, glue_for(inv.manifest.fields, PARQUET_CURRENT))


@pytest.mark.parametrize(("columns", "message"), [
    (None, r"Glue table inventories.recgov_quality cannot be read \(EntityNotFoundException: Table recgov_quality "
           r"not found\); create it as docs/athena.md shows"),
    ({"last_modified_date": "date"}, r"declares last_modified_date as date; the audit reads it as timestamp, bigint"),
    ({"is_delete_marker": "int"}, r"declares is_delete_marker as int; the audit reads it as boolean or string"),
    ({"object_lock_mode": None}, r"has no column object_lock_mode although the inventory carries it"),
    ({"key": None}, r"has no column key although .*\(the audit cannot run without key\)"),
])
def test_a_table_the_audit_cannot_read_is_refused_before_any_query(
        tmp_path: Path, default_policy: Policy, columns: dict[str, str | None] | None, message: str) -> None:
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), files=1)
    with open_inventory(str(manifest_path)) as inv:
        declared = {f: declared_type(PARQUET_CURRENT, f) for f in inv.manifest.fields}
        for name, kind in (columns or {}).items():
            if kind is None:
                del declared[name]
            else:
                declared[name] = kind
        client = DuckAthena(duckdb.connect())
        with pytest.raises(AthenaTableError, match=message) as err:
            audit_athena(client, TARGET, inv.manifest, thresholds_for(default_policy, Purpose.QUALITY, AS_OF), 10,
                         FakeGlue(declared, missing=columns is None))
    assert client.queries == [] and "\n" not in str(err.value)


def test_dialects_differ_only_in_function_names(default_policy: Policy) -> None:
    """Beside function names, only DuckDB's grouping by week of age (the age histogram) differs."""
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    fields = frozenset({"key", "is_delete_marker", "last_modified_date", "encryption_status",
                        "object_lock_retain_until_date"})
    duck, athena = AuditPlan(t, fields, Dialect.DUCKDB), AuditPlan(t, fields, Dialect.ATHENA)

    def normalised(sql: str) -> str:
        sql = re.sub(r"json_format\(CAST\((.*) AS JSON\)\)", r"\1",
                     re.sub(r"bitwise_and\((\w+), (\d+)\)", r"(\1 & \2)", sql))
        return sql.replace("regexp_like", "regexp_matches").replace("to_unixtime", "epoch")

    ungrouped = re.sub(r"CAST\(floor\(.*?\) AS BIGINT\) AS age_bin, ", "",
                       duck.audit_query("t").replace("flags, age_bin", "flags"))
    assert normalised(athena.audit_query("t")) == ungrouped
    for f in duck.findings:
        assert normalised(athena.first_keys_query("t", f)) == duck.first_keys_query("t", f)
    assert athena.audit_query("t") != duck.audit_query("t")


def test_a_failed_athena_query_is_refused(tmp_path: Path, default_policy: Policy) -> None:
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=1)
    with open_inventory(str(manifest_path)) as inv, pytest.raises(AthenaQueryError, match="SYNTAX_ERROR"):
        audit_athena(DuckAthena(duckdb.connect(), fail=True), TARGET, inv.manifest,
                     thresholds_for(default_policy, Purpose.QUALITY, AS_OF), 10,
                     glue_for(inv.manifest.fields, PARQUET_CURRENT))


def test_athena_keys_arrive_as_json_text_and_are_parsed(tmp_path: Path, default_policy: Policy) -> None:
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=1)
    with open_inventory(str(manifest_path)) as inv:
        _, remote, client = audit_both(inv, thresholds_for(default_policy, Purpose.QUALITY, AS_OF), PARQUET_CURRENT,
                                       root=tmp_path)
    assert remote.aggregates["not_kms_keys"][0] == "quality/2025/05/29/CALL 7+8%.wav"
    assert any(s.count("json_format(CAST(") == 1 for s in client.statements)


def test_athena_lists_distinct_first_keys_when_versions_repeat_one(tmp_path: Path, default_policy: Policy) -> None:
    manifest_path = write_inventory(tmp_path, BUCKET, versions_filling_the_sample(), "Parquet", files=2)
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF, sample=3)
    with open_inventory(str(manifest_path)) as inv:
        local, remote, client = audit_both(inv, t, PARQUET_CURRENT, root=tmp_path)
    assert remote.aggregates["aged_versions_keys"] == [f"quality/2025/01/05/{k}.wav" for k in "ABC"]
    assert remote.aggregates == local.aggregates
    follow_up = client.statements[1]
    assert "ORDER BY key" in follow_up and '"$path" IN (' in follow_up, "one finding's keys, the manifest's files only"


def test_the_whole_delivery_is_named_by_its_files_then_by_its_partition_then_refused(tmp_path: Path) -> None:
    """One statement over every file of the delivery (the orphan match, the subject search): its files while
    they fit the limit, its partition alone beyond it, and a refusal naming the statement's use without one."""
    manifest_path = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=3)
    with open_inventory(str(manifest_path)) as inv:
        fields = inv.manifest.fields

        def whole(limit: int, partitions: tuple[str, ...] = ("dt",)) -> str:
            shape = read_table(glue_for(fields, PARQUET_CURRENT, partitions), TARGET)
            return whole_delivery(inv.manifest, TARGET, shape, frozenset(fields), lambda r: f"SELECT 1 FROM {r}",
                                  "matching derived objects to their recordings", limit)

        by_files = whole(QUERY_BYTES_LIMIT)
        assert by_files.count("'s3://") == 3 and f"dt = '{DT}'" in by_files
        by_partition = whole(len(by_files) - 1)
        assert '"$path"' not in by_partition and f"dt = '{DT}'" in by_partition
        with pytest.raises(AthenaQueryError, match=r"matching derived objects to their recordings over 3 data files "
                                                   r"needs one statement beyond Athena's 100-byte limit; partition"):
            whole(100, partitions=())
