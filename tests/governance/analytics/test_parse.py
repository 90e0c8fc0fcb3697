"""Parsing one analysis file: who is scored, through which fields; bad files are refused by name."""

from __future__ import annotations

import json

import pytest

from governance.analytics.parse import (
    BY_PERIOD,
    LOUDNESS,
    OVERALL,
    TURN_SENTIMENT,
    AnalysisFileError,
    contact_from_name,
    parse_analysis,
)
from lifecycle.analytics import Participant
from tests.governance.analytics.contact_lens import EXAMPLE, analysis, key

AGENT, CUSTOMER = Participant.AGENT, Participant.CUSTOMER


def parsed(doc: object, name: str = "f.json", k: str | None = None):  # type: ignore[no-untyped-def]
    return parse_analysis(name, json.dumps(doc).encode(), k)


def test_the_example_file_scores_both_participants_through_every_field() -> None:
    f = parse_analysis(str(EXAMPLE), EXAMPLE.read_bytes())
    assert f.contact_id == "6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90"
    assert not f.redacted
    assert f.scores.sentiment == {AGENT: {OVERALL, BY_PERIOD, TURN_SENTIMENT},
                                  CUSTOMER: {OVERALL, BY_PERIOD, TURN_SENTIMENT}}
    assert f.scores.voice == {AGENT: {LOUDNESS}, CUSTOMER: {LOUDNESS}}


def test_a_customer_only_analysis_leaves_the_agent_unscored() -> None:
    f = parsed(analysis("c1", agent=False, loudness=False))
    assert set(f.scores.sentiment) == {CUSTOMER}
    assert f.scores.voice == {}
    assert f.scores.scored() == {CUSTOMER}


def test_each_sentiment_field_alone_counts() -> None:
    doc = analysis("c1", agent=False, customer=False, loudness=False)
    doc["ConversationCharacteristics"]["Sentiment"]["OverallSentiment"] = {"AGENT": 0}
    assert parsed(doc).scores.sentiment == {AGENT: {OVERALL}}, "a score of 0 is still a score"
    doc = analysis("c1", agent=False, customer=False, loudness=False)
    doc["ConversationCharacteristics"]["Sentiment"]["SentimentByPeriod"] = {"QUARTER": {"AGENT": [{"Score": 1}]}}
    assert parsed(doc).scores.sentiment == {AGENT: {BY_PERIOD}}
    doc = analysis("c1", agent=False, customer=False, loudness=False)
    doc["Transcript"][0]["Sentiment"] = "NEGATIVE"
    assert parsed(doc).scores.sentiment == {AGENT: {TURN_SENTIMENT}}


def test_loudness_alone_is_a_voice_measurement_not_sentiment() -> None:
    f = parsed(analysis("c1", agent=False, customer=False, loudness=True))
    assert f.scores.sentiment == {}
    assert f.scores.voice == {AGENT: {LOUDNESS}, CUSTOMER: {LOUDNESS}}


def test_chat_output_keys_overall_sentiment_by_participant_role() -> None:
    doc = analysis("c1", agent=False, customer=False, loudness=False)
    doc["ConversationCharacteristics"]["Sentiment"]["OverallSentiment"] = {
        "DetailsByParticipantRole": {"AGENT": 2.1, "CUSTOMER": None}}
    assert parsed(doc).scores.sentiment == {AGENT: {OVERALL}}


def test_a_system_participant_and_unknown_speakers_are_not_scored_people() -> None:
    doc = analysis("c1", agent=False, customer=False, loudness=False)
    doc["Transcript"].append({"ParticipantId": "2b2288b4-ff6e-4996-8d8e-260fd5a8ac02", "Sentiment": "NEUTRAL"})
    doc["Transcript"].append({"ParticipantId": "stranger", "Sentiment": "NEUTRAL", "LoudnessScore": [70]})
    assert parsed(doc).scores.scored() == frozenset()


def test_the_contact_and_redaction_come_from_the_document_else_the_key() -> None:
    doc = analysis("from-doc", redacted=True)
    f = parsed(doc, k=key("from-key"))
    assert (f.contact_id, f.redacted) == ("from-doc", True)
    del doc["CustomerMetadata"]
    doc["ContentMetadata"]["Output"] = "Raw"
    f = parsed(doc, k=key("from-key", redacted=True))
    assert (f.contact_id, f.redacted) == ("from-key", True)
    assert contact_from_name("derived/analysis/2025/03/14/CALL-1.json") == "CALL-1"


@pytest.mark.parametrize(("data", "words"), [
    (b"{ truncated", "is not JSON"),
    (b"\xff\xfe", "is not JSON"),
    (b"[1, 2]", "is not a JSON object"),
    (json.dumps({"Transcript": []}).encode(), "has no Participants"),
    (json.dumps({"Participants": []}).encode(), "has no Participants"),
    (json.dumps({"Participants": [{"ParticipantId": "x"}]}).encode(), "has no ParticipantRole"),
    (json.dumps({"Participants": [{"ParticipantRole": "AGENT"}], "Transcript": {}}).encode(), "Transcript is not"),
    (json.dumps({"Participants": [{"ParticipantRole": "AGENT"}],
                 "ConversationCharacteristics": []}).encode(), "ConversationCharacteristics is not a JSON object"),
])
def test_a_file_that_cannot_be_judged_is_refused_in_one_sentence_naming_it(data: bytes, words: str) -> None:
    with pytest.raises(AnalysisFileError) as err:
        parse_analysis("s3://b/Analysis/Voice/x.json", data)
    assert str(err.value).startswith("s3://b/Analysis/Voice/x.json") and words in str(err.value)
    assert str(err.value).count(". ") == 0, "one sentence"
