"""Proportionality: agents at 25 %, 45 % and 100 %, proof without transactions, bad calls files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from moto import mock_aws

from governance.audit.errors import CallsFileError
from governance.audit.run import InventoryTarget, Options, proportionality_report
from governance.cli import main
from governance.model import ExitCode, Severity, Status
from governance.targets import Target
from lifecycle.legal import Purpose
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


class _Unlistable:
    """An S3 client every call of which is refused, as for a bucket the caller may not list."""

    def __getattr__(self, name: str) -> Any:
        def refused(*_args: Any, **_kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, name)
        return refused


def test_a_bucket_that_cannot_be_listed_is_unverified_and_the_others_are_judged(tmp_path: Path,
                                                                                 default_policy: Policy) -> None:
    calls, inventories = scenario(tmp_path)
    proof_only = [i for i in inventories if "/p/" in i.location]
    report = proportionality_report(default_policy, calls, proof_only, [Target(QUALITY, Purpose.QUALITY)],
                                    Options(), s3_factory=_Unlistable)
    quality = [r for r in report.results if r.purpose == "quality"]
    assert {r.check for r in quality} == {"RG-PROP-RATE", "RG-PROP-UNMATCHED"}
    assert all(r.status is Status.ERROR and r.resource == f"s3://{QUALITY}" and "AccessDenied" in r.message
               and "could not be listed" in r.message for r in quality)
    assert "agent_months" not in report.tables  # no rate from a bucket whose recordings are unknown
    proof = {r.check: r.status for r in report.results if r.purpose == "proof"}
    assert proof["RG-PROP-PROOF-TX"] is Status.FAIL  # the listed purpose is still judged
    assert report.summary.exit_code is ExitCode.VIOLATION


def test_an_unlistable_bucket_alone_makes_the_run_unverifiable_not_a_usage_error(tmp_path: Path,
                                                                                 default_policy: Policy) -> None:
    calls, _ = scenario(tmp_path)
    report = proportionality_report(default_policy, calls, [], [Target(QUALITY, Purpose.QUALITY)], Options(),
                                    s3_factory=_Unlistable)
    assert report.results and all(r.status is Status.ERROR for r in report.results)
    assert report.summary.exit_code is ExitCode.INCOMPLETE


def test_the_command_exits_3_for_a_bucket_it_cannot_list(tmp_path: Path) -> None:
    calls, _ = scenario(tmp_path)
    with mock_aws():
        result = CliRunner().invoke(main, ["proportionality", "--calls", str(calls), "--bucket",
                                           f"{QUALITY}=quality", "--region", "eu-west-3", "--format", "json"])
    assert result.exit_code == ExitCode.INCOMPLETE, result.output
    doc = json.loads(result.stdout)
    assert doc["summary"]["error"] > 0 and doc["summary"]["fail"] == 0
    assert all("NoSuchBucket" in r["message"] for r in doc["results"])
