"""Inline SVG charts for the HTML report, drawn in Python: no script, no font or image to fetch.

Two pictures say more than their tables: how old the stored recordings are against the purpose's
limit, and how much of each agent's calls were recorded against the sampling ceiling. Every label
is escaped (an agent id or bucket name comes from the account), and every chart carries a
``<title>`` and ``<desc>`` so that it is readable without the picture.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

from governance.report.common import one_line, plural

FAIL_COLOUR = "#b3261e"
OK_COLOUR = "#3b6ea5"
INK = "#1f2328"
MUTED = "#656d76"
GRID = "#d0d7de"

_BIN_WIDTHS = (1, 2, 5, 7, 10, 14, 15, 30, 60, 90, 120, 180, 365, 730)
"""Histogram bin widths in days, chosen so that the edges land on numbers a reader counts in."""


def _text(value: object) -> str:
    return html.escape(one_line(str(value)), quote=True)


def _num(value: float) -> str:
    """A coordinate with at most one decimal: smaller files, identical drawing."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class AgeBin:
    """Versions whose age in whole days falls in ``[start, start + width)``, split at the limit."""

    start: int
    width: int
    within: int
    beyond: int


def age_bins(ages: Sequence[tuple[int, int]], limit_days: int, max_bins: int = 36) -> list[AgeBin]:
    """(age in days, number of versions) pairs binned so that the limit and the oldest age both fit.

    Each bin keeps apart the versions younger than the limit and those at or beyond it, so a bin that
    straddles the limit is drawn in two colours instead of being rounded to either side.
    """
    span = max([limit_days, *(a for a, _ in ages)]) + 1
    width = next((w for w in _BIN_WIDTHS if math.ceil(span * 1.05 / w) <= max_bins), _BIN_WIDTHS[-1])
    count = max(1, math.ceil(span * 1.05 / width))
    within = [0] * count
    beyond = [0] * count
    for age, n in ages:
        i = min(max(age, 0) // width, count - 1)
        if age >= limit_days:
            beyond[i] += n
        else:
            within[i] += n
    return [AgeBin(i * width, width, within[i], beyond[i]) for i in range(count)]


def age_histogram(ages: Sequence[tuple[int, int]], limit_days: int, label: str) -> str:
    """A histogram of version ages with the purpose's limit as a vertical line; beyond it in red."""
    bins = age_bins(ages, limit_days)
    total = sum(n for _, n in ages)
    beyond = sum(b.beyond for b in bins)
    w, h, left, right, top, bottom = 760, 240, 56, 16, 28, 40
    plot_w, plot_h = w - left - right, h - top - bottom
    peak = max([b.within + b.beyond for b in bins] + [1])
    x_max = bins[-1].start + bins[-1].width
    scale_x = plot_w / x_max

    def x(days: float) -> float:
        return left + days * scale_x

    def y(n: float) -> float:
        return top + plot_h - n / peak * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" class="chart">',
        f"<title>Age of stored versions, {_text(label)}</title>",
        f"<desc>{plural(total, 'version')}; {beyond} {'is' if beyond == 1 else 'are'} {limit_days} days old or older "
        "(the limit).</desc>",
    ]
    for tick in _ticks(peak):
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{_num(y(tick))}" y2="{_num(y(tick))}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{_num(y(tick) + 4)}" text-anchor="end" font-size="11" '
                     f'fill="{MUTED}">{tick}</text>')
    bar_w = max(bins[0].width * scale_x - 1, 1)  # a 1-pixel gap keeps neighbouring bars apart
    for b in bins:
        base = y(0)
        for n, colour in ((b.within, OK_COLOUR), (b.beyond, FAIL_COLOUR)):
            if n:
                top_y = base - n / peak * plot_h
                parts.append(f'<rect x="{_num(x(b.start) + 0.5)}" y="{_num(top_y)}" width="{_num(bar_w)}" '
                             f'height="{_num(base - top_y)}" fill="{colour}"><title>{b.start}-'
                             f"{b.start + b.width - 1} days: {plural(n, 'version')}</title></rect>")
                base = top_y
    for tick in _ticks(x_max, 8):
        parts.append(f'<text x="{_num(x(tick))}" y="{h - bottom + 16}" text-anchor="middle" font-size="11" '
                     f'fill="{MUTED}">{tick}</text>')
    parts += [
        f'<line x1="{left}" x2="{w - right}" y1="{_num(y(0))}" y2="{_num(y(0))}" stroke="{INK}" stroke-width="1"/>',
        f'<text x="{left + plot_w / 2:.0f}" y="{h - 6}" text-anchor="middle" font-size="12" fill="{INK}">'
        "age in days (since last modified)</text>",
        f'<line x1="{_num(x(limit_days))}" x2="{_num(x(limit_days))}" y1="{top - 6}" y2="{_num(y(0))}" '
        f'stroke="{FAIL_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>',
        f'<text x="{_num(x(limit_days) + 6)}" y="{top + 6}" font-size="12" font-weight="600" fill="{FAIL_COLOUR}">'
        f"limit {limit_days} days</text>",
        f'<text x="{left}" y="{top - 12}" font-size="12" fill="{INK}">versions</text>',
        "</svg>",
    ]
    return "".join(parts)


