"""The parts of the HTML report: verdict, provenance, controls per purpose, charts, register, rules.

Every value from the account or the policy goes through :func:`esc` before it reaches the page:
bucket names, keys, tags, messages and evidence are data, never markup. Element ids are built from
counters, never from names, so that no value can collide with or forge an anchor.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from governance.model import Report, Result, Summary
from governance.report.common import (
    compact_json,
    dump_json,
    jsonable,
    notices,
    rule_info,
    shown_cell,
    summary_sentence,
    triage_order,
    verdict,
    visible,
)
from governance.report.digest import evidence_digest
from lifecycle.legal import LIMITS, RULES, Purpose

VERDICT_CLASS = {"COMPLIANT": "v-ok", "NON-COMPLIANT": "v-bad", "INCOMPLETE": "v-warn"}
"""Verdict word -> banner style; anything else (NO RESULTS) is grey: never the colour of success."""

KIND_TITLES = {
    "verify": "Storage controls",
    "audit-objects": "Stored objects",
    "proportionality": "Proportionality",
}
"""Section titles for the report kinds the commands produce; another kind is shown by its name."""

CELL_LIMIT = 120
"""Characters of observed/required evidence shown in a table cell; the whole of it is folded below."""

_RULE_ID = re.compile(r"R\d+\b")


def esc(value: Any) -> str:
    """``value`` as inert HTML text: markup shows as typed, control and bidi characters as escapes."""
    text = value if isinstance(value, str) else compact_json(value)
    text = visible(text.replace("\r\n", "\n").replace("\r", "\n"))
    return html.escape(text, quote=True)


def clip(text: str, limit: int = CELL_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the full value is in the evidence)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind_title(kind: str) -> str:
    """What a report of this kind is about, for a heading."""
    return f"{KIND_TITLES.get(kind, kind)} (recgov {kind})"


def verdict_banner(summary: Summary, kicker: str, level: int, word: str | None = None) -> str:
    """The verdict word (``verdict(summary)`` unless given), the counts sentence and one tile per status."""
    word = word or verdict(summary)
    total = summary.passed + summary.failed + summary.errors
    tiles = "".join(
        f'<li class="c-{label}"><b>{n}</b>{label}</li>'
        for n, label in ((total, "results"), (summary.failed, "fail"), (summary.errors, "error"),
                         (summary.passed, "pass"))
    )
    return (
        f'<div class="banner {VERDICT_CLASS.get(word, "v-none")}">'
        f'<p class="kicker">{esc(kicker)}</p>'
        f'<h{level} class="word">{esc(word)}</h{level}>'
        f"<p>{esc(summary_sentence(summary))}.</p>"
        f'<ul class="counts">{tiles}</ul></div>'
    )


def notices_block(report: Report) -> str:
    """The outage and notices, before everything else a reader sees below the verdict."""
    items = "".join(f"<li>{esc(n)}</li>" for n in notices(report))
    return f'<div class="notices" role="note"><h2 class="kicker">Read first</h2><ul>{items}</ul></div>' if items else ""


def provenance(report: Report) -> str:
    """When, by what, on what, against which policy, and the digest of the evidence shown."""
    target = "".join(f"<li>{esc(k)}: <code>{esc(v)}</code></li>" for k, v in sorted(report.target.items()))
    return (
        '<dl class="meta">'
        f"<dt>Generated</dt><dd>{esc(report.generated_at)}</dd>"
        f"<dt>Tool</dt><dd>recgov {esc(report.tool_version)}</dd>"
        f"<dt>Target</dt><dd>{f'<ul>{target}</ul>' if target else 'not recorded'}</dd>"
        f"<dt>Policy digest</dt><dd><code>{esc(report.policy_digest)}</code></dd>"
        f"<dt>Evidence digest</dt><dd><code>{esc(evidence_digest(report))}</code><br>"
        "<small>SHA-256 of the canonical JSON (sorted keys, no spaces, ASCII) of the results and tables; "
        "recompute it from the JSON report of the same run.</small></dd>"
        "</dl>"
    )


def purposes_in(results: Iterable[Result]) -> list[str]:
    """The purposes results belong to: the policy's purposes in their usual order, then any other."""
    seen = dict.fromkeys(r.purpose for r in results)
    known = [str(p) for p in Purpose if str(p) in seen]
    return known + sorted(p for p in seen if p not in known)


def limit_line(purpose: str) -> str:
    """The purpose's legal maximum and the rule behind it, when the purpose is one the law names."""
    try:
        limit = LIMITS[Purpose(purpose)]
    except ValueError:
        return ""
    rule = RULES[limit.rule]
    return (
        f'<p class="limit">Legal maximum: <b>{limit.max_days} days</b> ({esc(limit.max_text)}), '
        f"{esc(rule.id)}: {esc('; '.join(rule.sources))}.</p>"
    )


def rule_cell(citations: Sequence[str]) -> str:
    """Each cited rule with its sources as :data:`lifecycle.legal.RULES` states them."""
    out = []
    for citation in dict.fromkeys(citations):
        m = _RULE_ID.match(citation)
        rule = RULES.get(m.group()) if m else None
        if rule is None:
            out.append(f'<span class="rule">{esc(citation)}</span>')
        else:
            # The sources beside the id; the rule's wording is in the "Rules cited" table, once, which
            # keeps a control that cites four rules from filling a page.
            out.append(f'<span class="rule" title="{esc(rule.title)}"><b>{esc(rule.id)}</b> '
                       f"<small>{esc('; '.join(rule.sources))}</small></span>")
    return "".join(out) or '<span class="muted">none cited</span>'


