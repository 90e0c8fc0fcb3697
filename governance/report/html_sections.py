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

from governance.model import Report, Result, Status, Summary
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
    "audit-analytics": "Speech analytics",
}
"""Section titles for the report kinds the commands produce; another kind is shown by its name."""

CELL_LIMIT = 120
"""Characters of one evidence value shown in a table cell; the whole of it is folded below."""

EVIDENCE_LINES = 12
"""``key: value`` lines of observed or required evidence shown in a row; the rest is folded below."""

RETENTION_RULES = frozenset(LIMITS[p].rule for p in (Purpose.QUALITY, Purpose.PROOF, Purpose.EVALUATIONS))
"""The rules that set one purpose's retention (R4 quality, R5 proof, R6 evaluations): a control on a
bucket of one purpose cites its own, not the other purposes'."""

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


def own_citations(citations: Sequence[str], purpose: str) -> list[str]:
    """``citations`` without the retention rules of purposes other than ``purpose`` (a check shared by
    every purpose cites all of them; a row is about one bucket, so it cites that purpose's rule)."""
    try:
        own = LIMITS[Purpose(purpose)].rule
    except ValueError:
        return list(citations)
    kept = []
    for citation in citations:
        m = _RULE_ID.match(citation)
        if m and m.group() in RETENTION_RULES and m.group() != own:
            continue
        kept.append(citation)
    return kept


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


def _evidence_lines(value: Any, indent: str = "") -> list[str]:
    """Evidence as ``key: value`` lines, nested mappings indented: readable, never JSON cut short."""
    if isinstance(value, Mapping):
        lines = []
        for key, item in value.items():
            if isinstance(item, Mapping) and item:
                lines += [f"{indent}{key}:", *_evidence_lines(item, indent + "  ")]
            else:
                lines.append(f"{indent}{key}: {_scalar(item)}")
        return lines
    if isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
        return [line for i, item in enumerate(value, 1)
                for line in [f"{indent}{i}.", *_evidence_lines(item, indent + "  ")]]
    return [f"{indent}{_scalar(value)}"]


def _scalar(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_scalar(v) for v in value) if value else "none"
    text = value if isinstance(value, str) else compact_json(value)
    return clip(text)


def evidence_cell(value: Any) -> str:
    """Observed or required evidence as readable lines; long evidence ends with a pointer to the fold."""
    if value is None:
        return "—"
    lines = _evidence_lines(jsonable(value))
    shown = "\n".join(esc(line) for line in lines[:EVIDENCE_LINES])
    more = len(lines) - EVIDENCE_LINES
    tail = f'<br><small class="muted">{more} more lines in the raw evidence</small>' if more > 0 else ""
    return f'<pre class="kv">{shown}</pre>{tail}'


def result_ids(report: Report, anchor: str) -> dict[int, str]:
    """An element id per result (by position in the report, never by a name from the account)."""
    return {id(r): f"{anchor}-x{i}" for i, r in enumerate(report.results)}


def controls_table(report: Report, results: Sequence[Result], ids: Mapping[int, str] | None = None) -> str:
    """Every result of one purpose, failures first; its raw evidence folded under its row."""
    titles = {i.id: i.title for i in rule_info(report).values()}
    cols = "".join(f'<col style="width:{w}%">' for _, w in CONTROL_COLUMNS)
    head = "".join(f"<th>{name}</th>" for name, _ in CONTROL_COLUMNS)
    bodies = []
    for r in triage_order(results):
        status = str(r.status)
        ident = (ids or {}).get(id(r))
        bodies.append(
            f'<tbody class="result s-{status}"{f" id={chr(34)}{ident}{chr(34)}" if ident else ""}><tr>'
            f'<td><span class="badge b-{status}">{status.upper()}</span><span class="sev">{esc(r.severity)}</span></td>'
            f"<td><b>{esc(titles.get(r.check, r.check))}</b><br><code>{esc(r.check)}</code></td>"
            f"<td><code>{esc(r.resource)}</code></td>"
            f'<td class="msg">{esc(r.message)}</td><td>{evidence_cell(r.observed)}</td>'
            f"<td>{evidence_cell(r.expected)}</td>"
            f"<td>{rule_cell(own_citations(r.citations, r.purpose))}</td></tr>"
            f'<tr class="evidence"><td colspan="{len(CONTROL_COLUMNS)}"><details><summary>Raw evidence</summary>'
            f"<pre>{esc(dump_json(jsonable(r.as_dict())))}</pre></details></td></tr></tbody>"
        )
    return (f'<table class="controls"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
            + "".join(bodies) + "</table>")


def purpose_sections(report: Report, anchor: str, level: int) -> list[tuple[str, str, str]]:
    """(id, heading, html) for each purpose's controls."""
    out = []
    ids = result_ids(report, anchor)
    for i, purpose in enumerate(purposes_in(report.results)):
        results = [r for r in report.results if r.purpose == purpose]
        ident = f"{anchor}-p{i}"
        heading = f"Purpose: {purpose or '(none)'}"
        body = (
            f'<section id="{ident}"><h{level}>{esc(heading)}</h{level}>{limit_line(purpose)}'
            f"<p>{esc(summary_sentence(Summary.of(results)))}.</p>{controls_table(report, results, ids)}</section>"
        )
        out.append((ident, heading, body))
    return out


def purpose_counts(report: Report, purpose: str) -> str:
    """``2 fail, 1 error, 20 pass`` for one purpose, for the contents."""
    s = Summary.of([r for r in report.results if r.purpose == purpose])
    parts = [f'<span class="c-fail">{s.failed} fail</span>' if s.failed else "",
             f'<span class="c-error">{s.errors} error</span>' if s.errors else "",
             f"{s.passed} pass"]
    return ", ".join(p for p in parts if p)


def failures_first(report: Report, anchor: str, level: int) -> str:
    """Every FAIL and ERROR in one table, most severe first, each linking to its row below."""
    problems = [r for r in triage_order(report.results) if r.status is not Status.PASS]
    if not report.results:
        return ""
    ids = result_ids(report, anchor)
    heading = f'<h{level} id="{anchor}-problems">Failures and errors ({len(problems)})</h{level}>'
    if not problems:
        return heading + "<p>None: every control passed.</p>"
    titles = {i.id: i.title for i in rule_info(report).values()}
    rows = "".join(
        f'<tr class="s-{r.status}"><td><span class="badge b-{r.status}">{str(r.status).upper()}</span>'
        f'<span class="sev">{esc(r.severity)}</span></td>'
        f'<td><a href="#{ids[id(r)]}">{esc(titles.get(r.check, r.check))}</a><br><code>{esc(r.check)}</code></td>'
        f"<td><code>{esc(r.resource)}</code></td><td>{esc(r.purpose)}</td><td class=\"msg\">{esc(r.message)}</td></tr>"
        for r in problems
    )
    return (f'{heading}<table class="problems"><thead><tr><th>Status</th><th>Control</th><th>Resource</th>'
            f"<th>Purpose</th><th>Finding</th></tr></thead><tbody>{rows}</tbody></table>")


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
