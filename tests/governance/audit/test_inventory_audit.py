"""audit-objects over generated inventories in AWS's layout: every planted violation, both formats."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from governance.audit.engine import audit_inventory
from governance.audit.files import open_inventory
from governance.audit.findings import BucketAudit, hold_rows, object_results
from governance.audit.limits import thresholds_for
from governance.model import Severity, Status
from lifecycle.legal import Purpose
from lifecycle.policy import Policy
from tests.governance.audit.inventories import Row, write_inventory
from tests.governance.audit.planted import AS_OF, BUCKET, EXPECTED, ago, planted_rows


def audit(root: Path, policy: Policy, rows: list[Row], fmt: str, purpose: Purpose = Purpose.QUALITY) -> BucketAudit:
    manifest = write_inventory(root, BUCKET, rows, fmt, files=3)
    with open_inventory(str(manifest)) as inv:
        return audit_inventory(inv, thresholds_for(policy, purpose, AS_OF))


@pytest.mark.parametrize("fmt", ["CSV", "Parquet"])
def test_every_planted_violation_is_found_with_its_keys(tmp_path: Path, default_policy: Policy, fmt: str) -> None:
    found = audit(tmp_path, default_policy, planted_rows(), fmt)
    results = {r.check: r for r in object_results(found, "2025-06-01")}
    assert set(results) == set(EXPECTED)
    for check, (status, keys) in EXPECTED.items():
        r = results[check]
        assert str(r.status) == status, f"{check}: {r.message}"
        if keys is not None:
            assert r.observed["first_keys"] == keys, check
            assert r.observed["count"] == len(keys), check
            assert r.citations, check
    assert results["RG-OBJ-LOCK-LEGAL-MAX"].severity is Severity.CRITICAL
    assert results["RG-OBJ-LOCK-LEGAL-MAX"].observed["compliance_mode"] == 1
    assert results["RG-OBJ-LEGAL-HOLD"].observed == {"count": 1, "older_than_limit": 1, "listed": 1}
    assert found.aggregates["versions_count"] == 16
    assert found.aggregates["delete_markers_count"] == 2
    assert found.aggregates["derived_objects_count"] == 4


@pytest.mark.parametrize("fmt", ["CSV", "Parquet"])
def test_legal_hold_register_gives_key_version_and_age(tmp_path: Path, default_policy: Policy, fmt: str) -> None:
    rows = hold_rows(audit(tmp_path, default_policy, planted_rows(), fmt), AS_OF)
    assert [(r["key"], r["age_days"]) for r in rows] == [("quality/2025/01/02/CALL-HOLD.wav", 150)]
    assert rows[0]["version_id"]


def test_both_formats_give_identical_findings(tmp_path: Path, default_policy: Policy) -> None:
    csv = audit(tmp_path / "csv", default_policy, planted_rows(), "CSV")
    parquet = audit(tmp_path / "parquet", default_policy, planted_rows(), "Parquet")
    assert object_results(csv, "x") == object_results(parquet, "x")


def test_compliant_inventory_passes_every_check(tmp_path: Path, default_policy: Policy) -> None:
    rows = [Row(f"quality/2025/05/{d:02d}/CALL-{d}.wav", ago(32 - d)) for d in range(1, 31)]
    results = object_results(audit(tmp_path, default_policy, rows, "Parquet"), "2025-06-01")
    assert results and all(r.status is Status.PASS for r in results)


def test_the_limit_follows_the_policy_and_purpose(tmp_path: Path, default_policy: Policy) -> None:
    # 200 days is beyond quality's 90 but within proof's 365: the same object, judged per purpose.
    rows = [Row("proof/2024/11/13/CALL-P.wav", ago(200))]
    results = {r.check: r for r in object_results(audit(tmp_path, default_policy, rows, "CSV", Purpose.PROOF), "x")}
    assert results["RG-OBJ-AGE"].status is Status.PASS
    rows = [Row("quality/2024/11/13/CALL-Q.wav", ago(200))]
    results = {r.check: r for r in object_results(audit(tmp_path / "q", default_policy, rows, "CSV"), "x")}
    assert results["RG-OBJ-AGE"].status is Status.FAIL


def test_sample_bounds_the_keys_but_not_the_count(tmp_path: Path, default_policy: Policy) -> None:
    rows = [Row(f"quality/2024/01/{d:02d}/CALL-{d}.wav", ago(200 + d)) for d in range(1, 26)]
    found = audit(tmp_path, default_policy, rows, "Parquet")
    age = next(r for r in object_results(found, "x") if r.check == "RG-OBJ-AGE")
    assert age.observed["count"] == 25
    assert len(age.observed["first_keys"]) == 10


def test_an_inventory_without_encryption_status_cannot_pass_the_kms_check(tmp_path: Path,
                                                                           default_policy: Policy) -> None:
    manifest = write_inventory(tmp_path, BUCKET, [Row("quality/2025/05/01/C.wav", ago(3))], "CSV", files=1)
    text = manifest.read_text()
    data = next((tmp_path / "inventory" / BUCKET / "recgov-daily" / "data").iterdir())
    # Rewrite the files without the EncryptionStatus column, as an inventory configured without it.
    import gzip

    lines = gzip.decompress(data.read_bytes()).decode().splitlines()
    data.write_bytes(gzip.compress(("\n".join(",".join(line.split(",")[:10] + line.split(",")[11:])
                                             for line in lines) + "\n").encode()))
    from governance.audit.layout import md5_file

    text = text.replace(", EncryptionStatus", "")
    import json

    doc = json.loads(text)
    doc["files"][0].update(size=data.stat().st_size, MD5checksum=md5_file(data))
    manifest.write_text(json.dumps(doc))
    (manifest.parent / "manifest.checksum").unlink()
    with open_inventory(str(manifest)) as inv:
        found = audit_inventory(inv, thresholds_for(default_policy, Purpose.QUALITY, AS_OF))
    kms = next(r for r in object_results(found, "x") if r.check == "RG-OBJ-KMS")
    assert kms.status is Status.ERROR
    assert "EncryptionStatus" in kms.message


@pytest.mark.parametrize("fmt", ["CSV", "Parquet"])
def test_age_histogram_counts_every_version_by_week(tmp_path: Path, default_policy: Policy, fmt: str) -> None:
    found = audit(tmp_path, default_policy, planted_rows(), fmt)
    # Versions only (delete markers are not recordings), binned by whole weeks of age at the audit date.
    expected: dict[int, int] = {}
    for row in planted_rows():
        if not row.delete_marker:
            week = int((AS_OF.replace(tzinfo=row.modified.tzinfo) - row.modified).total_seconds() // (7 * 86400))
            expected[week * 7] = expected.get(week * 7, 0) + 1
    assert {r["age_days"]: r["versions"] for r in found.ages} == expected
    assert sum(r["versions"] for r in found.ages) == found.aggregates["versions_count"]


def test_the_report_carries_the_age_table_and_the_html_draws_it(tmp_path: Path, default_policy: Policy) -> None:
    from governance.audit.run import InventoryTarget, Options, audit_objects
    from governance.report import render

    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=2)
    report = audit_objects(default_policy, [InventoryTarget(str(manifest), Purpose.QUALITY)], [],
                           Options(as_of=AS_OF))
    ages = report.tables["age_distribution"]
    assert {r["bucket"] for r in ages} == {BUCKET} and {r["limit_days"] for r in ages} == {90}
    page = render(report, "html")
    assert "<svg" in page and BUCKET in page
    without = dataclasses.replace(report, tables={"legal_holds": report.tables["legal_holds"]})
    assert "<svg" not in render(without, "html"), "the chart must come from the age table"
