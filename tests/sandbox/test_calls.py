"""Synthetic calls, the quality sample, proof selection, the calls export and the audio files."""

from __future__ import annotations

import csv
import io
import wave
from datetime import UTC, datetime
from pathlib import Path

from sandbox.audio import SAMPLE_RATE, tone_wav
from sandbox.calls import CALLS_COLUMNS, proof_calls, quality_sample, synthetic_calls, write_calls_export
from sandbox.seed import recording_key

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_same_seed_same_calls_other_seed_other_calls() -> None:
    assert synthetic_calls(50, seed=3, now=NOW) == synthetic_calls(50, seed=3, now=NOW)
    assert synthetic_calls(50, seed=3, now=NOW) != synthetic_calls(50, seed=4, now=NOW)


def test_calls_lie_in_the_window_before_now_in_order() -> None:
    calls = synthetic_calls(200, seed=1, now=NOW, days=14)
    starts = [c.started_at for c in calls]
    assert starts == sorted(starts)
    assert all((NOW - s).days < 14 and s < NOW for s in starts)
    assert len({c.call_id for c in calls}) == 200


def test_quality_sample_is_about_a_quarter_and_proof_only_with_a_transaction() -> None:
    calls = synthetic_calls(200, seed=5, now=NOW)
    sample = quality_sample(calls, 0.25, seed=5)
    assert 40 <= len(sample) <= 50, "about a quarter of the calls, never more"
    assert set(sample) <= set(calls)
    # The rate is judged per agent and month: no group may exceed it, whatever the draw.
    for agent in {c.agent_id for c in calls}:
        handled = [c for c in calls if c.agent_id == agent]
        recorded = [c for c in sample if c.agent_id == agent]
        assert len(recorded) <= 0.25 * len(handled), agent
    proof = proof_calls(calls)
    assert proof and all(c.transaction_id for c in proof)
    assert {c for c in calls if c.transaction_id} == set(proof)
    assert 0.15 < len(proof) / len(calls) < 0.45


def test_calls_export_has_the_contract_columns(tmp_path: Path) -> None:
    calls = synthetic_calls(10, seed=2, now=NOW)
    rows = list(csv.DictReader(write_calls_export(tmp_path / "calls.csv", calls).open(encoding="utf-8")))
    assert tuple(rows[0]) == CALLS_COLUMNS
    assert [r["call_id"] for r in rows] == [c.call_id for c in calls]
    for row, call in zip(rows, calls, strict=True):
        assert datetime.fromisoformat(row["started_at"].replace("Z", "+00:00")) == call.started_at.replace(
            microsecond=0
        )
        assert row["transaction_id"] == (call.transaction_id or "")


def test_recording_key_follows_the_convention() -> None:
    call = synthetic_calls(1, seed=9, now=NOW)[0]
    key = recording_key("proof", call)
    assert key == f"proof/{call.started_at:%Y/%m/%d}/{call.call_id}.wav"


def test_tone_is_a_valid_short_wav() -> None:
    data = tone_wav(440.0, seconds=0.25)
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        assert wav.getnframes() == SAMPLE_RATE // 4
    assert tone_wav(440.0) != tone_wav(550.0)
