"""Contact Lens-shaped analysis files for the tests, built like the admin guide's example output.

The example file ``tests/data/contact_lens/analysis.json`` is the guide's shape written out in full;
:func:`analysis` builds variations of it (who is scored, through which fields), and :func:`write`
puts one where Contact Lens would, under ``Analysis/Voice/YYYY/MM/DD/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lifecycle.loader import default_policy_text, load_policy
from lifecycle.policy import Policy

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "contact_lens" / "analysis.json"
AGENT_ID = "f36a545d-67b2-4fd4-89fb-896136b609a7"
CUSTOMER_ID = "e9b36a6d-12aa-4c21-9745-1881648ecfc8"
SYSTEM_ID = "2b2288b4-ff6e-4996-8d8e-260fd5a8ac02"
STAMP = "2025-03-14T09:41:07Z"

_PERIODS = [{"BeginOffsetMillis": 0, "EndOffsetMillis": 8027, "Score": -2.5},
            {"BeginOffsetMillis": 8027, "EndOffsetMillis": 16055, "Score": 0}]


def analysis(contact_id: str, *, agent: bool = True, customer: bool = True, loudness: bool = True,
             redacted: bool = False) -> dict[str, Any]:
    """One analysis document: ``agent``/``customer`` say whose sentiment is scored, ``loudness`` whether
    each turn measures its speaker's voice."""
    roles = [r for r, on in (("AGENT", agent), ("CUSTOMER", customer)) if on]
    turns = []
    for i, (speaker, scored) in enumerate(((AGENT_ID, agent), (CUSTOMER_ID, customer), (AGENT_ID, agent))):
        turn: dict[str, Any] = {"BeginOffsetMillis": i * 4000, "EndOffsetMillis": i * 4000 + 3500,
                                "Id": f"turn-{i}", "ParticipantId": speaker, "Content": "[PII] speaking"}
        if scored:
            turn["Sentiment"] = "NEUTRAL"
        if loudness:
            turn["LoudnessScore"] = [71.2, 80.4, None, 77.9]
        turns.append(turn)
    return {
        "Version": "1.1.0",
        "AccountId": "123456789012",
        "Channel": "VOICE",
        "ContentMetadata": {"Output": "Redacted" if redacted else "Raw"},
        "JobStatus": "COMPLETED",
        "LanguageCode": "en-US",
        "Participants": [{"ParticipantId": CUSTOMER_ID, "ParticipantRole": "CUSTOMER"},
                         {"ParticipantId": SYSTEM_ID, "ParticipantRole": "SYSTEM"},
                         {"ParticipantId": AGENT_ID, "ParticipantRole": "AGENT"}],
        "Categories": {"MatchedCategories": [], "MatchedDetails": {}},
        "ConversationCharacteristics": {
            "TotalConversationDurationMillis": 12000,
            "Sentiment": {"OverallSentiment": {r: 1.5 for r in roles},
                          "SentimentByPeriod": {"QUARTER": {r: _PERIODS for r in roles}}},
            "Interruptions": {"InterruptionsByInterrupter": {}, "TotalCount": 0, "TotalTimeMillis": 0},
            "TalkSpeed": {"DetailsByParticipant": {"AGENT": {"AverageWordsPerMinute": 150}}},
        },
        "CustomerMetadata": {"InputS3Uri": f"s3://bucket/connect/acme/CallRecordings/2025/03/14/{contact_id}"
                                           "_20250314T09:30_UTC.wav",
                             "ContactId": contact_id, "InstanceId": "0b9b3b6e-instance"},
        "Transcript": turns,
    }


def key(contact_id: str, *, redacted: bool = False, day: str = "2025/03/14") -> str:
    """Where Contact Lens writes the file (admin guide, "Example Contact Lens output locations")."""
    if redacted:
        return f"Analysis/Voice/Redacted/{day}/{contact_id}_analysis_redacted_{STAMP}.json"
    return f"Analysis/Voice/{day}/{contact_id}_analysis_{STAMP}.json"


def write(root: Path, contact_id: str, *, redacted: bool = False, day: str = "2025/03/14",
          **scores: bool) -> Path:
    """Write one analysis file under ``root`` at its Contact Lens key; returns its path."""
    path = root / key(contact_id, redacted=redacted, day=day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(analysis(contact_id, redacted=redacted, **scores)), encoding="utf-8")
    return path


QUALITY_LINE = "    samplingRate: 0.25         # R2: record 20-30 % of calls, at random\n"


def policy_text(analytics: str | None) -> str:
    """The packaged policy with the quality purpose on Amazon Connect and ``analytics`` (a YAML flow
    mapping) declared, or none."""
    text = default_policy_text()
    assert QUALITY_LINE in text
    extra = "    layout: amazon-connect\n    keyPrefix: connect/acme/CallRecordings\n"
    if analytics is not None:
        extra += f"    analytics: {analytics}\n"
    return text.replace(QUALITY_LINE, QUALITY_LINE + extra)


def policy(analytics: str | None) -> Policy:
    """The policy of :func:`policy_text`, loaded and validated like every policy."""
    return load_policy(policy_text(analytics))


TRAINING = "{sentiment: [customer, agent], agentUse: training-only, redaction: true}"
"""Lawful: agent sentiment for the agent's own training, customer sentiment, redacted output."""
CUSTOMER_ONLY = "{sentiment: [customer]}"
CUSTOMER_VOICE = "{sentiment: [customer], emotionFromVoice: [customer], customerNotice: true}"
