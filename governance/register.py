"""The record of processing (GDPR Art. 30(1)) for each purpose, generated from the policy.

Generated, not written: a retention changed in the policy changes the register, so the register
cannot drift from the infrastructure the same policy deploys.
"""

from __future__ import annotations

import html
import json
from typing import Any

from governance.report import HTML, JSON, MARKDOWN, UnknownFormatError
from lifecycle.controller import CONTROLLER_LABELS, Controller
from lifecycle.legal import RULES
from lifecycle.policy import Policy, PurposePolicy
from lifecycle.purposes import PurposeTraits, traits
from lifecycle.render import derived_prefix, render_bucket

REGISTER_FORMATS = (MARKDOWN.name, HTML.name, JSON.name)
"""The report formats the register is written in (``recgov policy register --format``)."""

KMS_ENCRYPTION = "encryption at rest with a customer-managed KMS key per purpose (key rotation on)"
S3_ENCRYPTION = "encryption at rest (SSE-S3, required by S3 log delivery)"
TLS_ONLY = "TLS-only access (bucket policy)"
OBJECT_LOCK = "Object Lock against alteration and early deletion"
LEAST_PRIVILEGE = "least-privilege roles per purpose; reads denied to anyone but the purpose's readers"
LOGGING = "server access logging to a separate bucket; public access blocked"


def security_measures(kind: PurposeTraits) -> list[str]:
    """The security measures (Art. 30(1)(g), Art. 32) of a purpose's bucket: its own KMS key unless S3's
    log delivery forbids one, and Object Lock where the purpose may be locked."""
    return [KMS_ENCRYPTION if kind.kms else S3_ENCRYPTION, TLS_ONLY, *([OBJECT_LOCK] if kind.lock_modes else []),
            LEAST_PRIVILEGE, LOGGING]


DECLARED_ANALYTICS = "declared_analytics"
"""The table of each purpose's ``analytics:`` declaration, as reports carry it."""
DERIVED_DATA = "derived_data"
"""The table of each purpose's derived kinds, with prefix and retention, as reports carry it."""


def derived_rows(p: PurposePolicy) -> list[dict[str, Any]]:
    """The derived kinds a purpose keeps: ``purpose``, ``kind``, ``prefix`` and ``retention_days``."""
    return [{"purpose": str(p.purpose), "kind": d.kind, "prefix": f"{derived_prefix(p, d.kind)}/",
             "retention_days": p.derived_retention(d)} for d in p.derived]


def analytics_row(p: PurposePolicy) -> dict[str, Any] | None:
    """A purpose's declared analytics in the policy's vocabulary, with the conditions they rest on."""
    if p.analytics is None:
        return None
    return {"purpose": str(p.purpose), **p.analytics.as_dict(), "conditions": list(p.analytics.conditions())}


def declared_processing(policy: Policy) -> dict[str, list[dict[str, Any]]]:
    """What the policy declares is computed from and kept beside the recordings, as report tables
    (:data:`DECLARED_ANALYTICS`, :data:`DERIVED_DATA`): the same data the register states."""
    tables = {DECLARED_ANALYTICS: [row for p in policy if (row := analytics_row(p)) is not None],
              DERIVED_DATA: [row for p in policy for row in derived_rows(p)]}
    return {name: rows for name, rows in tables.items() if rows}


def derived_text(p: PurposePolicy) -> str | None:
    """The derived kinds a purpose keeps, where, and for how long."""
    parts = [f"{row['kind']} under {row['prefix']} ({row['retention_days']} days, never beyond its recording)"
             for row in derived_rows(p)]
    return "; ".join(parts) or None


def analytics_text(p: PurposePolicy) -> str | None:
    """What is computed from the recordings, with the conditions it rests on."""
    a = p.analytics
    if a is None:
        return None

    def who(participants: frozenset[Any]) -> str:
        return " and ".join(sorted(map(str, participants))) or "nobody"

    parts = [f"transcription {'on' if a.transcription else 'off'}", f"sentiment of {who(a.sentiment)}",
             f"emotion from the voice of {who(a.emotion_from_voice)}"]
    if a.customer_notice:
        parts.append("callers are told of emotion recognition (EU AI Act Art. 50(3))")
    if a.redaction:
        parts.append("analysis output redacted")
    return "; ".join(parts) + "".join(f". Condition: {c}" for c in a.conditions()) + "."


