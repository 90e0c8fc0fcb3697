"""The analytics audit as a library: read each source, judge it, put every result into one report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from governance import __version__
from governance.analytics import catalog
from governance.analytics.judge import Observed, judge_analyses
from governance.analytics.parse import AnalysisFile, AnalysisFileError, parse_analysis
from governance.analytics.sources import FileReadError, Source, SourceError, sample
from governance.model import Report, Result
from governance.register import declared_processing
from lifecycle.policy import Policy, PurposePolicy

CONTACTS_TABLE = "analytics_contacts"
"""The per-contact table: who is scored, through which fields, whether a redacted copy exists."""


@dataclass(frozen=True)
class Planned:
    """One source of analysis files and the purpose whose declaration judges them."""

    source: Source
    policy: PurposePolicy
    explicit: bool = True
    """Named by the user rather than found through the purpose's layout (see :class:`Observed`)."""


def observe(plan: Planned, per_day: int | None) -> Observed:
    """List the source, draw the sample, parse each chosen file; a file that fails is set aside, named."""
    label = plan.source.label
    try:
        entries = plan.source.entries()
    except SourceError as err:
        return Observed(label, plan.policy, listing_error=str(err), explicit=plan.explicit)
    files: list[AnalysisFile] = []
    unreadable: list[tuple[str, str]] = []
    for entry in sample(entries, per_day):
        try:
            files.append(parse_analysis(entry.name, plan.source.read(entry), entry.key))
        except (FileReadError, AnalysisFileError) as err:
            unreadable.append((entry.name, str(err)))
    return Observed(label, plan.policy, tuple(files), tuple(unreadable), listed=len(entries), explicit=plan.explicit)


def analytics_report(policy: Policy, plans: Sequence[Planned], per_day: int | None = None) -> Report:
    """The ``audit-analytics`` report of every source."""
    results: list[Result] = []
    rows: list[dict[str, Any]] = []
    described: list[dict[str, Any]] = []
    for plan in plans:
        observed = observe(plan, per_day)
        found, contact_rows = judge_analyses(observed)
        results += found
        rows += contact_rows
        described.append({"source": observed.resource, "purpose": str(plan.policy.purpose),
                          "listed": observed.listed, "read": len(observed.files),
                          "unreadable": len(observed.unreadable)})
    return Report(
        results=tuple(results),
        target={"sources": described, "sample_per_day": per_day if per_day is not None else "all"},
        policy_digest=policy.digest,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
        kind="audit-analytics",
        checks=catalog.ANALYTICS_CHECKS,
        tables={CONTACTS_TABLE: rows, **declared_processing(policy)},
    )
