"""The analytics findings of one source, judged against its purpose's declaration (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from governance.analytics import catalog
from governance.analytics.parse import SENTIMENT_FIELDS, VOICE_FIELDS, AnalysisFile
from governance.model import CheckMeta, Result, Status
from lifecycle.analytics import TRAINING_ONLY_CONDITION, AgentUse, Analytics, Participant
from lifecycle.legal import cite
from lifecycle.policy import PurposePolicy

SHOWN = 10
"""Contact ids a message names; the result's evidence lists them all."""


@dataclass(frozen=True)
class Observed:
    """What one source gave: the files parsed, the files that could not be judged, or why nothing was listed."""

    resource: str
    policy: PurposePolicy
    files: tuple[AnalysisFile, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()
    """(file, the sentence saying why it was not judged)."""
    listing_error: str | None = None
    listed: int = 0
    """Files listed before sampling."""
    explicit: bool = True
    """Named by the user (a directory or s3:// URL): finding nothing there is an error, not a clean bill.
    A bucket searched by its layout's prefixes may hold no analysis at all, which is an observation."""


@dataclass(frozen=True)
class Contact:
    """Every file of one contact, merged: who is scored, through which fields, which copies exist."""

    contact_id: str
    files: tuple[str, ...]
    sentiment: frozenset[Participant]
    voice: frozenset[Participant]
    fields: frozenset[str]
    original: bool
    redacted: bool


def contacts_of(files: Sequence[AnalysisFile]) -> list[Contact]:
    """The files grouped by contact id, in the order the contacts first appear."""
    grouped: dict[str, list[AnalysisFile]] = {}
    for f in files:
        grouped.setdefault(f.contact_id, []).append(f)
    out = []
    for contact_id, group in grouped.items():
        sentiment = frozenset(p for f in group for p in f.scores.sentiment)
        voice = frozenset(p for f in group for p in f.scores.voice)
        fields = frozenset(name for f in group for table in (f.scores.sentiment, f.scores.voice)
                           for names in table.values() for name in names)
        out.append(Contact(contact_id, tuple(f.name for f in group), sentiment, voice, fields,
                           original=any(not f.redacted for f in group), redacted=any(f.redacted for f in group)))
    return out


@dataclass(frozen=True)
class Allowed:
    """What the declaration allows each participant: sentiment, and measurement of the voice."""

    sentiment: frozenset[Participant] = frozenset()
    voice: frozenset[Participant] = frozenset()

    @classmethod
    def of(cls, analytics: Analytics | None) -> Allowed:
        """Read the declaration the way ``policy validate`` accepts it: agent sentiment only for the agent's own
        training; emotion from the voice implies its scores, and for customers needs the notice."""
        if analytics is None:
            return cls()
        sentiment = set()
        voice = set()
        if Participant.AGENT in analytics.sentiment and analytics.agent_use is AgentUse.TRAINING_ONLY:
            sentiment.add(Participant.AGENT)
        if Participant.CUSTOMER in analytics.sentiment:
            sentiment.add(Participant.CUSTOMER)
        if Participant.CUSTOMER in analytics.emotion_from_voice and analytics.customer_notice:
            sentiment.add(Participant.CUSTOMER)
            voice.add(Participant.CUSTOMER)
        # Emotion from an agent's voice is never allowed (Art. 5(1)(f)): no declaration adds it.
        return cls(frozenset(sentiment), frozenset(voice))


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _ids(contacts: Sequence[Contact]) -> str:
    shown = ", ".join(c.contact_id for c in contacts[:SHOWN])
    return shown + (" ..." if len(contacts) > SHOWN else "")


@dataclass
class _Judge:
    observed: Observed
    results: list[Result] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.observed.resource} ({self.observed.policy.purpose})"

    def add(self, meta: CheckMeta, status: Status, message: str, observed: Any = None, expected: Any = None,
            resource: str | None = None) -> None:
        self.results.append(Result(meta.id, resource or self.observed.resource, str(self.observed.policy.purpose),
                                   status, meta.severity, message, observed, expected, cite(*meta.rules)))

    def scored(self, contacts: Sequence[Contact], participant: Participant, allowed: Allowed,
               ) -> tuple[list[Contact], list[Contact]]:
        """Contacts scoring the participant's sentiment, resp. voice, beyond what is allowed."""
        sentiment = [c for c in contacts if participant in c.sentiment and participant not in allowed.sentiment]
        voice = [c for c in contacts if participant in c.voice and participant not in allowed.voice]
        return sentiment, voice


