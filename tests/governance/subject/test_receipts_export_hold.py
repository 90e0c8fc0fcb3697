"""Receipts are write-once and paired; exports are checked; holds replay their cases; finds read locks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from governance.subject.export import ExportError, check_out_dir, export, exportable, write_manifest
from governance.subject.find import find
from governance.subject.hold import open_holds, set_hold
from governance.subject.notice import render_html, render_markdown
from governance.subject.receipts import Caller, Receipt, ReceiptError, ReceiptStore, pair, read_receipts
from governance.subject.render import document, render
from governance.subject.stored import Scope
from lifecycle.loader import load_policy
from tests.governance.subject.fakes import FakeS3

POLICY = load_policy()
CALLER = Caller("arn:aws:sts::123456789012:assumed-role/dpo/x", "123456789012", "AID")


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        for name in ("evidence", "quality"):
            client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
        yield client


def test_receipts_are_written_once_intent_first_and_listed_in_pairs(s3: Any) -> None:
    receipt = Receipt(ReceiptStore(s3, "evidence", CALLER), "erase", CALLER, ["C1"], POLICY.digest, reason="objection")
    with pytest.raises(ReceiptError):
        receipt.write_outcome([], {"status": "erased"})  # never an outcome without its intent
    receipt.write_intent([{"key": "k"}])
    with pytest.raises(ReceiptError, match="already exists"):
        receipt.write_intent([{"key": "k"}])
    receipt.write_outcome([{"key": "k", "result": "removed"}], {"status": "erased"})
    [row] = pair(list(read_receipts(s3, "evidence")))
    assert row["intent"]["phase"] == "intent" and row["outcome"]["result"]["status"] == "erased"
    assert row["outcome"]["intent_sha256"].startswith("sha256:") and row["outcome"]["caller"]["arn"] == CALLER.arn


def test_an_unwritable_receipt_refuses_the_action(s3: Any) -> None:
    receipt = Receipt(ReceiptStore(s3, "no-such-bucket", CALLER), "export", CALLER, ["C1"], POLICY.digest)
    with pytest.raises(ReceiptError, match="could not be written"):
        receipt.write_intent([])


def test_export_streams_and_writes_manifest_and_notice(s3: Any, tmp_path: Path) -> None:
    key = "quality/2026/11/20/C1.wav"
    s3.put_object(Bucket="quality", Key=key, Body=b"old")
    s3.put_object(Bucket="quality", Key=key, Body=b"RIFF" * 300_000)
    found = find(s3, [Scope("quality", POLICY["quality"])], ["C1"])
    chosen = exportable(found.versions)
    assert len(found.versions) == 2 and len(chosen) == 1
    files = export(s3, chosen, POLICY, tmp_path / "out")
    [f] = files
    assert f.size == 1_200_000 and (tmp_path / "out" / f.path).stat().st_size == f.size
    write_manifest(tmp_path / "out", files, {"call_ids": ["C1"]})
    entry = json.loads((tmp_path / "out" / "manifest.json").read_text())["files"][0]
    assert entry["source"] == f"s3://quality/{key}" and entry["legal_basis"] == POLICY["quality"].legal_basis
    meta = {"generated_at": "now", "policy_digest": POLICY.digest}
    assert "Quality and training team" in render_markdown(POLICY, files, ["C1"], meta)
    assert render_html(POLICY, files, ["<C1>"], meta).count("&lt;C1&gt;") == 1
    with pytest.raises(ExportError):
        check_out_dir(tmp_path / "out")


def test_find_records_unreadable_buckets_and_locks() -> None:
    s3 = FakeS3(deny=frozenset({"hold", "retention"}))
    s3.add("q", "quality/2026/11/20/C1.wav", "v1")
    found = find(s3, [Scope("q", POLICY["quality"])], ["C1"])
    assert not found.complete and "legal hold (AccessDenied)" in (found.versions[0].lock_error or "")
    s3 = FakeS3(deny=frozenset({"list"}))
    found = find(s3, [Scope("q", POLICY["quality"])], ["C1"])
    assert found.unreadable and "ListBucketVersions" in found.unreadable[0]


def _row(action: str, case: str, result: str, at: str) -> dict[str, Any]:
    return {"outcome": {"action": action, "case": case, "started_at": at, "receipt_id": at,
                        "versions": [{"bucket": "p", "key": "k", "version_id": "v", "result": result}]}}


def test_holds_replay_cases_and_release_keeps_other_cases() -> None:
    rows = [_row("hold-place", "A", "held", "1"), _row("hold-place", "B", "held", "2")]
    held = open_holds(rows)
    assert [c.case for c in held[("p", "k", "v")]] == ["A", "B"]
    assert open_holds([*rows, _row("hold-release", "A", "kept", "3")])[("p", "k", "v")][0].case == "B"
    assert open_holds([*rows, _row("hold-release", "A", "kept", "3"), _row("hold-release", "B", "released", "4")]) == {}
    s3 = FakeS3()
    s3.add("p", "proof/2026/11/20/C1.wav", "v")
    [v] = find(s3, [Scope("p", POLICY["proof"])], ["C1"]).versions
    outcome = set_hold(s3, [v], False, {v.ident: ["B"]})
    assert outcome.kept and not outcome.done
    assert set_hold(s3, [v], True).done == [v] and s3.holds[v.ident] == "ON"


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_render_formats(fmt: str) -> None:
    doc = document("subject find", "sha256:x", "q=quality", ["C1"], [{"key": "k|x", "legal_hold": True}],
                   {"versions": 1}, ["a note"])
    text = render(doc, ("key", "legal_hold"), fmt)
    assert "a note" in text and ("k\\|x" in text if fmt == "markdown" else "k|x" in text)
