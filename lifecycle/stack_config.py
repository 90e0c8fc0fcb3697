"""A stack's ``recgov:`` settings, parsed and checked the same way by the program and the CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lifecycle.inventory_table import DATABASE_NAME, DEFAULT_SINCE, SINCE
from lifecycle.legal import EARLY_ERASURE, Purpose
from lifecycle.policy import PolicyError

ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/*-]+$")
NAME_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,41}[a-z0-9]$")
"""Bucket names are ``<prefix>-<purpose>-<7 hex>``: at most 63 lowercase characters."""
PRINCIPAL_KINDS = {"reader", "writer", "erasure"}


@dataclass(frozen=True)
class AthenaSettings:
    """``recgov:athena``: the Glue database of the inventories' tables, and the first day their dt projects."""

    database: str
    since: str = DEFAULT_SINCE


@dataclass(frozen=True)
class StackSettings:
    """Everything a stack configures besides the policy file's contents."""

    name_prefix: str
    purposes: Mapping[str, Any] = field(default_factory=dict)
    principals: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    policy_file: str | None = None
    deployer_arn: str | None = None
    trusted_account_arn: str | None = None
    athena: AthenaSettings | None = None
    """When set, the program declares the inventories' Athena tables (see lifecycle.inventory_table)."""


def _athena(raw: Any, problems: list[str]) -> AthenaSettings | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append("recgov:athena: expected a mapping with a database (and optionally since: YYYY-MM-DD).")
        return None
    unknown = sorted(set(raw) - {"database", "since"})
    if unknown:
        problems.append(f"recgov:athena.{unknown[0]}: unknown setting; use database and since.")
    database, since = raw.get("database"), raw.get("since", DEFAULT_SINCE)
    if not isinstance(database, str) or not DATABASE_NAME.match(database):
        problems.append(f"recgov:athena.database: {database!r} must be 1-255 lower-case letters, digits or "
                        "underscores (a Glue database name Athena can query).")
        return None
    if not isinstance(since, str) or not SINCE.match(since):
        problems.append(f"recgov:athena.since: {since!r} must be a date YYYY-MM-DD (the first inventory delivery).")
        return None
    return AthenaSettings(database, since)


def _arn(where: str, value: Any, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not ARN.match(value):
        problems.append(f"{where}: {value!r} is not an IAM principal ARN (arn:aws:iam::<account>:...).")
        return None
    return value


def _principals(raw: Any, problems: list[str]) -> dict[str, dict[str, tuple[str, ...]]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append("recgov:principals: expected a mapping of purpose to role kinds.")
        return {}
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    allowed_targets = {str(p) for p in Purpose if p is not Purpose.ACCESS_LOGS} | {"auditor"}
    for target, kinds in raw.items():
        where = f"recgov:principals.{target}"
        if target not in allowed_targets:
            problems.append(f"{where}: unknown target; use one of {', '.join(sorted(allowed_targets))}.")
            continue
        if not isinstance(kinds, Mapping):
            problems.append(f"{where}: expected a mapping of role kind to a list of ARNs.")
            continue
        allowed_kinds = {"reader"} if target == "auditor" else PRINCIPAL_KINDS
        if target != "auditor" and Purpose(target) not in EARLY_ERASURE:
            allowed_kinds = {"reader", "writer"}
        parsed: dict[str, tuple[str, ...]] = {}
        for kind, arns in kinds.items():
            if kind not in allowed_kinds:
                problems.append(f"{where}.{kind}: unknown role kind; use one of {', '.join(sorted(allowed_kinds))}.")
                continue
            values = [arns] if isinstance(arns, str) else arns
            if not isinstance(values, list) or not values:
                problems.append(f"{where}.{kind}: expected a non-empty list of ARNs.")
                continue
            checked = [_arn(f"{where}.{kind}", v, problems) for v in values]
            parsed[kind] = tuple(a for a in checked if a)
        out[target] = parsed
    return out


def parse_stack_settings(raw: Mapping[str, Any], *, stack: str) -> StackSettings:
    """Check a stack's ``recgov:`` values (namespace removed); raise PolicyError listing every problem."""
    problems: list[str] = []
    prefix = raw.get("namePrefix") or f"recgov-{stack}".lower()
    if not isinstance(prefix, str) or not NAME_PREFIX.match(prefix):
        problems.append(
            f"recgov:namePrefix: {prefix!r} must be 2-43 lowercase letters, digits or hyphens "
            "(bucket names are <prefix>-<purpose>-<suffix>, at most 63 characters)."
        )
    purposes = raw.get("purposes") or {}
    if not isinstance(purposes, Mapping):
        problems.append("recgov:purposes: expected a mapping of purpose to settings.")
        purposes = {}
    deployer = raw.get("deployerArn")
    trusted = raw.get("trustedAccountArn")
    policy_file = raw.get("policyFile") or None
    if policy_file is not None and not isinstance(policy_file, str):
        # A number or a list here once reached path arithmetic and crashed with a traceback.
        problems.append(f"recgov:policyFile: {policy_file!r} must be the path of a policy file (a string).")
        policy_file = None
    settings = StackSettings(
        name_prefix=str(prefix),
        purposes=purposes,
        principals=_principals(raw.get("principals"), problems),
        policy_file=policy_file,
        deployer_arn=_arn("recgov:deployerArn", deployer, problems) if deployer else None,
        trusted_account_arn=_arn("recgov:trustedAccountArn", trusted, problems) if trusted else None,
        athena=_athena(raw.get("athena"), problems),
    )
    if problems:
        raise PolicyError(problems)
    return settings
