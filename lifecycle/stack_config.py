"""A stack's ``recgov:`` settings, parsed and checked the same way by the program and the CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lifecycle.inventory_table import DATABASE_NAME, DEFAULT_SINCE, SINCE
from lifecycle.layouts import prefix_problems
from lifecycle.legal import Purpose
from lifecycle.policy import PolicyError
from lifecycle.purposes import PURPOSES, RoleKind, traits

ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/*-]+$")
NAME_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,41}[a-z0-9]$")
"""Bucket names are ``<prefix>-<purpose>-<7 hex>``: at most 63 lowercase characters."""
AUDITOR = "auditor"
"""The ``recgov:principals`` target naming the auditors (readers of the access logs), not a purpose."""
CONNECT_INSTANCE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):connect:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]):(?P<account>[0-9]{12}):"
    r"instance/(?P<id>[A-Za-z0-9-]{1,100})$"
)
"""An Amazon Connect instance ARN; the id is 1-100 characters (Connect's ``InstanceId``)."""
CONNECT_KEYS = ("instanceArn", "recordingsPrefix")
CONNECT_PURPOSE = Purpose.QUALITY
"""The purpose whose recordings Amazon Connect writes (other purposes' recordings stay with their recorder)."""
CONNECT_LAYOUT = "amazon-connect"


@dataclass(frozen=True)
class AmazonConnect:
    """``recgov:amazonConnect``: the instance whose call recordings go to the quality bucket, and where."""

    instance_arn: str
    recordings_prefix: str

    def _part(self, name: str) -> str:
        match = CONNECT_INSTANCE_ARN.match(self.instance_arn)
        assert match is not None, "validated by parse_stack_settings"
        return match.group(name)

    @property
    def instance_id(self) -> str:
        """The instance id, the last part of its ARN (what Connect's API calls take)."""
        return self._part("id")

    @property
    def region(self) -> str:
        """The instance's region: its storage config is declared there."""
        return self._part("region")

    @property
    def account_id(self) -> str:
        """The account that owns the instance (``aws:SourceAccount`` of its writes)."""
        return self._part("account")


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
    amazon_connect: AmazonConnect | None = None
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


def _amazon_connect(raw: Any, problems: list[str]) -> AmazonConnect | None:
    if raw is None:
        return None
    where = "recgov:amazonConnect"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: expected a mapping with instanceArn and recordingsPrefix.")
        return None
    found = len(problems)
    for key in sorted(set(map(str, raw)) - set(CONNECT_KEYS)):
        problems.append(f"{where}: unknown key {key!r}; allowed keys are {', '.join(CONNECT_KEYS)}.")
    arn, prefix = raw.get("instanceArn"), raw.get("recordingsPrefix")
    if not isinstance(arn, str) or not CONNECT_INSTANCE_ARN.match(arn):
        problems.append(f"{where}.instanceArn: {arn!r} is not an Amazon Connect instance ARN "
                        "(arn:aws:connect:<region>:<account>:instance/<id>).")
    if not isinstance(prefix, str) or not prefix:
        problems.append(f"{where}.recordingsPrefix: {prefix!r} must be a non-empty key prefix "
                        "such as connect/acme/CallRecordings.")
    else:
        problems.extend(prefix_problems(f"{where}.recordingsPrefix", prefix))
    if len(problems) > found:
        return None
    return AmazonConnect(str(arn), str(prefix))


def _connect_purposes(purposes: Mapping[str, Any], connect: AmazonConnect, problems: list[str]) -> dict[str, Any]:
    """The stack's purposes with the Connect layout applied to the quality purpose.

    Applied as the quality purpose's stack override, so the program, verify, the object audit and the
    register all read the same layout and prefix from the effective policy; a stack that names
    another layout or prefix for quality contradicts its own Connect setting and is refused.
    """
    name = str(CONNECT_PURPOSE)
    entry = purposes.get(name) or {}
    if not isinstance(entry, Mapping):
        return dict(purposes)  # the loader names the bad entry
    wanted = {"layout": CONNECT_LAYOUT, "keyPrefix": connect.recordings_prefix}
    for key, value in wanted.items():
        if key in entry and entry[key] != value:
            problems.append(f"recgov:purposes.{name}.{key}: {entry[key]!r} contradicts recgov:amazonConnect, "
                            f"which writes {name} recordings with {key} {value!r}; remove it or make it {value!r}.")
    return {**purposes, name: {**entry, **wanted}}


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
        # The program joins it to the project directory: anything but a string is refused here, in one sentence.
        problems.append(f"recgov:policyFile: {policy_file!r} must be the path of a policy file (a string).")
        policy_file = None
    connect = _amazon_connect(raw.get("amazonConnect"), problems)
    if connect is not None:
        purposes = _connect_purposes(purposes, connect, problems)
    settings = StackSettings(
        name_prefix=str(prefix),
        purposes=purposes,
        principals=_principals(raw.get("principals"), problems),
        policy_file=policy_file,
        deployer_arn=_arn("recgov:deployerArn", deployer, problems) if deployer else None,
        trusted_account_arn=_arn("recgov:trustedAccountArn", trusted, problems) if trusted else None,
        amazon_connect=connect,
        athena=_athena(raw.get("athena"), problems),
    )
    if problems:
        raise PolicyError(problems)
    return settings