def _beyond(what: str, sentiment: Sequence[Contact], voice: Sequence[Contact]) -> str:
    parts = []
    if sentiment:
        parts.append(f"{_n(len(sentiment), 'contact')} scoring the {what}'s sentiment ({_ids(sentiment)})")
    if voice:
        parts.append(f"{_n(len(voice), 'contact')} measuring the {what}'s voice with LoudnessScore ({_ids(voice)})")
    return "; ".join(parts)


def judge_analyses(observed: Observed) -> tuple[list[Result], list[dict[str, Any]]]:
    """Every analytics result for one source, and its rows of the per-contact table."""
    j = _Judge(observed)
    for name, reason in observed.unreadable:
        j.add(catalog.READABLE, Status.ERROR, f"{reason} It was not judged.", resource=name)
    if observed.listing_error is not None:
        j.add(catalog.READABLE, Status.ERROR, f"{observed.listing_error} Nothing there was judged.")
        return j.results, []
    if not observed.files:
        if observed.unreadable or observed.explicit:
            if not observed.unreadable:
                j.add(catalog.READABLE, Status.ERROR,
                      f"No analysis file (*.json) was found in {observed.resource}, so nothing was judged; "
                      "point the command at the analysis output.")
            return j.results, []
        j.add(catalog.READABLE, Status.PASS, f"No analysis file in {j.where}.", observed={"files": 0})
    else:
        j.add(catalog.READABLE, Status.PASS,
              f"{_n(len(observed.files), 'analysis file')} read in {j.where} ({observed.listed} listed).",
              observed={"files": len(observed.files), "listed": observed.listed,
                        "unreadable": len(observed.unreadable)})
    contacts = contacts_of(observed.files)
    analytics = observed.policy.analytics
    allowed = Allowed.of(analytics)
    declared = analytics.as_dict() if analytics else None
    _declared(j, contacts, analytics)
    _agents(j, contacts, allowed, declared)
    _customers(j, contacts, allowed, declared)
    if analytics is not None and analytics.redaction:
        _redaction(j, contacts)
    return j.results, [_row(observed, c) for c in contacts]


def _declared(j: _Judge, contacts: Sequence[Contact], analytics: Analytics | None) -> None:
    if analytics is None and contacts:
        j.add(catalog.DECLARED, Status.FAIL,
              f"{_n(len(contacts), 'contact')} analysed in {j.where}, whose policy declares no analytics: this "
              f"processing is missing from the record of processing ({_ids(contacts)}).",
              observed={"contacts": [c.contact_id for c in contacts]}, expected={"analytics": "declared"})
    elif analytics is None:
        j.add(catalog.DECLARED, Status.PASS, f"No analysis output in {j.where}, and none is declared.")
    else:
        j.add(catalog.DECLARED, Status.PASS, f"The analysis output in {j.where} is declared under analytics.",
              observed={"contacts": len(contacts)}, expected=analytics.as_dict())


