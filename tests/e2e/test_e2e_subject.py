"""Data-subject requests end to end: the deployed program, recordings written as the recorder writes
them, and the installed ``recgov`` acting as each purpose's roles (find, export, erase, hold, receipts).

moto applies a bucket policy's conditional denies to every caller (it has no request context), so
the policies are detached for the module, as the seeder does; who may act is then decided by the
roles' identity policies and by recgov's own check of the caller against the stack's principals.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.seed import bucket_policies_lifted
from tests.e2e.conftest import Deployed

pytestmark = [pytest.mark.e2e, pytest.mark.emulators("moto", "localstack")]
RECGOV = str(Path(sys.executable).parent / "recgov")
DAY = "2026/11/20"


@pytest.fixture(scope="module")
def stack(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Recordings of C1 (two quality versions and a proof one), C10 and C2, the policies detached."""
    s3 = deployed.client("s3")
    outputs = deployed.outputs
    path = tmp_path_factory.mktemp("subject") / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    written: dict[str, list[tuple[str, str]]] = {}
    with bucket_policies_lifted(s3, list(outputs["buckets"].values())):
        for purpose, call, body in [("quality", "C1", b"RIFF-one"), ("quality", "C1", b"RIFF-one-again"),
                                    ("quality", "C10", b"RIFF-ten"), ("quality", "C2", b"RIFF-two"),
                                    ("proof", "C1", b"RIFF-proof"), ("proof", "C10", b"RIFF-proof-ten")]:
            key = f"{purpose}/{DAY}/{call}.wav"
            put = s3.put_object(Bucket=deployed.bucket(purpose), Key=key, Body=body,
                                ServerSideEncryption="aws:kms", SSEKMSKeyId=outputs["keyArns"][purpose])
            written.setdefault(call, []).append((key, put["VersionId"]))
        yield {"outputs": str(path), "written": written, "deployed": deployed}


