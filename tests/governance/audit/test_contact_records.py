"""Amazon Connect contact records as the calls: formats, deduplication, the join by location, bad input."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from governance.audit.contact_records import load_contact_records, record_files
from governance.audit.errors import AuditInputError, ContactRecordsError
from governance.audit.run import InventoryTarget, Options, proportionality_report
from governance.audit.source import connect
from governance.cli import main
from governance.model import Status
from lifecycle.loader import load_policy
from lifecycle.policy import Policy
from tests.governance.audit.inventories import Row, write_inventory

QUALITY = "acme-quality-0a1b"
PREFIX = "connect/acme/CallRecordings"
START = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
AS_OF = datetime(2025, 6, 1)


def _no_s3() -> Any:
    raise AssertionError("no S3 client is needed for local contact records")


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def recording_key(contact: str, when: datetime) -> str:
    return f"{PREFIX}/{when:%Y/%m/%d}/{contact}_{when:%Y%m%dT%H:%M}_UTC.wav"


def record(contact: str, agent: str | None, when: datetime, *, updated: timedelta = timedelta(minutes=10),
           location: str | None = None, channel: str = "VOICE", tx: str | None = None) -> dict[str, Any]:
    """A contact record with the fields Connect writes (the ones read and a few others)."""
    rec: dict[str, Any] = {
        "AWSAccountId": "111122223333", "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "Agent": None if agent is None else {"ARN": f"arn:aws:connect:eu-west-3:111122223333:agent/{agent}",
                                             "Username": agent, "HierarchyGroups": None},
        "Attributes": {"transaction_id": tx} if tx else {},
        "Channel": channel, "ContactId": contact, "InitiationMethod": "INBOUND",
        "InitiationTimestamp": iso(when), "LastUpdateTimestamp": iso(when + updated),
        "CustomerEndpoint": {"Address": "+33100000000", "Type": "TELEPHONE_NUMBER"},
        "Recording": None, "Recordings": None,
    }
    if location:
        rec["Recording"] = {"DeletionReason": None, "Location": location, "Status": "AVAILABLE", "Type": "AUDIO"}
        rec["Recordings"] = [{"DeletionReason": None, "Location": location, "MediaStreamType": "AUDIO",
                              "ParticipantType": "AGENT", "StartTimestamp": iso(when), "Status": "AVAILABLE",
                              "StorageType": "S3"}]
    return rec


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def concatenated(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) for r in records).encode()


def gzipped_jsonl(records: list[dict[str, Any]]) -> bytes:
    return gzip.compress(jsonl(records))


def load(con: Any, path: Path) -> Any:
    with record_files(str(path), _no_s3) as files:
        return load_contact_records(con, files, str(path))


@pytest.mark.parametrize("encode", [jsonl, concatenated, gzipped_jsonl], ids=["jsonl", "concatenated", "gzip"])
def test_every_format_gives_the_same_calls(tmp_path: Path, encode: Callable[[list[dict[str, Any]]], bytes]) -> None:
    folder = tmp_path / "year=2025" / "month=05" / "day=01"
    folder.mkdir(parents=True)
    # No suffix: Firehose objects carry none; gzip is told by the bytes.
    (folder / "acme-ctr-1-2025-05-01-08-00-00-abcd").write_bytes(encode([
        record("c1", "alice", START, tx="TX-1"), record("c2", "bob", START + timedelta(hours=1)),
        record("chat-1", "alice", START, channel="CHAT")]))
    con = connect()
    loaded = load(con, tmp_path)
    assert (loaded.files, loaded.deliveries, loaded.contacts, loaded.calls) == (1, 3, 3, 2)
    rows = con.execute("SELECT call_id, agent_id, started_at, transaction_id FROM calls ORDER BY 1").fetchall()
    assert rows == [("c1", "alice", datetime(2025, 5, 1, 8, 0), "TX-1"),
                    ("c2", "bob", datetime(2025, 5, 1, 9, 0), None)]


def test_lines_of_concatenated_objects_are_read(tmp_path: Path) -> None:
    """JSON Lines at first, then a line holding two objects (a delimiter processor added mid-stream)."""
    records = [record(f"c{n}", "alice", START + timedelta(minutes=n)) for n in range(40)]
    (tmp_path / "mixed").write_bytes(jsonl(records[:30]) + concatenated(records[30:]) + b"\n")
    loaded = load(connect(), tmp_path)
    assert (loaded.deliveries, loaded.calls) == (40, 40)


def test_duplicates_keep_the_latest_delivery_whatever_the_file_order(tmp_path: Path) -> None:
    late = record("c1", "bob", START, updated=timedelta(hours=2), tx="TX-9")
    early = record("c1", "alice", START, updated=timedelta(minutes=5))
    (tmp_path / "a.json").write_bytes(jsonl([late, record("c2", "carol", START)]))
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(concatenated([early, early])))
    con = connect()
    loaded = load(con, tmp_path)
    assert (loaded.deliveries, loaded.contacts) == (4, 2)
    latest = con.execute("SELECT agent_id, transaction_id FROM calls WHERE call_id = 'c1'").fetchall()
    assert latest == [("bob", "TX-9")]


def test_a_contact_no_agent_handled_is_in_no_rate(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_bytes(jsonl([record("ivr-1", None, START), record("c1", "alice", START)]))
    con = connect()
    loaded = load(con, tmp_path)
    assert (loaded.calls, loaded.unattended) == (1, 1)


def test_an_offset_is_converted_to_utc_months(tmp_path: Path) -> None:
    rec = record("c1", "alice", START)
    rec["InitiationTimestamp"] = "2025-05-01T01:30:00+02:00"  # 30 April in UTC
    (tmp_path / "r.json").write_bytes(jsonl([rec]))
    con = connect()
    load(con, tmp_path)
    assert con.execute("SELECT started_at FROM calls").fetchall() == [(datetime(2025, 4, 30, 23, 30),)]


def _without(field: str) -> dict[str, Any]:
    rec = record("c2", "bob", START)
    del rec[field]
    return rec


def _with(**changes: Any) -> dict[str, Any]:
    return {**record("c2", "bob", START), **changes}


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (_without("ContactId"), "line 2: the contact record has no ContactId"),
        (_without("InitiationTimestamp"), "line 2: the contact record has no InitiationTimestamp"),
        (_without("LastUpdateTimestamp"), "line 2: the contact record has no LastUpdateTimestamp"),
        (_with(InitiationTimestamp="2025-05-01T08:00:00"), "line 2: the contact record has InitiationTimestamp "
                                                           "'2025-05-01T08:00:00' without a time zone"),
        (_with(LastUpdateTimestamp="2025-05-01 08:00"), "without a time zone"),
        (_with(InitiationTimestamp="2025-05-01"), "has InitiationTimestamp '2025-05-01' without a time zone"),
        (_with(Agent={"ARN": "arn:aws:connect:eu-west-3:1:agent/x"}), "line 2: the contact record has an Agent "
                                                                     "without a Username"),
        (_with(Agent="bob"), "line 2: the contact record has an Agent that is not a JSON object"),
    ],
    ids=["contact-id", "initiation", "last-update", "no-zone", "no-zone-update", "date-only", "agent-username",
         "agent-type"],
)
def test_a_bad_record_is_refused_naming_file_and_line(tmp_path: Path, bad: dict[str, Any], words: str) -> None:
    (tmp_path / "good.json").write_bytes(jsonl([record("c0", "alice", START)]))
    (tmp_path / "z.json").write_bytes(jsonl([record("c1", "alice", START), bad]))
    with pytest.raises(ContactRecordsError) as err:
        load(connect(), tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'z.json'} ")
    assert words in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_a_file_that_is_not_json_is_refused_naming_file_and_line(tmp_path: Path, gz: bool) -> None:
    text = jsonl([record("c1", "alice", START)]) + b"\n<html>not json</html>\n"
    (tmp_path / "r").write_bytes(gzip.compress(text) if gz else text)
    with pytest.raises(ContactRecordsError, match=r"/r line 3: not JSON \(Expecting value\)"):
        load(connect(), tmp_path)


def test_missing_paths_and_empty_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ContactRecordsError, match="no such file or directory"):
        load(connect(), tmp_path / "nope")
    with pytest.raises(ContactRecordsError, match="holds no contact records"):
        load(connect(), tmp_path)
    (tmp_path / "empty.json").write_bytes(b"")
    with pytest.raises(ContactRecordsError, match="no contact record in 1 files"):
        load(connect(), tmp_path)


def connect_policy() -> Policy:
    return load_policy(None, {"quality": {"layout": "amazon-connect", "keyPrefix": PREFIX}})


def test_recordings_join_by_location_then_by_key_with_findings(tmp_path: Path) -> None:
    """Agent A: 4 calls, 2 recorded (one whose file name is not its contact id, joined by location).
    Agent B: 2 calls, 2 recorded by key only (no location in the records): 100 %. A record locates a
    recording the bucket does not hold, and one in a bucket nobody audits."""
    records, rows = [], []
    for n in range(4):
        when = START + timedelta(hours=n)
        contact = f"a-{n}"
        key = recording_key(f"renamed-{n}" if n == 0 else contact, when)
        located = f"{QUALITY}/{key}" if n < 2 else None
        if n < 2:
            rows.append(Row(key, when))
        if n == 2:
            located = f"{QUALITY}/{recording_key(contact, when)}"  # recorded, not in the bucket
        if n == 3:
            located = f"other-bucket/{recording_key(contact, when)}"
        records.append(record(contact, "A", when, location=located))
    for n in range(2):
        when = START + timedelta(days=1, hours=n)
        records.append(record(f"b-{n}", "B", when))
        rows.append(Row(recording_key(f"b-{n}", when), when))
    records.append(record("a-0", "A", START, updated=timedelta(minutes=1)))  # an older duplicate
    (tmp_path / "ctr.json.gz").write_bytes(gzipped_jsonl(records))
    inventory = write_inventory(tmp_path / "inv", QUALITY, rows, "Parquet")
    report = proportionality_report(connect_policy(), None, [InventoryTarget(str(inventory))], [],
                                    Options(as_of=AS_OF), contact_records=str(tmp_path / "ctr.json.gz"))
    table = {r["agent_id"]: (r["calls"], r["recordings"]) for r in report.tables["agent_months"]}
    assert table == {"A": (4, 2), "B": (2, 2)}
    by_check = {r.check: r for r in report.results if r.check != "RG-PROP-RATE"}
    assert by_check["RG-PROP-UNMATCHED"].status is Status.PASS
    missing = by_check["RG-PROP-LOCATION-MISSING"]
    assert missing.status is Status.FAIL
    assert missing.observed["first_keys"] == [f"s3://{QUALITY}/{recording_key('a-2', START + timedelta(hours=2))}"]
    unaudited = by_check["RG-PROP-LOCATION-UNAUDITED"]
    assert unaudited.status is Status.ERROR and unaudited.observed["buckets"] == {"other-bucket": 1}
    assert report.target["contact_records"] == str(tmp_path / "ctr.json.gz")
    assert report.target["deliveries"] == 7 and report.target["contacts"] == 6
    assert report.summary.exit_code == 1


def test_missing_recordings_older_than_the_retention_are_expected(tmp_path: Path) -> None:
    old = START - timedelta(days=200)
    (tmp_path / "r.json").write_bytes(jsonl([record("c1", "A", old, location=f"{QUALITY}/{recording_key('c1', old)}")]))
    inventory = write_inventory(tmp_path / "inv", QUALITY, [Row(recording_key("x", START), START)], "Parquet")
    report = proportionality_report(connect_policy(), None, [InventoryTarget(str(inventory))], [],
                                    Options(as_of=AS_OF), contact_records=str(tmp_path / "r.json"))
    assert next(r for r in report.results if r.check == "RG-PROP-LOCATION-MISSING").status is Status.PASS


def test_the_transaction_attribute_is_configurable(tmp_path: Path) -> None:
    rec = record("c1", "A", START)
    rec["Attributes"] = {"orderNumber": "ORD-7", "transaction_id": "ignored"}
    (tmp_path / "r.json").write_bytes(jsonl([rec]))
    con = connect()
    with record_files(str(tmp_path), _no_s3) as files:
        load_contact_records(con, files, str(tmp_path), "orderNumber")
    assert con.execute("SELECT transaction_id FROM calls").fetchall() == [("ORD-7",)]


def test_exactly_one_calls_source(tmp_path: Path, default_policy: Policy) -> None:
    with pytest.raises(AuditInputError, match="exactly one of --calls CSV and --contact-records PATH"):
        proportionality_report(default_policy, None, [], [], Options())
    runner = CliRunner()
    both = runner.invoke(main, ["proportionality", "--calls", str(tmp_path / "c.csv"), "--contact-records",
                                str(tmp_path), "--bucket", "b=quality"])
    neither = runner.invoke(main, ["proportionality", "--bucket", "b=quality"])
    for result in (both, neither):
        assert result.exit_code == 2
        assert "exactly one of --calls CSV and --contact-records PATH" in result.output


def test_the_cli_refuses_a_bad_record_in_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_bytes(jsonl([record("c1", "A", START), _without("ContactId")]))
    result = CliRunner().invoke(main, ["proportionality", "--contact-records", str(tmp_path / "r.json"),
                                       "--bucket", f"{QUALITY}=quality"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "r.json line 2: the contact record has no ContactId" in result.output