CONTROL_COLUMNS = (("Status", 8), ("Control", 15), ("Resource", 12), ("Finding", 26), ("Observed", 11),
                   ("Required", 11), ("Rule", 17))
"""Columns of a purpose's control table with their share of the width (percent)."""


def controls_table(report: Report, results: Sequence[Result]) -> str:
    """Every result of one purpose, failures first; its raw evidence folded under its row."""
    titles = {i.id: i.title for i in rule_info(report).values()}
    cols = "".join(f'<col style="width:{w}%">' for _, w in CONTROL_COLUMNS)
    head = "".join(f"<th>{name}</th>" for name, _ in CONTROL_COLUMNS)
    bodies = []
    for r in triage_order(results):
        status = str(r.status)
        observed = "—" if r.observed is None else f"<code>{esc(clip(compact_json(r.observed)))}</code>"
        expected = "—" if r.expected is None else f"<code>{esc(clip(compact_json(r.expected)))}</code>"
        bodies.append(
            f'<tbody class="result s-{status}"><tr>'
            f'<td><span class="badge b-{status}">{status.upper()}</span><span class="sev">{esc(r.severity)}</span></td>'
            f"<td><b>{esc(titles.get(r.check, r.check))}</b><br><code>{esc(r.check)}</code></td>"
            f"<td><code>{esc(r.resource)}</code></td>"
            f'<td class="msg">{esc(r.message)}</td><td>{observed}</td><td>{expected}</td>'
            f"<td>{rule_cell(r.citations)}</td></tr>"
            f'<tr class="evidence"><td colspan="{len(CONTROL_COLUMNS)}"><details><summary>Raw evidence</summary>'
            f"<pre>{esc(dump_json(jsonable(r.as_dict())))}</pre></details></td></tr></tbody>"
        )
    return (f'<table class="controls"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
            + "".join(bodies) + "</table>")


def purpose_sections(report: Report, anchor: str, level: int) -> list[tuple[str, str, str]]:
    """(id, heading, html) for each purpose's controls."""
    out = []
    for i, purpose in enumerate(purposes_in(report.results)):
        results = [r for r in report.results if r.purpose == purpose]
        ident = f"{anchor}-p{i}"
        heading = f"Purpose: {purpose or '(none)'}"
        body = (
            f'<section id="{ident}"><h{level}>{esc(heading)}</h{level}>{limit_line(purpose)}'
            f"<p>{esc(summary_sentence(Summary.of(results)))}.</p>{controls_table(report, results)}</section>"
        )
        out.append((ident, heading, body))
    return out


def data_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as an HTML table, columns in first-seen order, every cell escaped."""
    if not rows:
        return "<p>No rows.</p>"
    headers = list(dict.fromkeys(str(k) for row in rows for k in row))
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(shown_cell(h, row.get(h)))}</td>" for h in headers) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return esc(value if isinstance(value, str) else jsonable(value))


def rules_section(report: Report, level: int) -> str:
    """Every rule the results and controls cite, with its figure and sources."""
    ids: dict[str, None] = {}
    for citation in [c for r in report.results for c in r.citations]:
        if (m := _RULE_ID.match(citation)) and m.group() in RULES:
            ids[m.group()] = None
    for meta in report.checks:
        ids.update(dict.fromkeys(r for r in meta.rules if r in RULES))
    if not ids:
        return ""
    rows = "".join(
        f"<tr><td><b>{esc(rule.id)}</b></td><td>{esc(rule.title)}</td><td>{esc(rule.figure)}</td>"
        f"<td>{'<br>'.join(esc(s) for s in rule.sources)}</td></tr>"
        for rule in sorted((RULES[i] for i in ids), key=lambda r: int(r.id[1:]))
    )
    return (f"<h{level}>Rules cited</h{level}><table><thead><tr><th>Rule</th><th>Requirement</th>"
            f"<th>Figure</th><th>Sources</th></tr></thead><tbody>{rows}</tbody></table>")


def controls_catalogue(report: Report, level: int) -> str:
    """What each control checks, how to fix it and the read permissions it needs."""
    infos = list(rule_info(report).values())
    if not infos:
        return ""
    rows = "".join(
        f"<tr><td><code>{esc(i.id)}</code></td><td><b>{esc(i.title)}</b>"
        f"{f'<br><small>{esc(i.description)}</small>' if i.description else ''}</td>"
        f"<td>{esc(i.severity)}</td><td>{esc(i.remediation)}</td>"
        f"<td>{'<br>'.join(f'<code>{esc(p)}</code>' for p in i.permissions)}</td></tr>"
        for i in infos
    )
    return (f"<h{level}>Controls applied</h{level}><details><summary>{len(infos)} controls: what each checks, "
            "its remedy and the read permissions it needs</summary><table><thead><tr><th>Id</th><th>Control</th>"
            f"<th>Severity</th><th>Remediation</th><th>Permissions</th></tr></thead><tbody>{rows}</tbody>"
            "</table></details>")