def as_role(deployed: Deployed, role_arn: str) -> dict[str, str]:
    creds = deployed.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="e2e")["Credentials"]
    return {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"]}


def role(stack: dict[str, Any], purpose: str, kind: str) -> dict[str, str]:
    deployed: Deployed = stack["deployed"]
    return as_role(deployed, deployed.outputs["roleArns"][purpose][kind])


def recgov(stack: dict[str, Any], creds: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    deployed: Deployed = stack["deployed"]
    env = {**os.environ, **creds, "AWS_ENDPOINT_URL": deployed.emulator.endpoint_url,
           "AWS_DEFAULT_REGION": deployed.emulator.region}
    done = subprocess.run([RECGOV, *args, "--stack-outputs", stack["outputs"], "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def versions(stack: dict[str, Any], purpose: str, call: str) -> set[str]:
    deployed: Deployed = stack["deployed"]
    listing = deployed.client("s3").list_object_versions(Bucket=deployed.bucket(purpose),
                                                         Prefix=f"{purpose}/{DAY}/{call}.")
    return {v["VersionId"] for v in listing.get("Versions", []) if v["Key"] == f"{purpose}/{DAY}/{call}.wav"}


def receipts(stack: dict[str, Any]) -> list[str]:
    deployed: Deployed = stack["deployed"]
    listing = deployed.client("s3").list_objects_v2(Bucket=deployed.bucket("evidence"), Prefix="subject-receipts/")
    return [o["Key"] for o in listing.get("Contents", [])]


def test_find_is_exact_on_the_call_id_and_reads_each_lock(stack: dict[str, Any]) -> None:
    auditor = as_role(stack["deployed"], stack["deployed"].outputs["auditorRoleArn"])
    code, doc, err = recgov(stack, auditor, "subject", "find", "--call-id", "C1")
    assert code == 0, (err, doc["notes"])
    assert {r["call_id"] for r in doc["rows"]} == {"C1"}
    assert sorted(r["purpose"] for r in doc["rows"]) == ["proof", "quality", "quality"]
    proof = next(r for r in doc["rows"] if r["purpose"] == "proof")
    assert proof["lock_mode"] == "COMPLIANCE" and proof["retain_until"] and proof["legal_hold"] is False
    assert all(r["lifecycle_end"] for r in doc["rows"])
    code, doc, _ = recgov(stack, auditor, "subject", "find", "--call-id", "NOPE")
    assert code == 0 and doc["rows"] == [] and "no stored version of call NOPE" in doc["notes"][0]


def contact_record(contact: str, number: str) -> dict[str, Any]:
    return {"ContactId": contact, "Channel": "VOICE", "InitiationTimestamp": "2026-11-20T09:30:00Z",
            "LastUpdateTimestamp": "2026-11-20T09:40:00Z", "Agent": None,
            "CustomerEndpoint": {"Address": number, "Type": "TELEPHONE_NUMBER"}}


def test_find_by_customer_number_resolves_the_contact_records(stack: dict[str, Any], tmp_path: Path) -> None:
    records = [contact_record("C1", "+33 1 23 45 67 89"), contact_record("C10", "+331234567890"),
               contact_record("C2", "+44123456789")]
    local = tmp_path / "ctr.json.gz"
    local.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    deployed: Deployed = stack["deployed"]
    s3 = deployed.client("s3")
    region = deployed.emulator.region
    s3.create_bucket(Bucket="e2e-contact-records", **({} if region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": region}}))
    s3.put_object(Bucket="e2e-contact-records", Key="ctr/2026/11/20/part-1", Body=local.read_bytes())
    auditor = as_role(deployed, deployed.outputs["auditorRoleArn"])
    for where, creds in ((str(local), auditor), ("s3://e2e-contact-records/ctr/", {})):
        code, doc, err = recgov(stack, creds, "subject", "find", "--customer-number", "+33123456789",
                                "--contact-records", where)
        assert code == 0, (err, doc.get("notes"))
        assert doc["call_ids"] == ["C1"] and {r["call_id"] for r in doc["rows"]} == {"C1"}
        assert sorted(r["purpose"] for r in doc["rows"]) == ["proof", "quality", "quality"]
        assert f"customer number +33123456789: contacts C1 (CustomerEndpoint.Address in {where})." in doc["notes"]
    code, doc, _ = recgov(stack, auditor, "subject", "find", "--customer-number", "+49301234567",
                          "--contact-records", str(local))
    assert code == 0 and doc["rows"] == [] and "no contact of customer number +49301234567" in doc["notes"][0]
    before = versions(stack, "quality", "C2")
    code, _, err = recgov(stack, {}, "subject", "erase", "--customer-number", "+49301234567", "--contact-records",
                          str(local), "--reason", "objection", "--execute")
    assert code == 2 and err.count("\n") == 1 and "Nothing was erased." in err
    for args in (("--customer-number", "0123456789", "--contact-records", str(local)),
                 ("--customer-number", "+33123456789"),
                 ("--customer-number", "+33123456789", "--contact-records", str(tmp_path / "absent"))):
        code, _, err = recgov(stack, {}, "subject", "find", *args)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, args
    assert versions(stack, "quality", "C2") == before


def test_bad_call_ids_are_refused_before_anything(stack: dict[str, Any]) -> None:
    for bad in ("C1/..", "C*", "../C1", "a/b"):
        code, _, err = recgov(stack, {}, "subject", "erase", "--call-id", bad, "--reason", "objection", "--execute")
        assert code == 2 and err.count("\n") == 1 and "--call-id" in err
    code, _, err = recgov(stack, role(stack, "quality", "erasure"), "subject", "erase", "--call-id", "NOPE",
                          "--reason", "objection", "--purpose", "quality", "--execute")
    assert code == 2 and "no stored version of call NOPE" in err


def test_export_streams_checks_and_explains(stack: dict[str, Any], tmp_path: Path) -> None:
    before = len(receipts(stack))
    out = tmp_path / "request"
    code, doc, err = recgov(stack, role(stack, "quality", "reader"), "subject", "export", "--call-id", "C1",
                            "--purpose", "quality", "--out", str(out))
    assert code == 0 and doc["summary"]["files"] == 1, err
    manifest = json.loads((out / "manifest.json").read_text())
    [entry] = manifest["files"]
    assert (out / entry["path"]).read_bytes() == b"RIFF-one-again"
    assert entry["version_id"] == stack["written"]["C1"][1][1] and entry["purpose"] == "quality"
    assert entry["legal_basis"].startswith("Legitimate interest") and entry["retention_end"]
    assert "Art. 15(1)(c)" in (out / "notice.md").read_text() and "<h2>" in (out / "notice.html").read_text()
    assert len(receipts(stack)) == before + 2  # intent and outcome
    code, _, err = recgov(stack, role(stack, "quality", "reader"), "subject", "export", "--call-id", "C1",
                          "--purpose", "quality", "--out", str(out))
    assert code == 2 and "not an empty directory" in err


def test_a_caller_without_the_role_gets_one_sentence_and_nothing_changes(stack: dict[str, Any]) -> None:
    """The quality reader may not assume the erasure role or the dispute team's (its identity policy has
    no sts:AssumeRole): with the emulator's IAM enforcement on, recgov stops before any receipt."""
    deployed: Deployed = stack["deployed"]
    if deployed.emulator.name != "moto":
        pytest.skip(f"{deployed.emulator.name} does not enforce IAM (its open-source core has no IAM enforcement)")
    before, stored = receipts(stack), versions(stack, "quality", "C1")
    reader = role(stack, "quality", "reader")
    deployed.emulator.enforce_iam(True)
    try:
        code, _, err = recgov(stack, reader, "subject", "erase", "--call-id", "C1", "--reason", "objection",
                              "--purpose", "quality", "--execute")
        assert code == 3 and err.count("\n") == 1 and "quality erasure role" in err, err
        assert "Nothing was done" in err
        code, _, err = recgov(stack, reader, "hold", "place", "--call-id", "C1", "--case", "D-1", "--purpose", "proof")
        assert code == 3 and err.count("\n") == 1 and "proof dispute team" in err, err
    finally:
        deployed.emulator.enforce_iam(False)
    assert receipts(stack) == before and versions(stack, "quality", "C1") == stored


def test_hold_place_list_and_release_keep_the_case(stack: dict[str, Any]) -> None:
    dispute = role(stack, "proof", "reader")
    code, doc, err = recgov(stack, dispute, "hold", "place", "--call-id", "C1", "--case", "D-7", "--purpose", "proof")
    assert code == 0, err
    assert [r["result"] for r in doc["rows"]] == ["held"]
    code, doc, _ = recgov(stack, dispute, "hold", "place", "--call-id", "C1", "--case", "D-8", "--purpose", "proof")
    assert code == 0
    code, doc, err = recgov(stack, role(stack, "evidence", "reader"), "hold", "list")
    assert code == 0, err
    [held] = doc["rows"]
    assert held["cases"] == ["D-7", "D-8"] and held["legal_hold"] == "ON" and held["age_days"] == 0
    code, doc, err = recgov(stack, dispute, "hold", "release", "--call-id", "C1", "--case", "D-7",
                            "--purpose", "proof")
    assert code == 0 and doc["rows"][0]["result"] == "kept" and doc["rows"][0]["other_cases"] == ["D-8"], err
    code, doc, _ = recgov(stack, role(stack, "quality", "erasure"), "subject", "find", "--call-id", "C1",
                          "--purpose", "proof")
    assert doc["rows"][0]["legal_hold"] is True
    code, doc, err = recgov(stack, dispute, "hold", "release", "--call-id", "C1", "--case", "D-8",
                            "--purpose", "proof")
    assert code == 0 and doc["rows"][0]["result"] == "released", err
    code, doc, _ = recgov(stack, role(stack, "evidence", "reader"), "hold", "list")
    assert code == 0 and doc["rows"] == []


def test_erase_plans_refusals_then_removes_and_proves(stack: dict[str, Any]) -> None:
    eraser = role(stack, "quality", "erasure")
    code, doc, err = recgov(stack, eraser, "subject", "erase", "--call-id", "C1", "--reason", "objection",
                            "--purpose", "quality")
    assert code == 0, err
    assert {r["action"] for r in doc["rows"]} == {"remove"} and len(doc["rows"]) == 2
    assert all(r["bypass_governance"] for r in doc["rows"])
    assert versions(stack, "quality", "C1")  # a plan changes nothing
    # A person whose own identity may assume the stack's roles erases through each purpose's erasure role.
    code, doc, err = recgov(stack, {}, "subject", "erase", "--call-id", "C1", "--reason", "objection", "--execute")
    assert code == 0, err
    assert {(r["purpose"], r["result"]) for r in doc["rows"]} == {("quality", "removed"), ("proof", "kept")}
    assert versions(stack, "quality", "C1") == set()
    assert versions(stack, "quality", "C10") and versions(stack, "quality", "C2")  # never another call's
    auditor = as_role(stack["deployed"], stack["deployed"].outputs["auditorRoleArn"])
    code, doc, err = recgov(stack, auditor, "subject", "erase", "--call-id", "C1", "--reason", "erasure",
                            "--purpose", "proof")
    assert code == 0 and doc["rows"][0]["action"] == "keep"
    assert "Art. 17(3)(e)" in doc["rows"][0]["refusal"] and "under legal hold" not in doc["rows"][0]["refusal"]
    code, doc, err = recgov(stack, {}, "subject", "receipts")
    assert code == 0 and {r["action"] for r in doc["rows"]} >= {"export", "erase", "hold-place"}
    assert all(r["status"] != "no outcome" for r in doc["rows"])
    erase = next(r for r in doc["rows"] if r["action"] == "erase")
    outcome = json.loads(stack["deployed"].client("s3").get_object(
        Bucket=stack["deployed"].bucket("evidence"), Key=erase["outcome"])["Body"].read())
    assert "quality-erasure" in outcome["acting_as"]["quality"] and outcome["result"]["status"] == "erased"
