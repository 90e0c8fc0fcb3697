"""Whether a bucket policy document has the effect of a :class:`DenyRequirement`, judged by meaning.

A requirement holds when, for every action and resource it names, some statement denies that
action on that resource to everyone, under conditions that hold whenever the requirement's do, and
exempts no principal the requirement does not. So a list or a string Action, ``s3:*`` or
``s3:Put*``, reordered or split statements, ``Principal: "*"`` or ``{"AWS": "*"}`` and extra
statements all pass; a narrower condition, a missing action or an extra exemption does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from governance.checks.base import UNKNOWN_PRINCIPALS
from lifecycle.access import DenyRequirement, requirement_resources

EXEMPTION_KEY = "aws:principalarn"
EXEMPTION_OPERATORS = frozenset({"ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals"})
NEGATED = frozenset({"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike", "NumericNotEquals",
                     "DateNotEquals", "StringNotEqualsIgnoreCase"})
AT_MOST = frozenset({"NumericGreaterThan", "NumericGreaterThanEquals"})
AT_LEAST = frozenset({"NumericLessThan", "NumericLessThanEquals"})


def as_list(value: Any) -> list[Any]:
    """IAM allows a single value or a list almost everywhere."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE if ignore_case else 0)


def matches(patterns: Iterable[Any], value: str, *, ignore_case: bool = False) -> bool:
    """True when an IAM wildcard pattern (``*``, ``?``) matches ``value`` entirely."""
    return any(_wildcard(str(p), ignore_case).fullmatch(value) for p in patterns)


def is_everyone(statement: Mapping[str, Any]) -> bool:
    """``Principal: "*"`` or ``{"AWS": "*"}``: the statement applies to any caller."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS"))


def covers_action(statement: Mapping[str, Any], action: str) -> bool:
    """Whether the statement's Action (or NotAction) includes ``action``; actions ignore case."""
    if "Action" in statement:
        return matches(as_list(statement["Action"]), action, ignore_case=True)
    if "NotAction" in statement:
        return not matches(as_list(statement["NotAction"]), action, ignore_case=True)
    return False


def covers_resource(statement: Mapping[str, Any], resource: str) -> bool:
    """Whether the statement's Resource (or NotResource) includes ``resource``.

    ``arn:aws:s3:::b/*`` stands for every object; a pattern covers all of them only when it matches
    that text itself (``b/*`` or ``b*`` do, ``b/quality/*`` does not).
    """
    if "Resource" in statement:
        return matches(as_list(statement["Resource"]), resource)
    if "NotResource" in statement:
        return not matches(as_list(statement["NotResource"]), resource)
    return False


@dataclass(frozen=True)
class Conditions:
    """A statement's conditions, split into principal exemptions and everything that narrows it."""

    exempt: tuple[str, ...]
    narrowing: tuple[tuple[str, str, tuple[str, ...]], ...]


def _values(op: str, value: Any) -> tuple[str, ...]:
    # JSON true and "true" mean the same to IAM's Bool and Null operators.
    return tuple(str(v).lower() if isinstance(v, bool) or op in ("Bool", "Null") else str(v) for v in as_list(value))


def split_conditions(statement: Mapping[str, Any]) -> Conditions:
    """Exemptions (``ArnNotLike aws:PrincipalArn`` and kin) apart from narrowing conditions."""
    exempt: list[str] = []
    narrowing: list[tuple[str, str, tuple[str, ...]]] = []
    condition = statement.get("Condition") or {}
    for op, pairs in condition.items() if isinstance(condition, Mapping) else ():
        for key, value in (pairs or {}).items() if isinstance(pairs, Mapping) else ():
            if key.lower() == EXEMPTION_KEY and op.removesuffix("IfExists") in EXEMPTION_OPERATORS:
                exempt.extend(str(v) for v in as_list(value))
            else:
                narrowing.append((op, key.lower(), _values(op, value)))
    return Conditions(tuple(exempt), tuple(narrowing))


