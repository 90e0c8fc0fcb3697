"""Judging parsed analysis files against the purpose's declaration (pure: no files, no bucket)."""

from __future__ import annotations

import json
from typing import Any

from governance.analytics import catalog
from governance.analytics.judge import Allowed, Observed, judge_analyses
from governance.analytics.parse import AnalysisFile, parse_analysis
from governance.model import CheckMeta, Result, Status
from lifecycle.analytics import TRAINING_ONLY_CONDITION, Analytics, Participant
from tests.governance.analytics.contact_lens import CUSTOMER_ONLY, CUSTOMER_VOICE, TRAINING, analysis, key, policy


def file(contact: str, *, redacted: bool = False, **scores: bool) -> AnalysisFile:
    k = key(contact, redacted=redacted)
    return parse_analysis(f"s3://b/{k}", json.dumps(analysis(contact, redacted=redacted, **scores)).encode(), k)


def run(analytics: str | None, *files: AnalysisFile, **extra: Any) -> tuple[list[Result], list[dict[str, Any]]]:
    return judge_analyses(Observed("s3://b/Analysis/Voice/", policy(analytics)["quality"], tuple(files),
                          listed=len(files), **extra))


def one(results: list[Result], meta: CheckMeta) -> Result:
    found = [r for r in results if r.check == meta.id]
    assert len(found) == 1, [r.check for r in results]
    return found[0]


def test_agent_sentiment_under_training_only_is_an_informational_pass_repeating_the_condition() -> None:
    results, rows = run(TRAINING, file("c1", loudness=False), file("c1", redacted=True, loudness=False))
    assert all(r.status is Status.PASS for r in results), [(r.check, r.message) for r in results]
    training = one(results, catalog.AGENT_TRAINING)
    assert TRAINING_ONLY_CONDITION in training.message and training.observed == {"contacts": ["c1"]}
    assert training.severity == catalog.AGENT_TRAINING.severity
    assert rows == [{"contact_id": "c1", "purpose": "quality", "source": "s3://b/Analysis/Voice/",
                     "sentiment_scored": "agent, customer", "voice_scored": "-",
                     "fields": "OverallSentiment, SentimentByPeriod, Transcript.Sentiment",
                     "redacted_copy": "yes", "files": 2}]


def test_agent_sentiment_the_policy_does_not_allow_fails_high_under_r11_listing_the_contacts() -> None:
    results, _ = run(CUSTOMER_ONLY, file("c1", loudness=False), file("c2", agent=False, loudness=False),
                     file("c3", loudness=False))
    agent = one(results, catalog.AGENT_SCORES)
    assert (agent.status, agent.severity) == (Status.FAIL, catalog.AGENT_SCORES.severity)
    assert catalog.AGENT_SCORES.severity == "high" and agent.citations[0].startswith("R11 ")
    assert agent.observed["contacts"] == ["c1", "c3"] and "c1, c3" in agent.message
    assert "sentiment" in agent.message
    assert not [r for r in results if r.check == catalog.AGENT_TRAINING.id]
    assert one(results, catalog.CUSTOMER_SCORES).status is Status.PASS


def test_an_agents_loudness_fails_even_where_agent_sentiment_is_allowed() -> None:
    results, rows = run(TRAINING, file("c1"), file("c1", redacted=True))
    agent = one(results, catalog.AGENT_SCORES)
    assert agent.status is Status.FAIL
    assert agent.observed == {"contacts": ["c1"], "sentiment": [], "voice": ["c1"]}
    assert "LoudnessScore" in agent.message
    assert rows[0]["voice_scored"] == "agent, customer"
    assert "Transcript.LoudnessScore" in rows[0]["fields"]


def test_an_agent_not_scored_passes() -> None:
    results, _ = run(CUSTOMER_ONLY, file("c1", agent=False, loudness=False))
    assert all(r.status is Status.PASS for r in results)
    assert one(results, catalog.AGENT_SCORES).observed == {"contacts": []}


def test_customer_scores_without_a_declaration_fail() -> None:
    results, _ = run("{transcription: true}", file("c1", agent=False, loudness=False))
    customer = one(results, catalog.CUSTOMER_SCORES)
    assert customer.status is Status.FAIL and customer.observed["sentiment"] == ["c1"]
    assert any(c.startswith("R14 ") for c in customer.citations)
    assert one(results, catalog.AGENT_SCORES).status is Status.PASS


