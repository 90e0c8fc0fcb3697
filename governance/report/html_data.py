"""The HTML report's view of ``Report.tables``: charts, the legal-hold register, the data behind them.

Tables the page draws from (each optional; the part is left out when its table is absent):

``legal_holds``
    The object audit's legal-hold register (:func:`governance.audit.findings.hold_rows`): ``bucket``,
    ``key``, ``version_id``, ``last_modified``, ``age_days``, ``retain_until``. Shown in full.
``age_distribution``
    Ages of stored versions, one row per bucket and age: ``bucket``, ``purpose``, ``age_days``
    (whole days since last modified at the audit's date), ``versions`` (how many versions have that
    age; 1 when absent, so one row per version also works) and ``limit_days`` (the purpose's
    effective limit; the legal maximum of the purpose when absent). Drawn as a histogram per bucket
    with the limit as a line; versions at or beyond it in red. Versions under legal hold are counted
    too: the register says which of the old ones are lawfully kept.
``agent_months``
    Proportionality (:func:`governance.audit.proportionality.rate_results`), one row per agent and
    month: ``agent_id``, ``month`` (``YYYY-MM``), ``calls``, ``recordings``, ``rate`` (recordings /
    calls as a fraction; computed when absent) and ``max_rate`` (the policy's sampling rate the rows
    were judged against; :data:`lifecycle.legal.MAX_SAMPLING_RATE`, 30 %, when absent). Drawn as each
    agent's worst month against that rate, and against R2's 30 % when the policy's rate is lower.

Every table, these included, is also listed row by row under "Data tables", folded, except those shown
in full elsewhere: the register and the policy's declarations (:mod:`governance.report.html_declared`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from governance.register import DECLARED_ANALYTICS, DERIVED_DATA
from governance.report.charts import AgentRate, age_histogram, rate_bars
from governance.report.common import plural
from governance.report.html_sections import data_table, esc
from lifecycle.legal import LIMITS, MAX_SAMPLING_RATE, RULES, Purpose

HOLDS = "legal_holds"
AGES = "age_distribution"
RATES = "agent_months"

MAX_AGENTS_DRAWN = 40
"""Agents drawn in the rate chart (highest rates first); the rest are in the data table."""

Row = Mapping[str, Any]


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _legal_max(purpose: str) -> int | None:
    try:
        return LIMITS[Purpose(purpose)].max_days
    except ValueError:
        return None


def age_figures(rows: Sequence[Row]) -> list[str]:
    """One histogram per bucket of the ``age_distribution`` table."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((str(row.get("bucket", "")), str(row.get("purpose", ""))), []).append(row)
    figures = []
    for (bucket, purpose), group in groups.items():
        limit = _int(group[0].get("limit_days"), -1)
        if limit < 0:
            limit = _legal_max(purpose) or 0
        ages = [(_int(r.get("age_days")), _int(r.get("versions"), 1)) for r in group if r.get("age_days") is not None]
        if not ages or limit <= 0:
            continue
        total = sum(n for _, n in ages)
        beyond = sum(n for a, n in ages if a >= limit)
        label = f"s3://{bucket} ({purpose})" if bucket else purpose
        caption = (f"<b>{esc(label)}</b>: {plural(total, 'version')}, <b>{beyond}</b> of them {limit} days old "
                   "or older (the purpose's effective limit).")
        figures.append(f"<figure><figcaption>{caption}</figcaption>{age_histogram(ages, limit, label)}</figure>")
    return figures


def worst_rates(rows: Sequence[Row]) -> tuple[list[AgentRate], float]:
    """Each agent's highest monthly rate, highest first, and the ceiling the rows state."""
    worst: dict[str, AgentRate] = {}
    ceiling = MAX_SAMPLING_RATE
    for row in rows:
        calls, recordings = _int(row.get("calls")), _int(row.get("recordings"))
        rate = row.get("rate")
        value = float(rate) if rate is not None else (recordings / calls if calls else 0.0)
        if row.get("max_rate") is not None:
            ceiling = float(row["max_rate"])
        agent = str(row.get("agent_id", ""))
        candidate = AgentRate(agent, value, str(row.get("month", "")), recordings, calls)
        if agent not in worst or value > worst[agent].rate:
            worst[agent] = candidate
    return sorted(worst.values(), key=lambda r: (-r.rate, r.agent)), ceiling


def rate_figure(rows: Sequence[Row]) -> str:
    """The worst month of each agent against the sampling ceiling."""
    rates, ceiling = worst_rates(rows)
    if not rates:
        return ""
    shown, hidden = rates[:MAX_AGENTS_DRAWN], len(rates) - MAX_AGENTS_DRAWN
    over = sum(r.rate > ceiling for r in rates)
    rule = RULES["R2"]
    caption = (f"<b>Recording rate per agent</b>: {len(rates)} agents, <b>{over}</b> above the "
               f"{ceiling:.0%} ceiling in at least one month ({esc(rule.id)}: {esc(rule.figure)}; "
               f"{esc('; '.join(rule.sources))})."
               + (f" The {hidden} lowest are not drawn; every agent is in the data table." if hidden > 0 else ""))
    chart = rate_bars(shown, ceiling, max(hidden, 0), MAX_SAMPLING_RATE)
    return f"<figure><figcaption>{caption}</figcaption>{chart}</figure>"


def charts_section(tables: Mapping[str, Sequence[Row]], level: int) -> str:
    """The charts the report's tables allow, or nothing."""
    figures = age_figures(tables.get(AGES, ()))
    if tables.get(RATES):
        figures.append(rate_figure(tables[RATES]))
    figures = [f for f in figures if f]
    return f"<h{level}>Charts</h{level}>" + "".join(figures) if figures else ""


def holds_section(tables: Mapping[str, Sequence[Row]], level: int) -> str:
    """The legal-hold register, in full: each hold is lawful only while its dispute is live."""
    if HOLDS not in tables:
        return ""
    rows = tables[HOLDS]
    rule = RULES["R8"]
    return (f"<h{level}>Legal-hold register</h{level}><p>{plural(len(rows), 'version')} listed under legal hold. "
            "A hold is lawful only while the dispute it serves is live "
            f"({esc(rule.id)}: {esc('; '.join(rule.sources))}); review the oldest first.</p>" + data_table(rows))


SHOWN_IN_FULL = (HOLDS, DECLARED_ANALYTICS, DERIVED_DATA)
"""Tables another part of the page shows whole: not repeated under "Data tables"."""


def data_tables_section(tables: Mapping[str, Sequence[Row]], level: int) -> str:
    """Every table except those already shown in full, folded."""
    names = sorted(n for n in tables if n not in SHOWN_IN_FULL)
    if not names:
        return ""
    parts = [f"<details><summary>{esc(n)} ({plural(len(tables[n]), 'row')})</summary>{data_table(tables[n])}</details>"
             for n in names]
    return f"<h{level}>Data tables</h{level}>" + "".join(parts)
