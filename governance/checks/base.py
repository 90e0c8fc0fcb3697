"""What every check shares: the expectation it judges against and how it words a finding."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from governance.collect.observed import Observed
from governance.collect.snapshot import BucketSnapshot
from governance.model import CheckMeta, Result, Severity, Status
from lifecycle.access import DenyRequirement, Principals, deny_requirements
from lifecycle.legal import Purpose, cite
from lifecycle.policy import PurposePolicy
from lifecycle.purposes import RoleKind, traits
from lifecycle.render import BucketSpec

UNKNOWN = "(unknown)"
"""Stands for principals that neither stack outputs nor stack config name (``--bucket`` alone)."""
UNKNOWN_PRINCIPALS = (UNKNOWN,)


def unknown_principals(purpose: Purpose) -> Principals:
    """Principals whose exemptions are unknown, except where the design fixes them as none.

    A role kind the purpose does not have (an erasure role on proof, writers on the access logs)
    stays empty, so that an exemption there is still a failure.
    """
    kind = traits(purpose)

    def unknown_if(present: bool) -> tuple[str, ...]:
        return UNKNOWN_PRINCIPALS if present else ()

    return Principals(
        deployer=UNKNOWN_PRINCIPALS,
        readers=UNKNOWN_PRINCIPALS,
        writers=unknown_if(RoleKind.WRITER in kind.roles),
        erasure=unknown_if(kind.early_erasure),
        legal_hold=unknown_if(kind.legal_hold),
        # A service writing for one of its resources (Amazon Connect) is exempted by aws:SourceArn.
        service_sources=unknown_if(RoleKind.WRITER in kind.roles),
    )


@dataclass(frozen=True)
class Expected:
    """What one bucket must be, and the context a check needs to judge it.

    ``key_arn`` and ``principals`` come from stack outputs (None when unknown); ``log_bucket`` is the
    access-logs purpose's bucket when known; ``log_target`` is the snapshot of the bucket this one
    actually logs to; ``governed`` maps every verified bucket to its purpose.
    """

    bucket: str
    purpose: Purpose
    policy: PurposePolicy
    spec: BucketSpec
    key_arn: str | None = None
    principals: Principals | None = None
    log_bucket: str | None = None
    log_target: BucketSnapshot | None = None
    governed: Mapping[str, Purpose] = field(default_factory=dict)

    @property
    def requirements(self) -> list[DenyRequirement]:
        """The denies the bucket policy must carry (lifecycle.access: the same list Pulumi deploys)."""
        principals = self.principals or unknown_principals(self.purpose)
        return deny_requirements(self.purpose, principals, self.key_arn, self.policy.retention_days)

    @property
    def label(self) -> str:
        """``Bucket name (purpose)``, the subject of every finding's sentence."""
        return f"Bucket {self.bucket} ({self.purpose})"


CheckRun = Callable[["Check", Expected, BucketSnapshot], list[Result]]


@dataclass(frozen=True)
class Check:
    """A check: its metadata plus a pure function of expectation and snapshot; no I/O inside."""

    meta: CheckMeta
    run: CheckRun
    applies: Callable[[Expected], bool] = lambda _e: True

    def __call__(self, expected: Expected, snapshot: BucketSnapshot) -> list[Result]:
        """The check's results for one bucket; none when it does not apply to the purpose."""
        if not self.applies(expected):
            return []
        return self.run(self, expected, snapshot)

    def result(
        self,
        expected: Expected,
        status: Status,
        message: str,
        *,
        observed: Any = None,
        required: Any = None,
        severity: Severity | None = None,
    ) -> Result:
        """A finding in this check's name, citing its rules."""
        return Result(
            check=self.meta.id,
            resource=expected.bucket,
            purpose=str(expected.purpose),
            status=status,
            severity=severity or self.meta.severity,
            message=message,
            observed=observed,
            expected=required,
            citations=cite(*self.meta.rules),
        )

    def passed(self, expected: Expected, message: str, observed: Any = None, required: Any = None) -> list[Result]:
        """A single PASS."""
        return [self.result(expected, Status.PASS, message, observed=observed, required=required)]

    def failed(
        self,
        expected: Expected,
        message: str,
        observed: Any = None,
        required: Any = None,
        severity: Severity | None = None,
    ) -> list[Result]:
        """A single FAIL."""
        return [self.result(expected, Status.FAIL, message, observed=observed, required=required, severity=severity)]

    def unreadable(self, expected: Expected, what: str, observed: Observed, required: Any = None) -> list[Result]:
        """A single ERROR: the setting could not be read, so nothing is concluded."""
        needs = f", which needs {observed.permission}" if observed.permission else ""
        return [
            self.result(
                expected,
                Status.ERROR,
                f"{expected.label}: the {what} could not be read ({observed.reason}{needs}), "
                f"so {self.meta.id} cannot be judged.",
                observed=observed.evidence(),
                required=required,
            )
        ]


def first_unreadable(settings: Sequence[tuple[str, Observed]]) -> tuple[str, Observed] | None:
    """The first of several settings a check needs that could not be read."""
    return next(((name, obs) for name, obs in settings if obs.is_unreadable), None)
