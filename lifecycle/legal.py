"""The rules the toolkit enforces and the legal retention limits, each with its source.

A policy may shorten these limits, never lengthen them. Calendar limits are converted to days by the
shortest span the limit can cover (6 months -> 181 days, 1 year -> 365 days, 5 years -> 1825 days), so
that a value accepted here is within the law whatever the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Purpose(StrEnum):
    """A purpose for which recordings (or the documents around them) are kept; one bucket each."""

    QUALITY = "quality"
    PROOF = "proof"
    EVALUATIONS = "evaluations"
    ACCESS_LOGS = "access-logs"
    EVIDENCE = "evidence"

    def __str__(self) -> str:
        return self.value


class LockMode(StrEnum):
    """S3 Object Lock retention modes."""

    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Rule:
    """One rule of the domain, with the texts it comes from."""

    id: str
    title: str
    figure: str
    sources: tuple[str, ...]

    @property
    def citation(self) -> str:
        """The rule id and its sources, as printed beside a finding."""
        return f"{self.id} ({'; '.join(self.sources)})"


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "R1",
            "Recording must be proportionate to a legitimate purpose; recording every call is "
            "systematic surveillance of employees",
            "never 100 % of calls",
            ('CNIL fiche "L\'écoute et l\'enregistrement des appels sur le lieu de travail"',
             "GDPR Art. 5(1)(c)"),
        ),
        Rule(
            "R2",
            "Quality and training: record a random sample of calls only",
            "good practice 20-30 % of the call flow",
            ("CNIL fiche on call recording (occasional and random)", "CNIL SAN-2023-008"),
        ),
        Rule(
            "R3",
            "Proof: record only calls that contain the transaction",
            "each proof recording references a transaction",
            ("CNIL guidance on recording proof of contract (2022)",),
        ),
        Rule(
            "R4",
            "Retention of quality recordings",
            "legal maximum 6 months; good practice 3 months",
            ("CNIL norm NS-57 (délibération 2014-474)",),
        ),
        Rule(
            "R5",
            "Retention of proof recordings",
            "legal maximum 5 years; good practice 12 months or less",
            ("civil and commercial limitation period (5 years)", "CNIL guidance on proof recordings"),
        ),
        Rule(
            "R6",
            "Retention of analysis documents (evaluation grids, reports)",
            "maximum 1 year",
            ('CNIL fiche "L\'écoute et l\'enregistrement des appels sur le lieu de travail"',),
        ),
        Rule(
            "R7",
            "Access to recordings only for the people in charge of the purpose; access is logged",
            "access logs kept 6 months to 1 year",
            ("CNIL NS-57", "CNIL recommendation on logging (délibération 2021-122)", "GDPR Art. 32"),
        ),
        Rule(
            "R8",
            "Storage limitation and erasure; proof may be kept while needed for legal claims",
            "-",
            ("GDPR Art. 5(1)(e)", "GDPR Art. 17", "GDPR Art. 17(3)(e)"),
        ),
        Rule(
            "R9",
            "Records of processing state purposes, recipients and erasure time limits",
            "-",
            ("GDPR Art. 30(1)",),
        ),
        Rule(
            "R10",
            "Security of processing: encryption, access control, logging",
            "-",
            ("GDPR Art. 32",),
        ),
        Rule(
            "R11",
            "Emotion inference on employees from their voice is prohibited",
            "since 2 February 2025",
            ("EU AI Act Art. 5(1)(f)",),
        ),
        Rule(
            "R12",
            "Sanctions",
            "up to 4 % of worldwide annual turnover",
            ("GDPR Art. 83(5)",),
        ),
        Rule(
            "R14",
            "Emotion recognition: the people exposed to it are told",
            "from 2 August 2026",
            ("EU AI Act Art. 50(3)",),
        ),
        Rule(
            "R13",
            "Accountability: the controller keeps the evidence that it complied, unaltered",
            "archived reports write-once, kept at most 5 years",
            ("GDPR Art. 5(2)", "GDPR Art. 24"),
        ),
    )
}

DAYS_IN_SIX_MONTHS = 181
"""The shortest six-month span (January to June of a common year)."""
DAYS_IN_ONE_YEAR = 365
DAYS_IN_FIVE_YEARS = 1825


@dataclass(frozen=True)
class RetentionLimit:
    """The legal bounds on how long one purpose's objects may be kept."""

    purpose: Purpose
    max_days: int
    max_text: str
    rule: str
    min_days: int = 0
    min_rule: str | None = None
    good_practice_days: int | None = None

    @property
    def citation(self) -> str:
        """The rule behind the maximum with its sources."""
        return RULES[self.rule].citation


LIMITS: dict[Purpose, RetentionLimit] = {
    Purpose.QUALITY: RetentionLimit(
        Purpose.QUALITY, DAYS_IN_SIX_MONTHS, "6 months", "R4", good_practice_days=90
    ),
    Purpose.PROOF: RetentionLimit(
        Purpose.PROOF, DAYS_IN_FIVE_YEARS, "5 years", "R5", good_practice_days=365
    ),
    Purpose.EVALUATIONS: RetentionLimit(Purpose.EVALUATIONS, DAYS_IN_ONE_YEAR, "1 year", "R6"),
    Purpose.ACCESS_LOGS: RetentionLimit(
        Purpose.ACCESS_LOGS, DAYS_IN_ONE_YEAR, "1 year", "R7", min_days=180, min_rule="R7"
    ),
    # Archived reports name agents and calls: kept no longer than the limitation period they answer.
    Purpose.EVIDENCE: RetentionLimit(Purpose.EVIDENCE, DAYS_IN_FIVE_YEARS, "5 years", "R13"),
}

MAX_SAMPLING_RATE = 0.30
"""The highest share of calls that quality recording may cover (R2: good practice 20-30 %)."""

SYSTEMATIC_RECORDING_RATE = 0.95
"""A recording rate at or above this is treated as recording every call (R1)."""


def cite(*rule_ids: str) -> tuple[str, ...]:
    """Citations for the given rule ids, in order; an unknown id is a programming error."""
    return tuple(RULES[r].citation for r in rule_ids)