def register_entries(policy: Policy) -> list[dict[str, Any]]:
    """One Art. 30(1) entry per purpose."""
    entries = []
    for p in policy:
        spec = render_bucket(p)
        kind = traits(p.purpose)
        entries.append(
            {
                "purpose": str(p.purpose),
                "description": kind.description,
                "legal_basis": p.legal_basis,
                "categories_of_data": kind.data,
                "categories_of_persons": kind.persons,
                "recipients": p.readers,
                "writers": p.writers,
                "erasure": p.erasure or "none before expiry",
                "retention_days": p.retention_days,
                "erasure_time_limit": (
                    f"every copy gone within {spec.worst_case.days} days of recording "
                    f"(legal maximum {spec.legal_max_days} days, {kind.limit.rule})"
                ),
                "sampling": (f"at most {p.sampling_rate:.0%} of calls, at random" if p.sampling_rate else None),
                "derived_data": derived_text(p),
                "analytics": analytics_text(p),
                "security_measures": security_measures(kind),
                "citations": [RULES[r].citation for r in (*spec.rules, "R9", *(("R11", "R14") if p.analytics else ()))],
            }
        )
    return entries


NOT_CONFIGURED = "not configured (add it under controller: in the policy file)"


def controller_rows(controller: Controller) -> list[tuple[str, str]]:
    """(label, value) for the controller's part of the record, naming what is missing."""
    return [(label, getattr(controller, key) or NOT_CONFIGURED) for key, label in CONTROLLER_LABELS.items()]


def render_register(policy: Policy, fmt: str, controller: Controller | None = None) -> str:
    """The register in one of :data:`REGISTER_FORMATS` (``markdown``, ``html`` or ``json``); ``controller``
    from the policy file's ``controller:`` section (Art. 30(1)(a) and (e)), each missing item shown as not
    configured."""
    if fmt not in REGISTER_FORMATS:
        raise UnknownFormatError(f"the register is written as {', '.join(REGISTER_FORMATS)}, not {fmt!r}")
    entries = register_entries(policy)
    controller = controller or Controller()
    rows = controller_rows(controller)
    missing = controller.missing()
    if fmt == JSON.name:
        doc = {"policy_digest": policy.digest,
               "controller": {k: getattr(controller, k) for k in CONTROLLER_LABELS},
               "missing": missing, "entries": entries}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    labels = [
        ("description", "Purpose of the processing"),
        ("legal_basis", "Legal basis"),
        ("categories_of_data", "Categories of personal data"),
        ("categories_of_persons", "Categories of data subjects"),
        ("recipients", "Recipients (who may read)"),
        ("writers", "Who records"),
        ("erasure", "Who may erase early"),
        ("erasure_time_limit", "Time limit for erasure"),
        ("sampling", "Sampling"),
        ("derived_data", "Derived data kept"),
        ("analytics", "Speech analytics"),
    ]
    if fmt == HTML.name:
        parts = [
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
            "<title>Record of processing activities (GDPR Art. 30)</title>",
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
            "th{text-align:left;vertical-align:top;width:16em}td,th{padding:.3em;border-bottom:1px solid #ddd}"
            "table{border-collapse:collapse;width:100%;margin-bottom:2em}</style></head><body>",
            "<h1>Record of processing activities (GDPR Art. 30)</h1>",
            f"<p>Generated from the retention policy <code>{html.escape(policy.digest)}</code>.</p>",
            "<h2>Controller (Art. 30(1)(a), (e))</h2><table>",
            *(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in rows),
            "</table>",
        ]
        if missing:
            parts.append(f"<p><b>Missing from the record:</b> {html.escape(', '.join(missing))}.</p>")
        for e in entries:
            parts.append(f"<h2>{html.escape(e['purpose'])}</h2><table>")
            for key, label in labels:
                if e[key]:
                    parts.append(f"<tr><th>{label}</th><td>{html.escape(str(e[key]))}</td></tr>")
            measures = "".join(f"<li>{html.escape(m)}</li>" for m in e["security_measures"])
            parts.append(f"<tr><th>Security measures</th><td><ul>{measures}</ul></td></tr>")
            cites = "".join(f"<li>{html.escape(c)}</li>" for c in e["citations"])
            parts.append(f"<tr><th>Rules</th><td><ul>{cites}</ul></td></tr></table>")
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"
    lines = ["# Record of processing activities (GDPR Art. 30)", "",
             f"Generated from the retention policy `{policy.digest}`.", "",
             "## Controller (Art. 30(1)(a), (e))", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {value.replace('|', chr(92) + '|')} |" for label, value in rows]
    lines.append("")
    if missing:
        lines += [f"**Missing from the record:** {', '.join(missing)}.", ""]
    for e in entries:
        lines += [f"## {e['purpose']}", "", "| | |", "|---|---|"]
        for key, label in labels:
            if e[key]:
                cell = str(e[key]).replace("|", "\\|")
                lines.append(f"| {label} | {cell} |")
        lines.append(f"| Security measures | {'; '.join(e['security_measures'])} |")
        lines.append(f"| Rules | {'; '.join(e['citations'])} |")
        lines.append("")
    return "\n".join(lines)
