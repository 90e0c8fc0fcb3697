"""The single scan's shortcuts give exactly what the plain SQL gives: findings counted from groups of
facts, the register collected in the audit's scan, UTC timestamps by integer arithmetic, and checksums
verified while the scan runs."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.audit.engine import audit_inventory, audit_view, fetch_dicts
from governance.audit.errors import ChecksumError
from governance.audit.files import open_inventory
from governance.audit.limits import thresholds_for
from governance.audit.source import connect, create_view
from governance.audit.sql import COLUMNS, AuditPlan, Dialect, Thresholds
from governance.cli import main
from lifecycle.legal import Purpose
from lifecycle.policy import Policy
from tests.governance.audit.inventories import Row, write_inventory
from tests.governance.audit.planted import AS_OF, BUCKET, planted_rows, versions_filling_the_sample

FIELDS = frozenset(COLUMNS)


def _holds_table(con: duckdb.DuckDBPyConnection) -> None:
    # Ties on last_modified_date and key, NULL version ids (an unversioned object), delete markers and
    # released holds that must stay out, spread over several finding groups (old/new, KMS or not).
    con.execute("""
        CREATE TABLE inventory AS
        SELECT 'quality/2025/0' || (1 + i % 3) || '/0' || (1 + i % 7) || '/C' || (i % 11) || '.wav' AS key,
               CASE WHEN i % 13 = 0 THEN NULL ELSE 'v' || (i % 17) END AS version_id,
               i % 2 = 0 AS is_latest,
               i % 19 = 0 AS is_delete_marker,
               TIMESTAMP '2025-01-01' + to_days(CAST(i % 40 AS INTEGER) * 5) AS last_modified_date,
               CASE WHEN i % 5 = 0 THEN 'SSE-S3' ELSE 'SSE-KMS' END AS encryption_status,
               CASE WHEN i % 4 = 0 THEN NULL ELSE TIMESTAMP '2025-12-01' END AS object_lock_retain_until_date,
               'GOVERNANCE' AS object_lock_mode,
               CASE WHEN i % 3 = 0 THEN 'OFF' WHEN i % 23 = 0 THEN NULL ELSE 'ON' END
                 AS object_lock_legal_hold_status
        FROM range(3000) t(i)
    """)


@pytest.mark.parametrize("limit", [1, 7, 50, 1000, 5000])
def test_register_from_the_scan_equals_the_register_query(default_policy: Policy, limit: int) -> None:
    con = duckdb.connect()
    _holds_table(con)
    plan = AuditPlan(thresholds_for(default_policy, Purpose.QUALITY, AS_OF), FIELDS, Dialect.DUCKDB, limit)
    groups = fetch_dicts(con, plan.audit_query("inventory"))
    assert len(groups) > 3, "the held rows must be spread over several groups"
    expected = fetch_dicts(con, plan.legal_hold_query("inventory"))
    assert expected, "the fixture has held versions"
    assert plan.register(groups) == expected


def test_register_without_retain_until_or_version_id(default_policy: Policy) -> None:
    con = duckdb.connect()
    _holds_table(con)
    fields = FIELDS - {"object_lock_retain_until_date", "version_id"}
    con.execute("ALTER TABLE inventory DROP COLUMN object_lock_retain_until_date")
    con.execute("ALTER TABLE inventory DROP COLUMN version_id")
    con.execute("ALTER TABLE inventory ADD COLUMN version_id VARCHAR")  # the register query names it
    plan = AuditPlan(thresholds_for(default_policy, Purpose.QUALITY, AS_OF), fields, Dialect.DUCKDB, 40)
    groups = fetch_dicts(con, plan.audit_query("inventory"))
    assert plan.register(groups) == fetch_dicts(con, plan.legal_hold_query("inventory"))


def test_the_athena_query_carries_no_register(default_policy: Policy) -> None:
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    athena = AuditPlan(t, FIELDS, Dialect.ATHENA, 1000).audit_query("t")
    assert athena == AuditPlan(t, FIELDS, Dialect.ATHENA, 0).audit_query("t")
    assert "min_by" not in athena


def test_utc_timestamps_equal_the_time_zone_cast(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=2)
    with open_inventory(str(manifest)) as inv:
        con = connect()
        create_view(con, inv)
        listing = ", ".join(f"'{p}'" for p in inv.paths)
        raw = f"read_parquet([{listing}])"
        assert con.execute(f"SELECT typeof(last_modified_date) FROM {raw} LIMIT 1").fetchone() == (
            "TIMESTAMP WITH TIME ZONE",)
        expected = con.execute(
            "SELECT key, CAST(last_modified_date AS TIMESTAMP), CAST(object_lock_retain_until_date AS TIMESTAMP) "
            f"FROM {raw} ORDER BY ALL").fetchall()
        got = con.execute("SELECT key, last_modified_date, object_lock_retain_until_date FROM inventory "
                          "ORDER BY ALL").fetchall()
    assert got == expected
    assert any(row[2] is None for row in got) and any(row[2] is not None for row in got)


def _alter_in_place(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # same size, different bytes
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("fmt", ["Parquet", "CSV"])
def test_a_mismatch_found_while_scanning_is_refused(tmp_path: Path, default_policy: Policy, fmt: str) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), fmt, files=3)
    _alter_in_place(sorted((manifest.parents[1] / "data").iterdir())[2])
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    with pytest.raises(ChecksumError, match="differs from the manifest"), \
            open_inventory(str(manifest), background=True) as inv:
        audit_inventory(inv, t)


@pytest.mark.parametrize("where", ["start", "footer"])
def test_cli_exits_2_without_a_report_when_a_file_was_altered(tmp_path: Path, where: str) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=2)
    target = sorted((manifest.parents[1] / "data").iterdir())[0]
    raw = bytearray(target.read_bytes())
    raw[10 if where == "start" else len(raw) - 12] ^= 0xFF  # a corrupt page or an unreadable footer
    target.write_bytes(bytes(raw))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["audit-objects", "--inventory", str(manifest), "--as-of", "2025-06-01",
                                       "--format", "json", "--output", str(out)])
    assert result.exit_code == 2, result.output
    assert "not the one S3 Inventory wrote" in result.stderr
    assert not out.exists()
    assert "RG-OBJ" not in result.stdout


def test_background_verification_of_a_good_inventory_passes(tmp_path: Path, default_policy: Policy) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=3)
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    with open_inventory(str(manifest), background=True) as inv:
        assert len(inv.pending) == 3
        found = audit_inventory(inv, t)
        assert all(check.done() for check in inv.pending)
    assert found.aggregates["versions_count"] == 16
    assert found.holds[0]["last_modified_date"] == AS_OF - timedelta(days=150)
    assert isinstance(found.holds[0]["last_modified_date"], datetime)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
                     min_size=1, max_size=20, unique=True))
def test_csv_keys_decode_to_what_was_stored(tmp_path: Path, keys: list[str]) -> None:
    """Keys are decoded only when they hold '%' or '+': every other key must already be the decoded one."""
    root = tmp_path / uuid.uuid4().hex
    rows = [Row(key=k, modified=AS_OF - timedelta(days=1)) for k in keys]
    with open_inventory(str(write_inventory(root, BUCKET, rows, "CSV", files=1))) as inv:
        con = connect()
        create_view(con, inv)
        got = [r[0] for r in con.execute("SELECT key FROM inventory").fetchall()]
    assert sorted(got) == sorted(keys)


@pytest.mark.parametrize(("files", "threads"), [(1, 1), (7, 1), (7, 8)])
def test_a_csv_inventory_gives_what_the_same_rows_give_as_parquet(tmp_path: Path, default_policy: Policy,
                                                                  files: int, threads: int) -> None:
    """Arrow parses the CSV, DuckDB the Parquet: the same rows are the same findings, register and ages."""
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF)
    rows = planted_rows() * 3  # repeated so that every file holds rows of several findings
    audits = []
    for fmt in ("CSV", "Parquet"):
        with open_inventory(str(write_inventory(tmp_path / fmt, BUCKET, rows, fmt, files=files))) as inv:
            audits.append(audit_inventory(inv, t, threads=threads))
    csv, parquet = audits
    assert csv.aggregates == parquet.aggregates
    assert list(csv.holds) == list(parquet.holds) and csv.holds
    assert list(csv.ages) == list(parquet.ages)
    assert csv.aggregates["bad_keys_count"] > 0 and csv.aggregates["aged_versions_count"] > 0


def test_an_empty_csv_file_is_told_apart_without_error(tmp_path: Path) -> None:
    """Arrow refuses a CSV file with no line, so such files are left out; damaged ones are left to the reader."""
    import gzip

    from governance.audit.source import has_lines

    cases = {"empty": b"", "blank": b"\n\n", "row": b'"b","k"\n'}
    for name, text in cases.items():
        (tmp_path / f"{name}.csv.gz").write_bytes(gzip.compress(text))
    assert [has_lines(tmp_path / f"{n}.csv.gz") for n in cases] == [False, False, True]
    good = gzip.compress(b'"b","k"\n' * 50)
    for i in range(len(good)):  # one flipped byte anywhere: an answer, never an exception
        damaged = bytearray(good)
        damaged[i] ^= 0x5A
        (tmp_path / "damaged.csv.gz").write_bytes(bytes(damaged))
        assert has_lines(tmp_path / "damaged.csv.gz") in (True, False)


def _plain_conditions(t: Thresholds, fields: frozenset[str]) -> dict[str, str]:
    """Each finding written out on its own, as a reader of DESIGN section 4 would write it."""
    marker = "coalesce(is_delete_marker, false)"
    # The lock values in any case: AWS's prose writes "On" and "Compliance" where the files write ON, COMPLIANCE.
    held = "upper(coalesce(object_lock_legal_hold_status, 'OFF')) = 'ON'" if "object_lock_legal_hold_status" in fields \
        else "false"
    old = f"last_modified_date < TIMESTAMP '{t.age_cutoff.isoformat(sep=' ')}'"
    held_for = "epoch(object_lock_retain_until_date) - epoch(last_modified_date)"
    legal, limit = f"{held_for} > {t.legal_max_days * 86400}", f"{held_for} > {t.lock_limit_days * 86400}"
    out = {
        "versions": f"NOT {marker}",
        "delete_markers": marker,
        "aged_versions": f"NOT {marker} AND {old} AND NOT ({held})",
        "aged_markers": f"{marker} AND {old}",
    }
    if "object_lock_retain_until_date" in fields:
        out["lock_beyond_retention"] = f"NOT {marker} AND {limit} AND NOT ({legal})"
        out["lock_beyond_legal"] = f"NOT {marker} AND {legal}"
        if "object_lock_mode" in fields:
            out["lock_beyond_legal_compliance"] = f"NOT {marker} AND {legal} AND upper(object_lock_mode) = 'COMPLIANCE'"
    if "object_lock_legal_hold_status" in fields:
        out["legal_holds"] = f"NOT {marker} AND {held}"
        out["legal_holds_aged"] = f"NOT {marker} AND {held} AND {old}"
    if "encryption_status" in fields:
        out["not_kms"] = f"NOT {marker} AND coalesce(encryption_status, '') NOT IN ('SSE-KMS', 'DSSE-KMS')"
    if t.checks_keys:
        misnamed = f"NOT regexp_matches(key, '{t.key_pattern}')"
        derived = " OR ".join(f"regexp_matches(key, '{pattern}')" for _, pattern in t.derived) or "false"
        not_derived = f"NOT coalesce({derived}, false)"
        if t.area:
            inside = f"left(key, {len(t.area)}) = '{t.area}'"
            out["bad_keys"] = f"{inside} AND {misnamed} AND {not_derived}"
            out["outside_layout"] = f"NOT ({inside}) AND {not_derived}"
        else:
            out["bad_keys"] = f"{misnamed} AND {not_derived}"
        if t.derived:
            out["derived_objects"] = f"NOT {marker} AND ({derived})"
    return out


def _plain_orphans(con: duckdb.DuckDBPyConnection, t: Thresholds) -> tuple[int, list[str] | None]:
    """Derived keys with a version whose call has no recording version, each found on its own in Python."""
    rows = con.execute("SELECT key, coalesce(is_delete_marker, false) FROM inventory WHERE key IS NOT NULL").fetchall()
    layout = t.key_layout
    recorded = {parsed.call_id for key, marker in rows if not marker and re.fullmatch(
        layout.recording_pattern(t.recording_prefix), key) and (parsed := layout.parse(key, t.recording_prefix))}
    orphans = set()
    for key, marker in rows:
        for _, pattern in t.derived:
            match = re.fullmatch(pattern, key)
            if match and not marker and match.group(4) not in recorded:
                orphans.add(key)
    return len(orphans), sorted(orphans)[: t.sample] or None


FINDING_ROWS = st.lists(st.tuples(
    st.sampled_from(["quality/2025/03/14/C1.wav", "quality/2025/13/14/C2.wav", "proof/2025/01/01/T.wav",
                     "quality/2025/01/31/a/b.wav", "quality/2024/12/01/C3.mp3", None,
                     "cc/Rec/2025/03/14/c-1_20250314T09:30_UTC.wav", "cc/Rec/2025/03/14/c-2.wav",
                     "Analysis/Voice/2025/03/14/c-1_analysis_2025-03-14T09:40:00Z.json",
                     "Analysis/Voice/2025/03/14/c-9_analysis_2025-03-14T09:40:00Z.json",
                     "derived/transcripts/2025/03/14/C1.json", "derived/redacted/2025/03/14/C9.wav"]),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.integers(0, 400)),  # age in days at the audit date
    st.one_of(st.none(), st.integers(0, 2000)),  # days locked after the last modification
    st.sampled_from(["SSE-KMS", "DSSE-KMS", "SSE-S3", "NOT-SSE", None]),
    st.sampled_from(["GOVERNANCE", "COMPLIANCE", "Compliance", None]),
    st.sampled_from(["ON", "OFF", "on", "On", None]),
), min_size=1, max_size=60)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=FINDING_ROWS, purpose=st.sampled_from([Purpose.QUALITY, Purpose.EVALUATIONS]),
       missing=st.sets(st.sampled_from(["object_lock_retain_until_date", "object_lock_mode",
                                        "object_lock_legal_hold_status", "encryption_status"])),
       connect=st.booleans())
def test_the_grouped_facts_give_what_one_plain_query_per_finding_gives(
        default_policy: Policy, rows: list[tuple[Any, ...]], purpose: Purpose, missing: set[str],
        connect: bool) -> None:
    """Findings are counted from groups of facts, keys kept per group: each count and key list equals its
    finding's own query, repeated keys (several versions of one object) included."""
    t = thresholds_for(default_policy, purpose, AS_OF, sample=3)
    if connect:
        t = replace(t, layout="amazon-connect", key_prefix="cc/Rec")
    con = duckdb.connect()
    con.execute("CREATE TABLE inventory (key VARCHAR, version_id VARCHAR, is_delete_marker BOOLEAN, "
                "last_modified_date TIMESTAMP, object_lock_retain_until_date TIMESTAMP, encryption_status VARCHAR, "
                "object_lock_mode VARCHAR, object_lock_legal_hold_status VARCHAR)")
    for i, (key, marker, age, locked, enc, mode, hold) in enumerate(rows):
        modified = None if age is None else AS_OF - timedelta(days=age, hours=i % 5)
        until = None if modified is None or locked is None else modified + timedelta(days=locked)
        con.execute("INSERT INTO inventory VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [key, f"v{i}", marker, modified, until, enc, mode, hold])
    fields = FIELDS - missing
    plan = AuditPlan(t, fields, Dialect.DUCKDB)
    got = audit_view(con, BUCKET, plan).aggregates
    keyed = {f.name for f in plan.findings if f.keys}
    expected: dict[str, Any] = {}
    for name, condition in _plain_conditions(t, fields).items():
        expected[f"{name}_count"] = con.execute(f"SELECT count(*) FROM inventory WHERE {condition}").fetchone()[0]
        if name in keyed:
            first = con.execute(f"SELECT DISTINCT key FROM inventory WHERE ({condition}) AND key IS NOT NULL "
                                f"ORDER BY key LIMIT {t.sample}").fetchall()
            expected[f"{name}_keys"] = [k for (k,) in first] or None
    if t.derived:
        expected["orphans_count"], expected["orphans_keys"] = _plain_orphans(con, t)
    assert got == expected


@pytest.mark.parametrize("fmt", ["Parquet", "CSV"])
def test_versions_of_one_key_do_not_crowd_out_the_next_keys(tmp_path: Path, default_policy: Policy,
                                                             fmt: str) -> None:
    """``--sample`` keys are distinct keys: the first key's other versions take no place of the next keys."""
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF, sample=3)
    with open_inventory(str(write_inventory(tmp_path, BUCKET, versions_filling_the_sample(), fmt, files=2))) as inv:
        found = audit_inventory(inv, t)
    assert found.aggregates["aged_versions_count"] == 23
    assert found.aggregates["aged_versions_keys"] == [f"quality/2025/01/05/{k}.wav" for k in "ABC"]