@dataclass(frozen=True)
class AgentRate:
    """One agent's highest monthly recording rate (a fraction), the month it was reached, and volumes."""

    agent: str
    rate: float
    month: str
    recordings: int
    calls: int


def rate_bars(rates: Sequence[AgentRate], ceiling: float, hidden: int = 0, legal: float | None = None) -> str:
    """One horizontal bar per agent, highest rate first, with the sampling ceiling as a vertical line.

    ``legal`` is the law's own ceiling (R2's 30 %), drawn as a second, grey line when the policy chose
    a lower rate: the reader sees both what was judged and how far it is from the legal bound.
    """
    row_h, left, right, top, bottom = 22, 180, 120, 30, 34
    w = 760
    h = top + bottom + row_h * max(len(rates), 1)
    plot_w = w - left - right
    x_max = max([ceiling * 1.25, legal or 0, *(r.rate for r in rates), 0.05])
    x_max = min(1.0, math.ceil(x_max * 10) / 10) if x_max <= 1 else x_max

    def x(rate: float) -> float:
        return left + rate / x_max * plot_w

    over = sum(r.rate > ceiling for r in rates)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" class="chart">',
        "<title>Highest monthly recording rate per agent</title>",
        f"<desc>{len(rates)} agents shown; {over} above the {ceiling:.0%} ceiling"
        + (f"; {hidden} more, all lower, are in the table" if hidden else "") + ".</desc>",
    ]
    for step in range(0, 11):
        tick = step / 10
        if tick > x_max + 1e-9:
            break
        parts.append(f'<line x1="{_num(x(tick))}" x2="{_num(x(tick))}" y1="{top - 4}" y2="{h - bottom}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{_num(x(tick))}" y="{h - bottom + 16}" text-anchor="middle" font-size="11" '
                     f'fill="{MUTED}">{tick:.0%}</text>')
    # The ceiling is drawn before the bars so that the value labels' halo stays on top of it.
    parts += [
        f'<line x1="{_num(x(ceiling))}" x2="{_num(x(ceiling))}" y1="{top - 10}" y2="{h - bottom}" '
        f'stroke="{FAIL_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>',
        f'<text x="{_num(x(ceiling))}" y="{top - 14}" text-anchor="middle" font-size="12" font-weight="600" '
        f'fill="{FAIL_COLOUR}">ceiling {ceiling:.0%}</text>',
    ]
    if legal is not None and legal > ceiling + 1e-9:
        parts += [
            f'<line x1="{_num(x(legal))}" x2="{_num(x(legal))}" y1="{top - 10}" y2="{h - bottom}" '
            f'stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="2 3"/>',
            f'<text x="{_num(x(legal) + 4)}" y="{top - 14}" font-size="11" fill="{MUTED}">R2 {legal:.0%}</text>',
        ]
    for i, r in enumerate(rates):
        y = top + i * row_h
        colour = FAIL_COLOUR if r.rate > ceiling else OK_COLOUR
        agent = _text(r.agent if len(r.agent) <= 26 else r.agent[:25] + "…")
        parts += [
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12" fill="{INK}">{agent}</text>',
            f'<rect x="{left}" y="{y + 4}" width="{_num(max(x(r.rate) - left, 1))}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{_text(r.agent)}: {r.recordings} of {r.calls} calls recorded in '
            f"{_text(r.month)}</title></rect>",
            # A white halo keeps the value legible where it crosses the ceiling line.
            f'<text x="{_num(x(r.rate) + 6)}" y="{y + 15}" font-size="11" fill="{INK}" stroke="#fff" '
            f'stroke-width="3" paint-order="stroke">{r.rate:.0%} '
            f"({_text(r.month)})</text>",
        ]
    parts += [
        f'<text x="{left + plot_w / 2:.0f}" y="{h - 6}" text-anchor="middle" font-size="12" fill="{INK}">'
        "share of the agent's calls recorded (worst month)</text>",
        "</svg>",
    ]
    return "".join(parts)


def _ticks(top: float, count: int = 4) -> list[int]:
    """Round tick values from 0 to ``top``: 1, 2 or 5 times a power of ten apart."""
    raw = max(top / count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return list(range(0, int(top) + 1, int(step)))
