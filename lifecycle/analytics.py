"""Speech analytics and derived data, as a purpose declares them in the policy.

``analytics:`` says what is computed from a purpose's recordings: transcripts, sentiment scores and
emotions inferred from the voice, for which participants, and how agents' scores may be used.
``derived:`` says which derived objects (transcripts, analysis files, redacted copies) the purpose's
bucket holds, where, and for how long: never longer than the recordings they come from.

The refusals follow the EU AI Act: inferring an employee's emotions at work is prohibited
(Art. 5(1)(f), rule R11) unless purely for the agent's own training with the results kept from any
assessment; people exposed to emotion recognition must be told (Art. 50(3), rule R14).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lifecycle.legal import RULES


class Participant(StrEnum):
    """A party to a call whose speech may be scored."""

    CUSTOMER = "customer"
    AGENT = "agent"

    def __str__(self) -> str:
        return self.value


class AgentUse(StrEnum):
    """What agents' scores may serve."""

    NONE = "none"
    TRAINING_ONLY = "training-only"
    """The agent's own training only: never shared with HR, never part of an assessment or promotion."""

    def __str__(self) -> str:
        return self.value


ANALYTICS_KEYS = {"transcription", "sentiment", "emotionFromVoice", "agentUse", "customerNotice", "redaction"}
DERIVED_KEYS = {"retentionDays", "prefix"}

TRAINING_ONLY_CONDITION = (
    "agent sentiment scores serve the agent's own training only: they are never shared with HR and never "
    "affect an assessment or a promotion"
)


@dataclass(frozen=True)
class Analytics:
    """What is computed from a purpose's recordings."""

    transcription: bool = False
    sentiment: frozenset[Participant] = frozenset()
    emotion_from_voice: frozenset[Participant] = frozenset()
    agent_use: AgentUse = AgentUse.NONE
    customer_notice: bool = False
    """Whether callers are told that emotion recognition applies to them (EU AI Act Art. 50(3))."""
    redaction: bool = False
    """Whether analysis output is redacted: every analysis file then has its redacted counterpart."""

    def scores(self, participant: Participant) -> bool:
        """Whether any sentiment or emotion of this participant is inferred."""
        return participant in self.sentiment or participant in self.emotion_from_voice

    def problems(self, purpose: str) -> list[str]:
        """Every refusal, each a sentence naming the purpose, the setting and the rule."""
        out = []
        if Participant.AGENT in self.emotion_from_voice:
            out.append(f"{purpose}: analytics.emotionFromVoice includes agent: inferring employees' emotions from "
                       f"their voice at work is prohibited under {RULES['R11'].citation}.")
        if Participant.AGENT in self.sentiment and self.agent_use is not AgentUse.TRAINING_ONLY:
            out.append(f"{purpose}: analytics.sentiment includes agent with agentUse {self.agent_use}: agent scores "
                       f"are allowed only for the agent's own training (agentUse: training-only) under "
                       f"{RULES['R11'].citation}.")
        if Participant.CUSTOMER in self.emotion_from_voice and not self.customer_notice:
            out.append(f"{purpose}: analytics.emotionFromVoice includes customer without customerNotice: true: "
                       f"callers must be told of emotion recognition under {RULES['R14'].citation}.")
        return out

    def conditions(self) -> list[str]:
        """The conditions an accepted declaration rests on, repeated wherever the policy is shown."""
        return [TRAINING_ONLY_CONDITION] if Participant.AGENT in self.sentiment else []

    def as_dict(self) -> dict[str, Any]:
        """Plain data in the policy's own vocabulary."""
        return {
            "transcription": self.transcription,
            "sentiment": sorted(map(str, self.sentiment)),
            "emotionFromVoice": sorted(map(str, self.emotion_from_voice)),
            "agentUse": str(self.agent_use),
            "customerNotice": self.customer_notice,
            "redaction": self.redaction,
        }