def test_a_full_key_list_that_repeats_a_key_is_asked_for_distinct_keys_and_only_then(default_policy: Policy) -> None:
    """``min(key, n)`` keeps rows: a full list with a repeated key may hide the next keys, so that finding
    alone is asked its distinct keys; lists without repeats cost no statement."""
    t = thresholds_for(default_policy, Purpose.QUALITY, AS_OF, sample=3)
    con = duckdb.connect()
    con.execute("CREATE TABLE inventory (key VARCHAR, is_delete_marker BOOLEAN, last_modified_date TIMESTAMP)")
    old = AS_OF - timedelta(days=146)
    rows = [("quality/2025/01/05/A.wav", False, old)] * 100 + [("quality/2025/01/05/B.wav", False, old)]
    rows += [("quality/2025/01/05/C.wav", True, old), ("quality/2025/01/05/D.wav", True, old)]
    con.executemany("INSERT INTO inventory VALUES (?, ?, ?)", rows)
    plan = AuditPlan(t, frozenset({"key", "is_delete_marker", "last_modified_date"}), Dialect.DUCKDB)
    asked: list[str] = []

    def run(sql: str) -> list[dict[str, Any]]:
        asked.append(sql)
        return fetch_dicts(con, sql)

    found = plan.summarize(run(plan.audit_query("inventory")), run, "inventory")
    assert found["aged_versions_keys"] == ["quality/2025/01/05/A.wav", "quality/2025/01/05/B.wav"]
    assert found["aged_versions_count"] == 101
    assert found["aged_markers_keys"] == ["quality/2025/01/05/C.wav", "quality/2025/01/05/D.wav"]
    assert len(asked) == 2 and asked[1] == plan.first_keys_query("inventory", plan.finding("aged_versions"))
