"""The effective policy as a table: retention, worst-case age, legal maximum and citations per purpose."""

from __future__ import annotations

import json
from typing import Any

from governance.report import JSON, MARKDOWN, TEXT, UnknownFormatError
from lifecycle.legal import LIMITS, RULES
from lifecycle.policy import Policy
from lifecycle.render import render_bucket

POLICY_FORMATS = (TEXT.name, JSON.name, MARKDOWN.name)
"""The report formats the policy view is shown in (``recgov policy show --format``)."""


def policy_rows(policy: Policy) -> list[dict[str, Any]]:
    """One row per purpose, from the same rendering the program deploys."""
    rows = []
    for p in policy:
        spec = render_bucket(p)
        limit = LIMITS[p.purpose]
        rows.append(
            {
                "purpose": str(p.purpose),
                "retention_days": p.retention_days,
                "worst_case_days": spec.worst_case.days,
                "worst_case_reasoning": list(spec.worst_case.reasons),
                "legal_max_days": limit.max_days,
                "legal_max": limit.max_text,
                "legal_min_days": limit.min_days or None,
                "good_practice_days": limit.good_practice_days,
                "object_lock": f"{p.lock_mode} {p.lock_days} d" if p.lock_mode else None,
                "sampling_rate": p.sampling_rate,
                "rule": limit.rule,
                "citations": [RULES[r].citation for r in spec.rules],
            }
        )
    return rows


def render_policy(policy: Policy, fmt: str) -> str:
    """The effective policy in one of :data:`POLICY_FORMATS` (``text``, ``json`` or ``markdown``)."""
    if fmt not in POLICY_FORMATS:
        raise UnknownFormatError(f"the policy is shown as {', '.join(POLICY_FORMATS)}, not {fmt!r}")
    rows = policy_rows(policy)
    if fmt == JSON.name:
        return json.dumps({"policy_digest": policy.digest, "purposes": rows}, indent=2, ensure_ascii=False)
    headers = ["purpose", "retention", "worst case", "legal max", "lock", "sampling", "rule"]
    table = [
        [
            r["purpose"],
            f"{r['retention_days']} d",
            f"{r['worst_case_days']} d",
            f"{r['legal_max_days']} d ({r['legal_max']})",
            r["object_lock"] or "-",
            f"{r['sampling_rate']:.0%}" if r["sampling_rate"] is not None else "-",
            r["rule"],
        ]
        for r in rows
    ]
    rules = sorted({c for r in rows for c in r["citations"]}, key=lambda c: int(c[1:].split(" ")[0]))
    if fmt == MARKDOWN.name:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in table]
        lines += ["", f"Policy digest: `{policy.digest}`", "", "Rules cited:", ""]
        lines += [f"- {c}" for c in rules]
        return "\n".join(lines) + "\n"
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *table, strict=False)]
    fmt_row = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt_row.format(*headers), fmt_row.format(*("-" * w for w in widths))]
    lines += [fmt_row.format(*map(str, row)) for row in table]
    lines += ["", f"policy digest {policy.digest}", "rules cited:"] + [f"  {c}" for c in rules]
    return "\n".join(lines) + "\n"