def _agents(j: _Judge, contacts: Sequence[Contact], allowed: Allowed, declared: Any) -> None:
    sentiment, voice = j.scored(contacts, Participant.AGENT, allowed)
    offending = [c for c in contacts if c in sentiment or c in voice]
    expected = {"declared": declared, "agent_sentiment_allowed": Participant.AGENT in allowed.sentiment,
                "agent_voice_allowed": False}
    if offending:
        j.add(catalog.AGENT_SCORES, Status.FAIL,
              f"The agent is scored beyond the declaration in {j.where}: "
              f"{_beyond('agent', sentiment, voice)}; inferring employees' emotions at work is prohibited unless "
              "purely for the agent's own training, and never from the voice.",
              observed={"contacts": [c.contact_id for c in offending],
                        "sentiment": [c.contact_id for c in sentiment], "voice": [c.contact_id for c in voice]},
              expected=expected)
    else:
        j.add(catalog.AGENT_SCORES, Status.PASS,
              f"No contact in {j.where} scores the agent beyond the declaration ({len(contacts)} judged).",
              observed={"contacts": []}, expected=expected)
    if Participant.AGENT in allowed.sentiment:
        scored = [c for c in contacts if Participant.AGENT in c.sentiment]
        j.add(catalog.AGENT_TRAINING, Status.PASS,
              f"{_n(len(scored), 'contact')} in {j.where} scoring the agent's sentiment under agentUse: training-only, "
              f"on condition that {TRAINING_ONLY_CONDITION}.",
              observed={"contacts": [c.contact_id for c in scored]},
              expected={"agentUse": str(AgentUse.TRAINING_ONLY), "condition": TRAINING_ONLY_CONDITION})


def _customers(j: _Judge, contacts: Sequence[Contact], allowed: Allowed, declared: Any) -> None:
    sentiment, voice = j.scored(contacts, Participant.CUSTOMER, allowed)
    offending = [c for c in contacts if c in sentiment or c in voice]
    expected = {"declared": declared, "customer_sentiment_allowed": Participant.CUSTOMER in allowed.sentiment,
                "customer_voice_allowed": Participant.CUSTOMER in allowed.voice}
    if offending:
        j.add(catalog.CUSTOMER_SCORES, Status.FAIL,
              f"The customer is scored without a declaration in {j.where}: "
              f"{_beyond('customer', sentiment, voice)}; declare it (and tell callers of emotion recognition) or "
              "stop it.",
              observed={"contacts": [c.contact_id for c in offending],
                        "sentiment": [c.contact_id for c in sentiment], "voice": [c.contact_id for c in voice]},
              expected=expected)
    else:
        j.add(catalog.CUSTOMER_SCORES, Status.PASS,
              f"No contact in {j.where} scores the customer beyond the declaration ({len(contacts)} judged).",
              observed={"contacts": []}, expected=expected)


def _redaction(j: _Judge, contacts: Sequence[Contact]) -> None:
    missing = [c for c in contacts if c.original and not c.redacted]
    if missing:
        j.add(catalog.REDACTION, Status.FAIL,
              f"{_n(len(missing), 'analysed contact')} in {j.where} without a redacted analysis although the "
              f"purpose declares redaction: true ({_ids(missing)}).",
              observed={"contacts": [c.contact_id for c in missing]}, expected={"redaction": True})
    else:
        j.add(catalog.REDACTION, Status.PASS,
              f"Every analysed contact in {j.where} has its redacted analysis ({len(contacts)} judged).",
              observed={"contacts": []}, expected={"redaction": True})


def _listed(values: frozenset[Participant]) -> str:
    return ", ".join(sorted(map(str, values))) or "-"


def _row(observed: Observed, c: Contact) -> dict[str, Any]:
    order = (*SENTIMENT_FIELDS, *VOICE_FIELDS)
    return {
        "contact_id": c.contact_id,
        "purpose": str(observed.policy.purpose),
        "source": observed.resource,
        "sentiment_scored": _listed(c.sentiment),
        "voice_scored": _listed(c.voice),
        "fields": ", ".join(f for f in order if f in c.fields) or "-",
        "redacted_copy": "yes" if c.redacted else "no",
        "files": len(c.files),
    }
