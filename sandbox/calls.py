"""Synthetic handled calls and the calls export (DESIGN section 6), deterministic for a seed."""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

CALLS_COLUMNS = ("call_id", "agent_id", "started_at", "transaction_id")
TRANSACTION_SHARE = 0.3
"""Share of calls that conclude a transaction (an oral sales agreement): these alone are proof."""


@dataclass(frozen=True)
class Call:
    """One handled call, as the telephony platform exports it."""

    call_id: str
    agent_id: str
    started_at: datetime
    transaction_id: str | None

    @property
    def started_at_iso(self) -> str:
        """ISO 8601 in UTC with a ``Z``, as the export carries it."""
        return self.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def synthetic_calls(count: int, *, seed: int, now: datetime, days: int = 14, agents: int = 8) -> list[Call]:
    """``count`` calls spread over the ``days`` before ``now``, in the order they started."""
    rng = random.Random(seed)
    start = now - timedelta(days=days)
    span = int((now - start).total_seconds()) - 3600  # the last call ends before now
    offsets = sorted(rng.randrange(span) for _ in range(count))
    calls = []
    for number, offset in enumerate(offsets, start=1):
        transaction = f"TX-{rng.randrange(16**8):08X}" if rng.random() < TRANSACTION_SHARE else None
        calls.append(
            Call(
                call_id=f"CALL-{seed:03d}-{number:05d}",
                agent_id=f"AGENT-{rng.randrange(1, agents + 1):02d}",
                started_at=start + timedelta(seconds=offset),
                transaction_id=transaction,
            )
        )
    return calls


def quality_sample(calls: Sequence[Call], rate: float, *, seed: int) -> list[Call]:
    """A random sample of at most ``rate`` of each agent's calls in each month (R2: "ponctuel et
    aléatoire"), in call order.

    The rate is judged per agent and month (R1, R2), so the sample is drawn within each of those
    groups: a sample drawn over all calls at once leaves some agents above the rate by chance.
    """
    rng = random.Random(seed + 1)
    groups: dict[tuple[str, str], list[int]] = {}
    for index, call in enumerate(calls):
        groups.setdefault((call.agent_id, call.started_at.strftime("%Y-%m")), []).append(index)
    chosen: set[int] = set()
    for members in groups.values():
        chosen.update(rng.sample(members, math.floor(rate * len(members))))
    return [c for i, c in enumerate(calls) if i in chosen]


def proof_calls(calls: Iterable[Call]) -> list[Call]:
    """The calls that concluded a transaction (R3): the only ones recorded as proof."""
    return [c for c in calls if c.transaction_id]


def write_calls_export(path: Path, calls: Iterable[Call]) -> Path:
    """Write the calls export CSV; an empty ``transaction_id`` means no transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CALLS_COLUMNS)
        for call in calls:
            writer.writerow((call.call_id, call.agent_id, call.started_at_iso, call.transaction_id or ""))
    return path
