"""A stack's ``recgov:`` settings, parsed and checked the same way by the program and the CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lifecycle.policy import PolicyError
from lifecycle.purposes import PURPOSES, RoleKind, traits

ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/*-]+$")
NAME_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,41}[a-z0-9]$")
"""Bucket names are ``<prefix>-<purpose>-<7 hex>``: at most 63 lowercase characters."""
AUDITOR = "auditor"
"""The ``recgov:principals`` target naming the auditors (readers of the access logs), not a purpose."""


@dataclass(frozen=True)
class StackSettings:
    """Everything a stack configures besides the policy file's contents."""

    name_prefix: str
    purposes: Mapping[str, Any] = field(default_factory=dict)
    principals: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    policy_file: str | None = None
    deployer_arn: str | None = None
    trusted_account_arn: str | None = None


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
    allowed_targets = {str(p) for p, t in PURPOSES.items() if t.roles} | {AUDITOR}
    for target, kinds in raw.items():
        where = f"recgov:principals.{target}"
        if target not in allowed_targets:
            problems.append(f"{where}: unknown target; use one of {', '.join(sorted(allowed_targets))}.")
            continue
        if not isinstance(kinds, Mapping):
            problems.append(f"{where}: expected a mapping of role kind to a list of ARNs.")
            continue
        roles = (RoleKind.READER,) if target == AUDITOR else traits(target).roles
        allowed_kinds = {str(k) for k in roles}
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
    )
    if problems:
        raise PolicyError(problems)
    return settings
