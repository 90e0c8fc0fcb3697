"""What every report format shares: the verdict, result ordering, evidence as data, safe text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from governance.model import CheckMeta, ExitCode, Report, Result, Severity, Status, Summary
from lifecycle.legal import RULES

STATUS_ORDER: dict[Status, int] = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 2}
"""Failures first, then what could not be verified, then passes: the order a reader triages in."""

SEVERITY_ORDER: dict[Severity, int] = {
    Severity.CRITICAL: 0,
    Severity.HIGH: 1,
    Severity.MEDIUM: 2,
    Severity.LOW: 3,
}

NO_RESULTS = "NO RESULTS"
VERDICTS: dict[ExitCode, str] = {
    ExitCode.COMPLIANT: "COMPLIANT",
    ExitCode.VIOLATION: "NON-COMPLIANT",
    ExitCode.INCOMPLETE: "INCOMPLETE",
}


def verdict(summary: Summary) -> str:
    """One word for the run. A run that judged nothing proves nothing, so it is never COMPLIANT."""
    if summary.passed + summary.failed + summary.errors == 0:
        return NO_RESULTS
    return VERDICTS[summary.exit_code]


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``1 key``, ``2 keys``: a count with its noun in the right number."""
    return f"{n} {noun if n == 1 else (plural_form or noun + 's')}"


def counts(summary: Summary) -> str:
    """``3 passed, 1 failed, 1 error``: the counts as the command line prints them."""
    return f"{summary.passed} passed, {summary.failed} failed, {plural(summary.errors, 'error')}"


def summary_sentence(summary: Summary) -> str:
    """``4 results: 2 pass, 1 fail, 1 error`` (or a warning that nothing was verified)."""
    total = summary.passed + summary.failed + summary.errors
    if total == 0:
        return "no results: nothing was verified, which is not evidence of compliance"
    noun = "result" if total == 1 else "results"
    return f"{total} {noun}: {summary.passed} pass, {summary.failed} fail, {summary.errors} error"


def notices(report: Report) -> list[str]:
    """The sentences to read before the results: the outage first, if any, then the notices."""
    return ([report.outage] if report.outage else []) + list(report.notices)


def triage_order(results: Iterable[Result]) -> list[Result]:
    """Results by status (fail, error, pass), then severity; ties keep the order the checks ran in."""
    return sorted(results, key=lambda r: (STATUS_ORDER[r.status], SEVERITY_ORDER[r.severity]))


RATE_COLUMNS = frozenset({"rate", "max_rate"})
"""Table columns holding a fraction (recordings / calls): shown as a percentage to a reader, as every
message states rates; the JSON report keeps the fraction for machines."""


def shown_cell(column: str, value: Any) -> Any:
    """A table cell as a reader sees it: a rate as ``25%`` or ``12.5%`` (as messages write rates),
    anything else unchanged."""
    if column in RATE_COLUMNS and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"
    return value


def jsonable(value: Any) -> Any:
    """Evidence as plain JSON data, with dict keys sorted so that output does not depend on how the
    account answered (collections arrive in whatever order the API chose)."""
    if isinstance(value, Enum):
        return jsonable(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "as_dict"):
        return jsonable(value.as_dict())
    return str(value)


def compact_json(value: Any) -> str:
    """Evidence on one line, for tables and XML bodies."""
    return json.dumps(jsonable(value), ensure_ascii=False, separators=(", ", ": "))


# C0/C1 controls (minus tab and newline, which callers handle), the bidirectional overrides that can
# make text display differently from what it is ("Trojan Source"), lone surrogates and the two
# non-characters XML forbids. An object key may hold any of them; shown raw they could rewrite a
# terminal line or a CI log, or make a report unwritable, so they are shown as escapes.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def visible(text: str) -> str:
    """``text`` with control and bidi-override characters replaced by visible escapes (``\\x1b``)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


# json.dumps already escapes C0 controls; these it leaves raw when ensure_ascii is off.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def dump_json(value: Any) -> str:
    """Indented JSON, readable UTF-8, except that invisible or direction-changing characters are
    written as ``\\uXXXX`` escapes: the data decodes to exactly the same strings, but a viewer of the
    file sees the escape instead of text whose display has been reordered."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def one_line(text: str) -> str:
    """``text`` on one line: line breaks become a visible ``\\n``, so a value cannot forge a new line."""
    return visible(text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")).replace("\n", "\\n")


@dataclass(frozen=True)
class RuleInfo:
    """What a report says about a check, whether or not its metadata was supplied with the report."""

    id: str
    title: str
    severity: Severity
    citations: tuple[str, ...]
    remediation: str = ""
    description: str = ""
    permissions: tuple[str, ...] = ()


def rule_info(report: Report) -> dict[str, RuleInfo]:
    """Every check the report mentions, by id in sorted order: its metadata where the report carries
    it, else what the results themselves say (a check is never dropped for lack of metadata)."""
    known: dict[str, RuleInfo] = {m.id: _from_meta(m) for m in report.checks}
    for r in report.results:
        if r.check not in known:
            known[r.check] = RuleInfo(r.check, r.check, r.severity, r.citations)
    return dict(sorted(known.items()))


def _from_meta(meta: CheckMeta) -> RuleInfo:
    citations = tuple(RULES[r].citation if r in RULES else r for r in meta.rules)
    return RuleInfo(
        meta.id, meta.title, meta.severity, citations, meta.remediation, meta.description, meta.permissions
    )


def cited(results: Iterable[Result]) -> list[str]:
    """The distinct citations of ``results``, in rule-number order where they start with a rule id."""

    def key(citation: str) -> tuple[int, str]:
        m = re.match(r"R(\d+)\b", citation)
        return (int(m.group(1)) if m else 10**6, citation)

    return sorted({c for r in results for c in r.citations}, key=key)