@dataclass(frozen=True)
class DerivedPolicy:
    """One kind of derived object a purpose's bucket holds (a layout's derived kind)."""

    kind: str
    retention_days: int | None = None
    """None: as long as the recordings (the purpose's retention)."""
    prefix: str | None = field(default=None)
    """Where the kind is written; None: the layout's default prefix for it."""


def _flag(where: str, value: Any, problems: list[str]) -> bool:
    if not isinstance(value, bool):
        problems.append(f"{where} must be true or false.")
        return False
    return value


def _participants(where: str, value: Any, problems: list[str]) -> frozenset[Participant]:
    values = value if isinstance(value, list) else None
    if values is None or not all(isinstance(v, str) for v in values):
        problems.append(f"{where} must be a list of participants (customer, agent).")
        return frozenset()
    out = set()
    for v in values:
        try:
            out.add(Participant(v.strip().lower()))
        except ValueError:
            problems.append(f"{where}: {v!r} is not a participant; use customer or agent.")
    return frozenset(out)


def parse_analytics(purpose: str, raw: Any, problems: list[str]) -> Analytics | None:
    """The ``analytics:`` mapping of one purpose; unknown keys and bad values are problems."""
    where = f"{purpose}: analytics"
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be a mapping with keys {', '.join(sorted(ANALYTICS_KEYS))}.")
        return None
    for key in sorted(set(map(str, raw)) - ANALYTICS_KEYS):
        problems.append(f"{where}: unknown key {key!r}; allowed keys are {', '.join(sorted(ANALYTICS_KEYS))}.")
    agent_use = AgentUse.NONE
    if "agentUse" in raw:
        try:
            agent_use = AgentUse(str(raw["agentUse"]).strip().lower())
        except ValueError:
            problems.append(f"{where}.agentUse {raw['agentUse']!r} must be none or training-only.")
    return Analytics(
        transcription=_flag(f"{where}.transcription", raw.get("transcription", False), problems),
        sentiment=_participants(f"{where}.sentiment", raw.get("sentiment", []), problems),
        emotion_from_voice=_participants(f"{where}.emotionFromVoice", raw.get("emotionFromVoice", []), problems),
        agent_use=agent_use,
        customer_notice=_flag(f"{where}.customerNotice", raw.get("customerNotice", False), problems),
        redaction=_flag(f"{where}.redaction", raw.get("redaction", False), problems),
    )


def parse_derived(purpose: str, raw: Any, problems: list[str]) -> dict[str, dict[str, Any]] | None:
    """The ``derived:`` mapping of one purpose (kind -> settings), checked for shape only.

    Kinds are checked against the purpose's layout, and retentions against the purpose's, when the
    policy is validated (see :func:`lifecycle.policy.validate_purpose`).
    """
    where = f"{purpose}: derived"
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be a mapping of derived kind to its settings (retentionDays, prefix).")
        return None
    out: dict[str, dict[str, Any]] = {}
    for kind, settings in raw.items():
        settings = {} if settings is None else settings
        if not isinstance(settings, Mapping):
            problems.append(f"{where}.{kind} must be a mapping with retentionDays and/or prefix.")
            continue
        for key in sorted(set(map(str, settings)) - DERIVED_KEYS):
            problems.append(f"{where}.{kind}: unknown key {key!r}; allowed keys are retentionDays, prefix.")
        entry: dict[str, Any] = {}
        days = settings.get("retentionDays")
        if days is not None:
            if isinstance(days, bool) or not isinstance(days, int) or days < 1:
                problems.append(f"{where}.{kind}.retentionDays {days!r} must be a whole number of days.")
            else:
                entry["retentionDays"] = days
        prefix = settings.get("prefix")
        if prefix is not None:
            if not isinstance(prefix, str) or not prefix:
                problems.append(f"{where}.{kind}.prefix must be a non-empty text.")
            else:
                entry["prefix"] = prefix
        out[str(kind)] = entry
    return out
