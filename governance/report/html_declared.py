"""The HTML report's section on what the policy declares beside the recordings: speech analytics and
derived data, per purpose.

It is drawn from two of ``Report.tables``, made by :func:`governance.register.declared_processing`
from the same policy data the record of processing (GDPR Art. 30) states:

``declared_analytics``
    One row per purpose that declares ``analytics:``: ``purpose``, ``transcription``, ``sentiment``,
    ``emotionFromVoice`` (lists of participants), ``agentUse``, ``customerNotice``, ``redaction`` and
    ``conditions`` (the conditions the declaration rests on, such as the training-only use of agents'
    scores, repeated wherever the declaration is shown).
``derived_data``
    One row per derived kind a purpose keeps: ``purpose``, ``kind``, ``prefix``, ``retention_days``.

The section is left out when a report carries neither table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from governance.register import DECLARED_ANALYTICS, DERIVED_DATA
from governance.report.html_sections import data_table, esc
from lifecycle.legal import RULES, Purpose

Row = Mapping[str, Any]

SHOWN = (DECLARED_ANALYTICS, DERIVED_DATA)
"""The tables this section shows in full."""


def _who(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) and value else "nobody"


def _yes(value: Any) -> str:
    return "yes" if value is True else "no"


def _analytics(row: Row) -> str:
    items = [
        ("Transcription", _yes(row.get("transcription"))),
        ("Sentiment scored of", _who(row.get("sentiment"))),
        ("Emotion inferred from the voice of", _who(row.get("emotionFromVoice"))),
        ("Agents' scores used for", str(row.get("agentUse") or "none")),
        (f"Callers told of emotion recognition ({RULES['R14'].citation})", _yes(row.get("customerNotice"))),
        ("Analysis output redacted", _yes(row.get("redaction"))),
    ]
    listed = "".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in items)
    conditions = row.get("conditions") or []
    said = "".join(f"<p><b>Condition:</b> {esc(c)}.</p>" for c in conditions)
    return f"<dl>{listed}</dl>{said}"


def _in_order(purposes: Sequence[str]) -> list[str]:
    """The policy's purposes in their usual order, then any other."""
    seen = dict.fromkeys(purposes)
    known = [str(p) for p in Purpose if str(p) in seen]
    return known + sorted(p for p in seen if p not in known)


def declared_section(tables: Mapping[str, Sequence[Row]], level: int) -> str:
    """Per purpose, the declared analytics (with their conditions) and the derived kinds kept, or nothing."""
    if not any(name in tables for name in SHOWN):
        return ""
    analytics = {str(r.get("purpose")): r for r in tables.get(DECLARED_ANALYTICS, ())}
    derived: dict[str, list[Row]] = {}
    for r in tables.get(DERIVED_DATA, ()):
        derived.setdefault(str(r.get("purpose")), []).append(r)
    parts = [f"<h{level}>Declared speech analytics and derived data</h{level}>",
             "<p>What the policy declares is computed from the recordings and kept beside them, as the record "
             f"of processing states it ({esc(RULES['R9'].citation)}). A derived object is kept no longer than "
             f"its recording ({esc(RULES['R8'].citation)}); inferring an agent's emotions is prohibited "
             f"unless purely for the agent's own training ({esc(RULES['R11'].citation)}).</p>"]
    for purpose in _in_order([*analytics, *derived]):
        parts.append(f"<h{level + 1}>{esc(purpose)}</h{level + 1}>")
        parts.append(_analytics(analytics[purpose]) if purpose in analytics else
                     "<p>No speech analytics declared.</p>")
        kept = [{"kind": r.get("kind"), "prefix": r.get("prefix"), "retention_days": r.get("retention_days")}
                for r in derived.get(purpose, [])]
        parts.append(data_table(kept) if kept else "<p>No derived data kept.</p>")
    return "".join(parts)