def test_a_customers_voice_needs_emotion_from_voice_with_the_notice() -> None:
    results, _ = run(CUSTOMER_ONLY, file("c1", agent=False))
    assert one(results, catalog.CUSTOMER_SCORES).observed["voice"] == ["c1"]
    voice_only = file("c2", agent=False, customer=False)
    results, _ = run(CUSTOMER_VOICE, file("c1", agent=False), voice_only)
    assert one(results, catalog.CUSTOMER_SCORES).status is Status.PASS
    # The agent's half of the same loudness still fails.
    assert one(results, catalog.AGENT_SCORES).observed["voice"] == ["c1", "c2"]


def test_allowed_follows_the_declaration_and_never_allows_an_agents_voice() -> None:
    everything = Analytics(sentiment=frozenset(Participant), emotion_from_voice=frozenset(Participant))
    assert Allowed.of(everything).sentiment == {Participant.CUSTOMER}, "agent sentiment needs training-only"
    assert Allowed.of(everything).voice == frozenset(), "customer voice needs the notice"
    assert Allowed.of(None) == Allowed()


def test_analysis_where_none_is_declared_fails_as_undeclared_processing() -> None:
    results, _ = run(None, file("c1", agent=False, loudness=False))
    declared = one(results, catalog.DECLARED)
    assert declared.status is Status.FAIL and declared.observed == {"contacts": ["c1"]}
    assert [c.split(" ")[0] for c in declared.citations] == ["R9", "R11"]
    assert one(results, catalog.CUSTOMER_SCORES).status is Status.FAIL


def test_a_missing_redacted_counterpart_fails_where_redaction_is_declared() -> None:
    results, rows = run(TRAINING, file("c1", loudness=False), file("c1", redacted=True, loudness=False),
                        file("c2", loudness=False), file("c3", redacted=True, loudness=False))
    redaction = one(results, catalog.REDACTION)
    assert redaction.status is Status.FAIL and redaction.observed == {"contacts": ["c2"]}
    assert [r["redacted_copy"] for r in rows] == ["yes", "no", "yes"]
    results, _ = run(CUSTOMER_ONLY, file("c2", agent=False, loudness=False))
    assert not [r for r in results if r.check == catalog.REDACTION.id], "judged only where declared"


def test_unreadable_files_are_errors_by_name_and_the_others_are_still_judged() -> None:
    bad = (("s3://b/Analysis/Voice/bad.json", "s3://b/Analysis/Voice/bad.json is not JSON (oops)."),)
    results, _ = run(CUSTOMER_ONLY, file("c1", loudness=False), unreadable=bad)
    error = [r for r in results if r.status is Status.ERROR]
    assert len(error) == 1 and error[0].resource == "s3://b/Analysis/Voice/bad.json"
    assert error[0].check == catalog.READABLE.id and "not JSON" in error[0].message
    assert one(results, catalog.AGENT_SCORES).status is Status.FAIL


def test_only_unreadable_files_give_only_errors() -> None:
    bad = (("d/x.json", "d/x.json has no Participants, so whose speech it scores cannot be told."),)
    results, rows = run(CUSTOMER_ONLY, unreadable=bad)
    assert [r.status for r in results] == [Status.ERROR] and rows == []


def test_an_empty_source_is_an_error_when_named_and_an_observation_when_found_by_layout() -> None:
    results, _ = run(CUSTOMER_ONLY)
    assert [r.status for r in results] == [Status.ERROR] and "No analysis file" in results[0].message
    results, _ = run(None, explicit=False)
    assert {r.status for r in results} == {Status.PASS}
    assert one(results, catalog.DECLARED).message.startswith("No analysis output")


def test_a_source_that_cannot_be_listed_is_one_error() -> None:
    results, rows = run(TRAINING, listing_error="s3://b/Analysis/Voice/ cannot be listed (AccessDenied).")
    assert [(r.check, r.status) for r in results] == [(catalog.READABLE.id, Status.ERROR)] and rows == []
