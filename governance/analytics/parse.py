"""One analysis file as the participants it scores (pure: bytes in, facts out).

Amazon Connect Contact Lens writes one JSON document per analysed contact (admin guide, "Example
Contact Lens output files"): ``Participants`` maps each ``ParticipantId`` to a ``ParticipantRole``
(AGENT, CUSTOMER, SYSTEM ...), ``ConversationCharacteristics.Sentiment`` scores sentiment per role
(``OverallSentiment``, ``SentimentByPeriod``), and each turn of ``Transcript`` carries the speaker's
``Sentiment`` and ``LoudnessScore``. recgov's native analysis files use the same fields.

Two kinds of scoring are told apart, because the law treats them apart:

- **sentiment**: ``OverallSentiment``, ``SentimentByPeriod`` and a turn's ``Sentiment``, scores of a
  participant's emotional state that Contact Lens computes from the transcript's words;
- **voice**: a turn's ``LoudnessScore``, a measurement of the speaker's voice itself. The AI Act's
  emotion recognition is inference "on the basis of biometric data" (Art. 3(39)); a voice
  measurement is such data, so it is judged as emotion from the voice (see docs/analytics.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lifecycle.analytics import Participant

OVERALL = "OverallSentiment"
BY_PERIOD = "SentimentByPeriod"
TURN_SENTIMENT = "Transcript.Sentiment"
LOUDNESS = "Transcript.LoudnessScore"

SENTIMENT_FIELDS = (OVERALL, BY_PERIOD, TURN_SENTIMENT)
"""Fields that score a participant's sentiment, in the order a report lists them."""
VOICE_FIELDS = (LOUDNESS,)
"""Fields that measure a participant's voice."""

REDACTED_OUTPUT = "Redacted"
"""``ContentMetadata.Output`` of a redacted analysis (the original says ``Raw``)."""

_CONTACT_IN_NAME = re.compile(r"^([^/_]+)_analysis_")
_REDACTED_IN_NAME = "_analysis_redacted_"


class AnalysisFileError(ValueError):
    """A file that cannot be judged; the message is one sentence naming what is wrong with it."""


@dataclass(frozen=True)
class Scores:
    """Which participants a file scores, and through which fields."""

    sentiment: Mapping[Participant, frozenset[str]]
    voice: Mapping[Participant, frozenset[str]]

    def scored(self) -> frozenset[Participant]:
        """Every participant scored one way or the other."""
        return frozenset(self.sentiment) | frozenset(self.voice)


@dataclass(frozen=True)
class AnalysisFile:
    """What one analysis file says about its contact."""

    name: str
    """Where the file was read (a path or an s3:// URI), as the report names it."""
    contact_id: str
    redacted: bool
    scores: Scores


def contact_from_name(key: str) -> str:
    """The contact a file's name gives: Contact Lens's ``<contactId>_analysis_...``, else the file's stem."""
    base = key.rsplit("/", 1)[-1]
    match = _CONTACT_IN_NAME.match(base)
    if match:
        return match.group(1)
    return base.rsplit(".", 1)[0] if "." in base else base


def redacted_by_name(key: str) -> bool:
    """Whether a file's name marks it as Contact Lens's redacted analysis."""
    return _REDACTED_IN_NAME in key.rsplit("/", 1)[-1]


def _role(value: Any) -> Participant | None:
    text = value.strip().lower() if isinstance(value, str) else ""
    return next((p for p in Participant if p.value == text), None)


def _roles(doc: Mapping[str, Any], name: str) -> dict[str, Participant | None]:
    participants = doc.get("Participants")
    if not isinstance(participants, list) or not participants:
        raise AnalysisFileError(f"{name} has no Participants, so whose speech it scores cannot be told.")
    out: dict[str, Participant | None] = {}
    for entry in participants:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("ParticipantRole"), str):
            raise AnalysisFileError(f"{name}: a Participants entry has no ParticipantRole.")
        out[str(entry.get("ParticipantId", entry["ParticipantRole"]))] = _role(entry["ParticipantRole"])
    return out


def _mapping(value: Any, where: str, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AnalysisFileError(f"{name}: {where} is not a JSON object.")
    return value


def _scored(value: Any) -> bool:
    """A score is there: a number, a label, or a non-empty list or object of them."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, Mapping)):
        return bool(value)
    return False


def _by_role(table: Mapping[str, Any]) -> set[Participant]:
    """Roles with a score in a mapping keyed by role (chat output nests it under DetailsByParticipantRole)."""
    nested = table.get("DetailsByParticipantRole")
    if isinstance(nested, Mapping):
        table = nested
    return {role for key, value in table.items() if (role := _role(key)) is not None and _scored(value)}


def scores_of(doc: Mapping[str, Any], name: str) -> Scores:
    """The participants a parsed analysis document scores, and the fields that show it."""
    roles = _roles(doc, name)
    sentiment: dict[Participant, set[str]] = {}
    voice: dict[Participant, set[str]] = {}
    characteristics = _mapping(doc.get("ConversationCharacteristics"), "ConversationCharacteristics", name)
    overall_sentiment = _mapping(characteristics.get("Sentiment"), "ConversationCharacteristics.Sentiment", name)
    for scored in _by_role(_mapping(overall_sentiment.get(OVERALL), OVERALL, name)):
        sentiment.setdefault(scored, set()).add(OVERALL)
    for period in _mapping(overall_sentiment.get(BY_PERIOD), BY_PERIOD, name).values():
        for scored in _by_role(_mapping(period, BY_PERIOD, name)):
            sentiment.setdefault(scored, set()).add(BY_PERIOD)
    transcript = doc.get("Transcript")
    transcript = [] if transcript is None else transcript
    if not isinstance(transcript, list):
        raise AnalysisFileError(f"{name}: Transcript is not a list of turns.")
    for turn in transcript:
        if not isinstance(turn, Mapping):
            raise AnalysisFileError(f"{name}: a Transcript turn is not a JSON object.")
        speaker = turn.get("ParticipantId")
        role: Participant | None = roles.get(str(speaker)) if speaker is not None else None
        role = role or _role(turn.get("ParticipantRole"))
        if role is None:
            continue
        if _scored(turn.get("Sentiment")):
            sentiment.setdefault(role, set()).add(TURN_SENTIMENT)
        if _scored(turn.get("LoudnessScore")):
            voice.setdefault(role, set()).add(LOUDNESS)
    return Scores({p: frozenset(f) for p, f in sentiment.items()}, {p: frozenset(f) for p, f in voice.items()})


def parse_analysis(name: str, data: bytes, key: str | None = None) -> AnalysisFile:
    """One analysis file from its bytes; ``key`` (its object key or relative path) gives the contact when
    the document does not (``CustomerMetadata.ContactId``) and marks Contact Lens's redacted copies."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AnalysisFileError(f"{name} is not JSON ({err}).") from None
    if not isinstance(doc, Mapping):
        raise AnalysisFileError(f"{name} is not a JSON object, so it is no analysis file.")
    scores = scores_of(doc, name)
    metadata = _mapping(doc.get("CustomerMetadata"), "CustomerMetadata", name)
    content = _mapping(doc.get("ContentMetadata"), "ContentMetadata", name)
    contact = metadata.get("ContactId")
    contact_id = str(contact) if isinstance(contact, str) and contact else contact_from_name(key or name)
    redacted = content.get("Output") == REDACTED_OUTPUT or redacted_by_name(key or name)
    return AnalysisFile(name, contact_id, redacted, scores)
