"""The vocabulary of verification: statuses, severities, check metadata and results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any


class Status(StrEnum):
    """A check's verdict on one resource. ERROR means it could not be judged: never a pass."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


class Severity(StrEnum):
    """How bad a failure is."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    def __str__(self) -> str:
        return self.value


class ExitCode(int, Enum):
    """Exit codes of every command (DESIGN section 6)."""

    COMPLIANT = 0
    VIOLATION = 1
    USAGE = 2
    INCOMPLETE = 3


@dataclass(frozen=True)
class Result:
    """One check's verdict on one resource: a sentence an auditor can read, with the evidence."""

    check: str
    resource: str
    purpose: str
    status: Status
    severity: Severity
    message: str
    observed: Any = None
    expected: Any = None
    citations: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of DESIGN section 6."""
        return {
            "check": self.check,
            "resource": self.resource,
            "purpose": self.purpose,
            "status": str(self.status),
            "severity": str(self.severity),
            "message": self.message,
            "observed": self.observed,
            "expected": self.expected,
            "citations": list(self.citations),
        }


@dataclass(frozen=True)
class Summary:
    """Counts of a run's results and the exit code they lead to."""

    passed: int
    failed: int
    errors: int

    @classmethod
    def of(cls, results: Sequence[Result]) -> Summary:
        """Count results by status."""
        return cls(
            passed=sum(r.status is Status.PASS for r in results),
            failed=sum(r.status is Status.FAIL for r in results),
            errors=sum(r.status is Status.ERROR for r in results),
        )

    @property
    def exit_code(self) -> ExitCode:
        """1 on any failure, else 3 when something (or everything: no result at all) could not be
        verified, else 0. A run that judged nothing is no evidence of compliance."""
        if self.failed:
            return ExitCode.VIOLATION
        if self.errors or not (self.passed or self.failed):
            return ExitCode.INCOMPLETE
        return ExitCode.COMPLIANT

    def as_dict(self) -> dict[str, int]:
        """The JSON ``summary`` object."""
        return {"pass": self.passed, "fail": self.failed, "error": self.errors}


@dataclass(frozen=True)
class CheckMeta:
    """What a check is, independent of any resource: stable id, rules cited, permissions needed."""

    id: str
    title: str
    severity: Severity
    rules: tuple[str, ...]
    permissions: tuple[str, ...]
    remediation: str
    description: str = ""
    severity_by_purpose: tuple[tuple[str, Severity], ...] = ()
    """Purposes whose failures weigh otherwise than ``severity``, e.g. ``(("proof", Severity.CRITICAL),)``."""

    def severity_for(self, purpose: str) -> Severity:
        """The severity of this check's findings on a bucket of ``purpose``."""
        return dict(self.severity_by_purpose).get(purpose, self.severity)


@dataclass(frozen=True)
class Report:
    """Everything a report renders: what was judged, against which policy, with which results."""

    results: tuple[Result, ...]
    target: dict[str, Any]
    policy_digest: str
    generated_at: str
    tool_version: str
    kind: str = "verify"
    checks: tuple[CheckMeta, ...] = ()
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    """Sentences a reader needs before the results (a policy other than the one deployed). Every
    format shows them first."""
    outage: str | None = None
    """One sentence when the account could not be reached at all (no credentials, endpoint
    unreachable): the cause of every ERROR, said once instead of once per result."""

    @property
    def summary(self) -> Summary:
        """Counts of the results."""
        return Summary.of(self.results)