def _implied(op: str, key: str, values: tuple[str, ...], required: Mapping[str, Mapping[str, Any]]) -> bool:
    """True when the statement's condition holds in every request where the requirement's does."""
    base, if_exists = op.removesuffix("IfExists"), op.endswith("IfExists")
    for req_op, pairs in required.items():
        req_base, req_if_exists = req_op.removesuffix("IfExists"), req_op.endswith("IfExists")
        if req_base != base:
            continue
        for req_key, req_value in pairs.items():
            if req_key.lower() != key:
                continue
            # A missing key makes a negated operator true anyway; a positive one only with IfExists.
            if req_if_exists and not if_exists and base not in NEGATED:
                continue
            want = _values(req_op, req_value)
            if want == UNKNOWN_PRINCIPALS:
                return True  # exempted sources unknown without stack outputs, like exempted principals
            try:
                if base in AT_MOST:
                    return max(float(v) for v in values) <= min(float(v) for v in want)
                if base in AT_LEAST:
                    return min(float(v) for v in values) >= max(float(v) for v in want)
            except ValueError:
                return False
            if base in NEGATED:
                return set(values) <= set(want)
            return set(want) <= set(values)
    return False


def _shown(op: str, key: str, values: tuple[str, ...], required: Mapping[str, Mapping[str, Any]]) -> str:
    """A narrowing condition as a finding names it; a bound the requirement also sets shows both values
    (``NumericGreaterThan s3:object-lock-remaining-retention-days 1824, where 364 is required``)."""
    if op not in AT_MOST | AT_LEAST:
        return f"{op} {key}"
    want = [v for req_op, pairs in required.items() if req_op == op
            for req_key, v in pairs.items() if req_key.lower() == key]
    shown = f"{op} {key} {', '.join(values)}"
    return f"{shown}, where {', '.join(_values(op, want[0]))} is required" if want else shown


def extra_exemptions(exempt: Sequence[str], allowed: Sequence[str]) -> list[str]:
    """Exempted principals beyond those allowed; fewer is stricter and fine, unknown allows any."""
    if tuple(allowed) == UNKNOWN_PRINCIPALS:
        return []
    return [e for e in exempt if e not in allowed and not matches(allowed, e)]


@dataclass(frozen=True)
class Verdict:
    """Whether a requirement holds, and if not the closest statement's problem."""

    holds: bool
    problem: str = ""


def judge_deny_requirement(document: Mapping[str, Any], bucket_arn: str, req: DenyRequirement) -> Verdict:
    """Whether the policy document has the requirement's effect."""
    statements = [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]
    qualifying = []
    rejected: list[tuple[Mapping[str, Any], str]] = []
    for s in statements:
        if s.get("Effect") != "Deny":
            continue
        if not is_everyone(s):
            rejected.append((s, "does not apply to everyone"))
            continue
        conds = split_conditions(s)
        narrower = [_shown(op, key, values, req.condition) for op, key, values in conds.narrowing
                    if not _implied(op, key, values, req.condition)]
        extra = extra_exemptions(conds.exempt, req.except_principals)
        if extra:
            rejected.append((s, f"exempts {', '.join(extra)} beyond the expected principals"))
        elif narrower:
            rejected.append((s, f"applies only under {', '.join(narrower)}"))
        else:
            qualifying.append(s)
    missing = [(a, r) for a in req.actions for r in requirement_resources(bucket_arn, req)
               if not any(covers_action(s, a) and covers_resource(s, r) for s in qualifying)]
    if not missing:
        return Verdict(True)
    # Explain with the statement meant for the requirement (same Sid), had it covered what is missing.
    near = [(s, why) for s, why in rejected if s.get("Sid") == req.sid
            and any(covers_action(s, a) and covers_resource(s, r) for a, r in missing)]
    if near:
        return Verdict(False, f"statement {near[0][0].get('Sid', '(no Sid)')} {near[0][1]}")
    shown = ", ".join(sorted({a for a, _ in missing}))
    return Verdict(False, f"nothing denies {shown} on {', '.join(sorted({r for _, r in missing}))}")


def public_allows(document: Mapping[str, Any]) -> list[str]:
    """The Sids (or positions) of statements that allow anything to everyone."""
    found = []
    for i, s in enumerate(as_list(document.get("Statement"))):
        if isinstance(s, Mapping) and s.get("Effect") == "Allow" and (is_everyone(s) or "NotPrincipal" in s):
            found.append(str(s.get("Sid") or f"#{i + 1}"))
    return found
