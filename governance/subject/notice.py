"""The information that goes with a copy of one's recordings (GDPR Art. 15(1)), from the policy.

Purposes, categories of data, recipients, retention, rights, source and automated decisions are
the register's own entries (:func:`governance.register.register_entries`) for the purposes the
exported recordings serve, so the notice cannot say something the infrastructure does not do.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from governance.register import register_entries
from governance.subject.export import ExportedFile
from lifecycle.policy import Policy

RIGHTS = (
    "rectification of inaccurate data (GDPR Art. 16)",
    "erasure (Art. 17); proof of a transaction may be kept while it is needed for legal claims (Art. 17(3)(e))",
    "restriction of processing (Art. 18)",
    "objection to processing based on legitimate interest, such as quality recording (Art. 21)",
    "lodging a complaint with a supervisory authority (Art. 77), such as the CNIL in France",
)
OTHERS = ("The recordings also carry the voice of the agent who took the call; they are given to you as "
          "they are, the rights and freedoms of others being respected (GDPR Art. 15(4)).")
SOURCE = ("The recordings were made by the call-recording system during your calls with us and are stored in "
          "the storage of the purpose they serve, each under its retention.")
AUTOMATED = "No decision based solely on automated processing, including profiling, is made from these recordings."


def sections(policy: Policy, files: Sequence[ExportedFile], call_ids: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The notice as titled sections of plain sentences."""
    used = {str(f.version.purpose) for f in files}
    entries = [e for e in register_entries(policy) if e["purpose"] in used]
    purposes = [f"{e['purpose']}: {e['description']} (legal basis: {e['legal_basis']})" for e in entries]
    categories = [f"{e['purpose']}: {e['categories_of_data']}" for e in entries]
    recipients = [f"{e['purpose']}: {e['recipients']}" for e in entries]
    retention = [f"{e['purpose']}: kept {e['retention_days']} days; {e['erasure_time_limit']}" for e in entries]
    copies = [f"{f.path}: {f.version.kind} of call {f.version.call_id}, {f.size} bytes, SHA-256 {f.sha256}, "
              f"kept until {f.as_dict()['retention_end'] or 'the end of its retention'}" for f in files]
    return [
        ("Calls", [f"Call {c}" for c in call_ids]),
        ("Copies enclosed (GDPR Art. 15(3))", copies or ["No recording of these calls is stored."]),
        ("Purposes of processing (Art. 15(1)(a))", purposes),
        ("Categories of personal data (Art. 15(1)(b))", categories),
        ("Recipients (Art. 15(1)(c))", recipients),
        ("Retention (Art. 15(1)(d))", retention),
        ("Your rights (Art. 15(1)(e) and (f))", list(RIGHTS)),
        ("Source of the data (Art. 15(1)(g))", [SOURCE]),
        ("Automated decisions (Art. 15(1)(h))", [AUTOMATED]),
        ("Rights of others (Art. 15(4))", [OTHERS]),
    ]


def render_markdown(policy: Policy, files: Sequence[ExportedFile], call_ids: Sequence[str],
                    meta: dict[str, Any]) -> str:
    """The notice in Markdown."""
    lines = ["# Your call recordings: a copy and what we do with them", "",
             f"Prepared {meta['generated_at']} (policy {meta['policy_digest']}).", ""]
    for title, items in sections(policy, files, call_ids):
        lines += [f"## {title}", "", *(f"- {item}" for item in items), ""]
    return "\n".join(lines)


def render_html(policy: Policy, files: Sequence[ExportedFile], call_ids: Sequence[str], meta: dict[str, Any]) -> str:
    """The notice as one self-contained HTML page."""
    body = []
    for title, items in sections(policy, files, call_ids):
        body.append(f"<h2>{html.escape(title)}</h2>\n<ul>\n"
                    + "".join(f"<li>{html.escape(i)}</li>\n" for i in items) + "</ul>")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Your call recordings</title>"
            "<style>body{font-family:sans-serif;max-width:50rem;margin:2rem auto;line-height:1.5}</style></head>\n"
            "<body>\n<h1>Your call recordings: a copy and what we do with them</h1>\n"
            f"<p>Prepared {html.escape(meta['generated_at'])} (policy {html.escape(meta['policy_digest'])}).</p>\n"
            + "\n".join(body) + "\n</body></html>\n")
