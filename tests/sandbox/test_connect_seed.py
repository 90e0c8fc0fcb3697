"""The demo's Amazon Connect data: keys in Connect's layout, records the parser accepts, redeliveries by day."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from governance.audit.contact_records import record_problem
from lifecycle.layouts import layout
from sandbox.calls import synthetic_calls
from sandbox.connect_seed import KEY_PREFIX, connect_key, contact_deliveries, contact_id, write_contact_records

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def test_keys_follow_the_amazon_connect_layout() -> None:
    call = replace(synthetic_calls(1, seed=7, now=NOW)[0], call_id=contact_id("CALL-007-00001"))
    parsed = layout("amazon-connect").parse(connect_key(KEY_PREFIX, call), KEY_PREFIX)
    assert parsed is not None and parsed.call_id == call.call_id
    assert contact_id("CALL-007-00001") == call.call_id  # stable across runs


def test_deliveries_are_valid_records_redelivered_in_later_files(tmp_path: Path) -> None:
    calls = [replace(c, call_id=contact_id(c.call_id)) for c in synthetic_calls(22, seed=7, now=NOW)]
    handled, others = calls[:20], calls[20:]
    located = {handled[1].call_id: f"bucket/{connect_key(KEY_PREFIX, handled[1])}"}
    deliveries = contact_deliveries(handled, located, others)
    assert all(record_problem(d) is None for d in deliveries)
    latest = {d["ContactId"]: d for d in sorted(deliveries, key=lambda d: d["LastUpdateTimestamp"])}
    assert latest[handled[1].call_id]["Recording"]["Location"] == located[handled[1].call_id]
    assert {d["Channel"] for d in deliveries} == {"VOICE", "CHAT"}
    assert any(d["Agent"] is None for d in deliveries)
    files = write_contact_records(deliveries, tmp_path)
    assert all(f.relative_to(tmp_path).parts[0].startswith("year=") for f in files)
    read = [json.loads(line) for f in files for line in gzip.decompress(f.read_bytes()).splitlines()]
    assert len(read) == len(deliveries) > len({d["ContactId"] for d in deliveries})
    def records_of(prefix: str) -> list[dict[str, str]]:
        return [json.loads(line) for f in files if f.name.startswith(prefix)
                for line in gzip.decompress(f.read_bytes()).splitlines()]

    first = {r["ContactId"]: r["LastUpdateTimestamp"] for r in records_of("recgov-ctr-1-")}
    again = records_of("recgov-ctr-2-")
    assert again and all(r["LastUpdateTimestamp"] > first[r["ContactId"]] for r in again)
