"""Proportionality: agents at 25 %, 45 % and 100 %, proof without transactions, bad calls files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from governance.audit.errors import CallsFileError
from governance.audit.run import InventoryTarget, Options, proportionality_report
from governance.model import Severity, Status
from lifecycle.policy import Policy
from tests.governance.audit.inventories import Row, write_inventory

START = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
QUALITY = "recgov-dev-quality-0a1b"
PROOF = "recgov-dev-proof-0a1b"


def write_calls(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path.write_text("call_id,agent_id,started_at,transaction_id\n" + "".join(",".join(r) + "\n" for r in rows))
    return path


def scenario(tmp_path: Path) -> tuple[Path, list[InventoryTarget]]:
    """100 calls each for three agents in May; quality recordings of 25, 45 and 100 of them."""
    calls: list[tuple[str, str, str, str]] = []
    quality: list[Row] = []
    proof: list[Row] = []
    for agent, recorded in (("A25", 25), ("A45", 45), ("A100", 100)):
        for n in range(100):
            call = f"{agent}-{n:03d}"
            when = START + timedelta(hours=n * 6)
            tx = f"TX-{call}" if n % 10 == 0 else ""
            calls.append((call, agent, when.strftime("%Y-%m-%dT%H:%M:%SZ"), tx))
            key_day = when.strftime("%Y/%m/%d")
            if n < recorded:
                quality.append(Row(f"quality/{key_day}/{call}.wav", when))
                if n == 0:  # a second version of the same recording still counts one call
                    quality.append(Row(f"quality/{key_day}/{call}.wav", when + timedelta(minutes=1), "v2"))
            if n % 10 == 0 or (agent == "A45" and n in (1, 2)):  # A45-001 and -002 have no transaction
                proof.append(Row(f"proof/{key_day}/{call}.wav", when))
    # A recording dated in the period whose call the export lacks.
    quality.append(Row("quality/2025/05/10/GHOST-1.wav", START + timedelta(days=9)))
    q = write_inventory(tmp_path / "q", QUALITY, quality, "Parquet")
    p = write_inventory(tmp_path / "p", PROOF, proof, "CSV")
    return write_calls(tmp_path / "calls.csv", calls), [InventoryTarget(str(q)), InventoryTarget(str(p))]


def test_rates_per_agent_and_month(tmp_path: Path, default_policy: Policy) -> None:
    calls, inventories = scenario(tmp_path)
    report = proportionality_report(default_policy, calls, inventories, [], Options())
    table = {(r["agent_id"], r["month"]): r for r in report.tables["agent_months"]}
    # 100 calls at 6-hour intervals: all within May.
    may = {agent: table[(agent, "2025-05")] for agent in ("A25", "A45", "A100")}
    assert {a: (r["calls"], r["recordings"]) for a, r in may.items()} == {
        "A25": (100, 25), "A45": (100, 45), "A100": (100, 100)}
    assert may["A25"]["verdict"] == "within the sampling rate"
    rates = {r.resource: r for r in report.results if r.check == "RG-PROP-RATE" and r.status is Status.FAIL}
    assert set(rates) == {"agent A45 2025-05", "agent A100 2025-05"}
    assert rates["agent A45 2025-05"].severity is Severity.HIGH
    assert rates["agent A100 2025-05"].severity is Severity.CRITICAL
    assert rates["agent A100 2025-05"].citations[0].startswith("R1")
    assert any(r.check == "RG-PROP-RATE" and r.status is Status.PASS for r in report.results)


def test_proof_without_transaction_fails_and_unmatched_is_an_error(tmp_path: Path, default_policy: Policy) -> None:
    calls, inventories = scenario(tmp_path)
    report = proportionality_report(default_policy, calls, inventories, [], Options())
    proof = next(r for r in report.results if r.check == "RG-PROP-PROOF-TX")
    assert proof.status is Status.FAIL
    assert proof.observed["first_keys"] == ["proof/2025/05/01/A45-001.wav", "proof/2025/05/01/A45-002.wav"]
    unmatched = [r for r in report.results if r.check == "RG-PROP-UNMATCHED"]
    quality = next(r for r in unmatched if r.purpose == "quality")
    assert quality.status is Status.ERROR
    assert quality.observed["first_keys"] == ["quality/2025/05/10/GHOST-1.wav"]
    assert next(r for r in unmatched if r.purpose == "proof").status is Status.PASS
    assert report.summary.exit_code == 1


def test_a_stricter_policy_rate_is_applied(tmp_path: Path, default_policy: Policy) -> None:
    calls, inventories = scenario(tmp_path)
    report = proportionality_report(default_policy, calls, inventories, [], Options())
    assert all(r["max_rate"] == 0.25 for r in report.tables["agent_months"])  # the packaged policy's 25 %


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("call_id,agent_id,started_at\nC1,A,2025-05-01T08:00:00Z\n", "missing column transaction_id"),
        ("call,agent\nC1,A\n", "missing columns call_id, agent_id, started_at, transaction_id"),
        ("call_id,agent_id,started_at,transaction_id\nC1,A,01/05/2025 08:00,\n", "not ISO 8601 UTC"),
        ("call_id,agent_id,started_at,transaction_id\nC1,A,2025-05-01T08:00:00+02:00,\n", "not ISO 8601 UTC"),
        ("call_id,agent_id,started_at,transaction_id\nC1,A,2025-13-01T08:00:00Z,\n", "not ISO 8601 UTC"),
        ("call_id,agent_id,started_at,transaction_id\nC1,,2025-05-01T08:00:00Z,\n", "empty call_id or agent_id"),
        ("call_id,agent_id,started_at,transaction_id\n", "no calls"),
        ("call_id,agent_id,started_at,transaction_id\nC1,A,2025-05-01T08:00:00Z,\nC1,B,2025-05-01T09:00:00Z,\n",
         "appears 2 times"),
    ],
)
def test_bad_calls_file_is_refused_in_one_sentence(tmp_path: Path, default_policy: Policy, content: str,
                                                   words: str) -> None:
    _, inventories = scenario(tmp_path)
    calls = tmp_path / "bad.csv"
    calls.write_text(content)
    with pytest.raises(CallsFileError) as err:
        proportionality_report(default_policy, calls, inventories, [], Options())
    assert words in str(err.value)
    assert "\n" not in str(err.value)
