"""The demo's Contact Lens output: keys where the layout says, documents the analytics parser reads, scores
the declaration allows (and, for the drift, the agent's), and the policy file that declares them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from governance.analytics.parse import LOUDNESS, parse_analysis
from lifecycle.analytics import Participant
from lifecycle.layouts import layout
from lifecycle.loader import load_policy
from sandbox.calls import synthetic_calls
from sandbox.connect_seed import KEY_PREFIX, OBJECTION, connect_key, contact_deliveries, contact_id
from sandbox.contact_lens import (
    ANALYSIS,
    ANALYSIS_REDACTED,
    ANALYTICS,
    KINDS,
    RECORDING_REDACTED,
    analysis_document,
    output_keys,
)
from sandbox.demo import analytics_policy_text

NOW = datetime(2025, 6, 1, tzinfo=UTC)
CALL = replace(synthetic_calls(1, seed=7, now=NOW)[0], call_id=contact_id("CALL-007-00001"))
URI = f"s3://bucket/{connect_key(KEY_PREFIX, CALL)}"


def test_each_kind_is_written_where_the_layout_finds_it_by_contact_id() -> None:
    keys = output_keys(CALL)
    connect = layout("amazon-connect")
    assert set(keys) == set(KINDS) == {d.kind for d in connect.derived}
    for kind, key in keys.items():
        derived = connect.derived_kind(kind)
        assert derived is not None and derived.call_id(key) == CALL.call_id, key
    day = CALL.started_at.astimezone(UTC).strftime("%Y/%m/%d")
    assert keys[ANALYSIS].startswith(f"Analysis/Voice/{day}/{CALL.call_id}_analysis_")
    assert keys[ANALYSIS_REDACTED].startswith(f"Analysis/Voice/Redacted/{day}/{CALL.call_id}_analysis_redacted_")
    assert keys[RECORDING_REDACTED].endswith("Z.wav")


@pytest.mark.parametrize("redacted", [False, True])
def test_the_compliant_analysis_scores_the_customer_sentiment_only(redacted: bool) -> None:
    doc = analysis_document(CALL, URI, "instance", redacted=redacted)
    key = output_keys(CALL)[ANALYSIS_REDACTED if redacted else ANALYSIS]
    parsed = parse_analysis(key, json.dumps(doc).encode(), key)
    assert parsed.contact_id == CALL.call_id and parsed.redacted is redacted
    assert set(parsed.scores.sentiment) == {Participant.CUSTOMER}
    assert not parsed.scores.voice  # no LoudnessScore at all: an agent's is a measurement of the voice
    assert LOUDNESS.split(".")[1] not in json.dumps(doc)
    assert doc["CustomerMetadata"]["InputS3Uri"] == URI


def test_the_drifted_analysis_scores_the_agent() -> None:
    doc = analysis_document(CALL, URI, "instance", redacted=False, agent_scored=True)
    parsed = parse_analysis("a.json", json.dumps(doc).encode(), output_keys(CALL)[ANALYSIS])
    assert set(parsed.scores.sentiment) == {Participant.CUSTOMER, Participant.AGENT}


def test_an_erased_recording_is_marked_deleted_in_the_latest_delivery() -> None:
    calls = [replace(c, call_id=contact_id(c.call_id)) for c in synthetic_calls(6, seed=7, now=NOW)]
    handled, others = calls[:4], calls[4:]
    located = {c.call_id: f"bucket/{connect_key(KEY_PREFIX, c)}" for c in handled[:2]}
    deliveries = contact_deliveries(handled, located, others, [handled[0].call_id])
    latest = {d["ContactId"]: d for d in sorted(deliveries, key=lambda d: d["LastUpdateTimestamp"])}
    erased = latest[handled[0].call_id]["Recording"]
    assert erased == {**erased, "Status": "DELETED", "DeletionReason": OBJECTION,
                      "Location": located[handled[0].call_id]}
    assert latest[handled[1].call_id]["Recording"]["Status"] == "AVAILABLE"


def test_the_demo_policy_declares_the_analytics_in_the_policy_file() -> None:
    policy = load_policy(analytics_policy_text())
    declared = policy["quality"].analytics
    assert declared is not None and declared.as_dict() == {
        "transcription": True, "sentiment": ["customer"], "emotionFromVoice": [], "agentUse": "none",
        "customerNotice": False, "redaction": True}
    assert set(ANALYTICS) <= set(declared.as_dict())
    assert not declared.scores(Participant.AGENT)
    assert all(policy[p].analytics is None for p in ("proof", "evaluations", "evidence", "access-logs"))
