"""The subject commands' output: one document, shown as text, JSON or Markdown.

A document is plain data: ``schema``, ``command``, ``generated_at``, ``tool_version``,
``policy_digest``, ``target``, ``call_ids``, ``summary`` (counts), ``notes`` (sentences) and
``rows`` (one per version, receipt or hold). Text and Markdown show the ``columns`` of each row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from governance import __version__

SCHEMA = "recgov-subject/1"
FORMATS = ("text", "json", "markdown")


def document(command: str, policy_digest: str, target: str, call_ids: Sequence[str], rows: Sequence[Mapping[str, Any]],
             summary: Mapping[str, Any], notes: Sequence[str] = ()) -> dict[str, Any]:
    """The output document of one command run."""
    return {
        "schema": SCHEMA,
        "command": command,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool_version": __version__,
        "policy_digest": policy_digest,
        "target": target,
        "call_ids": list(call_ids),
        "summary": dict(summary),
        "notes": list(notes),
        "rows": [dict(r) for r in rows],
    }


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    return str(value)


def render(doc: Mapping[str, Any], columns: Sequence[str], fmt: str) -> str:
    """The document as ``text``, ``json`` or ``markdown``."""
    if fmt == "json":
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    rows = [[_cell(r.get(c)) for c in columns] for r in doc["rows"]]
    summary = ", ".join(f"{k} {v}" for k, v in doc["summary"].items())
    if fmt == "markdown":
        calls = ", ".join(doc["call_ids"]) or "-"
        lines = [f"# recgov {doc['command']}", "", f"Calls: {calls}; target {doc['target']}; "
                 f"policy {doc['policy_digest']}; {doc['generated_at']}.", "", f"**{summary}**", ""]
        if rows:
            lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
            lines.append("")
        lines += [f"- {n}" for n in doc["notes"]]
        return "\n".join(lines).rstrip("\n") + "\n"
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    lines = [f"recgov {doc['command']}: {summary}"]
    if rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines += [f"note: {n}" for n in doc["notes"]]
    return "\n".join(lines) + "\n"
