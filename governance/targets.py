"""What to verify: buckets and their purposes, from stack outputs, ``NAME=PURPOSE`` or discovery.

Every refusal is a :class:`TargetError` with one sentence; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecycle.access import ConnectInstance, Principals
from lifecycle.analytics import DerivedPolicy, parse_analytics
from lifecycle.legal import LockMode, Purpose
from lifecycle.policy import Policy, PurposePolicy, validate
from lifecycle.purposes import RoleKind, traits
from lifecycle.stack_config import AUDITOR


class TargetError(ValueError):
    """A target option or file is unusable; the message is one sentence."""


@dataclass(frozen=True)
class Target:
    """One bucket to verify, and the purpose it must serve."""

    bucket: str
    purpose: Purpose


def parse_purpose(text: str, where: str) -> Purpose:
    """A purpose by name, or a TargetError listing the known ones."""
    try:
        return Purpose(text.strip())
    except ValueError:
        known = ", ".join(str(p) for p in Purpose)
        raise TargetError(f"{where}: unknown purpose {text.strip()!r}; use one of {known}.") from None


def parse_bucket_option(value: str) -> Target:
    """``NAME=PURPOSE`` as given to ``--bucket``."""
    name, sep, purpose = value.partition("=")
    if not sep or not name.strip() or not purpose.strip():
        raise TargetError(f"--bucket {value!r}: expected NAME=PURPOSE, for example my-bucket=quality.")
    return Target(name.strip(), parse_purpose(purpose, f"--bucket {value!r}"))


def _arns(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _purpose_policy(purpose: Purpose, values: dict[str, Any], problems: list[str]) -> PurposePolicy:
    """One purpose of ``Policy.as_dict`` back into its typed form (the inverse of ``_plain``)."""
    mode = values.pop("lock_mode", None)
    derived = tuple(DerivedPolicy(**d) for d in values.pop("derived", None) or ())
    raw_analytics = values.pop("analytics", None)
    analytics = parse_analytics(str(purpose), raw_analytics, problems) if raw_analytics is not None else None
    return PurposePolicy(purpose=purpose, lock_mode=LockMode(mode) if mode else None, derived=derived,
                         analytics=analytics, **values)


@dataclass(frozen=True)
class ConnectWriter:
    """An Amazon Connect instance the program admits as a writer of a purpose's bucket (``amazonConnect``)."""

    instance_arn: str
    service_role_arn: str


def _connect_writers(value: Any, source: str) -> dict[Purpose, ConnectWriter]:
    if value is None:
        return {}
    fields = ("purpose", "instanceArn", "serviceRoleArn")
    if not isinstance(value, Mapping) or not all(isinstance(value.get(f), str) and value[f] for f in fields):
        raise TargetError(f"{source}: 'amazonConnect' must be a JSON object with purpose, instanceArn and "
                          "serviceRoleArn.")
    purpose = parse_purpose(value["purpose"], f"{source} amazonConnect")
    return {purpose: ConnectWriter(value["instanceArn"], value["serviceRoleArn"])}


@dataclass(frozen=True)
class StackOutputs:
    """What ``pulumi stack output --json`` prints for the program (``__main__.py``)."""

    buckets: Mapping[Purpose, str]
    key_arns: Mapping[Purpose, str] = field(default_factory=dict)
    role_arns: Mapping[Purpose, Mapping[str, str]] = field(default_factory=dict)
    auditor_arns: tuple[str, ...] = ()
    deployer_arn: str | None = None
    policy_digest: str | None = None
    policy: Mapping[str, Any] | None = None
    """The effective policy the program deployed (``Policy.as_dict``), when the outputs carry it."""
    connect_writers: Mapping[Purpose, ConnectWriter] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, doc: Any, source: str = "stack outputs") -> StackOutputs:
        """Parse the JSON object; unknown purposes and a missing ``buckets`` are refused."""
        if not isinstance(doc, Mapping) or not isinstance(doc.get("buckets"), Mapping) or not doc["buckets"]:
            raise TargetError(f"{source}: expected a JSON object with a non-empty 'buckets' map of purpose to name "
                              "(the output of pulumi stack output --json).")
        buckets = {parse_purpose(str(p), f"{source} buckets"): str(n) for p, n in doc["buckets"].items()}
        keys = doc.get("keyArns") or {}
        roles = doc.get("roleArns") or {}
        if not isinstance(keys, Mapping) or not isinstance(roles, Mapping):
            raise TargetError(f"{source}: 'keyArns' and 'roleArns' must be JSON objects keyed by purpose.")
        return cls(
            buckets=buckets,
            key_arns={parse_purpose(str(p), f"{source} keyArns"): str(a) for p, a in keys.items()},
            role_arns={parse_purpose(str(p), f"{source} roleArns"): {str(k): str(v) for k, v in (r or {}).items()}
                       for p, r in roles.items()},
            auditor_arns=_arns(doc.get("auditorRoleArn")),
            deployer_arn=str(doc["deployerArn"]) if doc.get("deployerArn") else None,
            policy_digest=str(doc["policyDigest"]) if doc.get("policyDigest") else None,
            policy=doc["policy"] if isinstance(doc.get("policy"), Mapping) else None,
            connect_writers=_connect_writers(doc.get("amazonConnect"), source),
        )

    @classmethod
    def read(cls, path: Path) -> StackOutputs:
        """Read and parse a stack outputs file."""
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise TargetError(f"{path}: cannot read the stack outputs ({err.strerror or err}).") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise TargetError(f"{path}: the stack outputs are not valid JSON ({err}).") from None
        return cls.from_dict(doc, str(path))

    def deployed_policy(self) -> Policy | None:
        """The policy the program deployed, validated against this version's legal limits.

        None when the outputs carry no policy (a stack deployed before the program exported it).
        Raises TargetError when the exported settings do not match ``policyDigest`` (the file was
        edited) and PolicyError when this version's legal limits refuse them.
        """
        if self.policy is None:
            return None
        problems: list[str] = []
        entries: list[PurposePolicy] = []
        for name, entry in self.policy.items():
            try:
                entries.append(_purpose_policy(Purpose(str(name)), dict(entry), problems))
            except (TypeError, ValueError, AttributeError):
                problems.append(f"the stack outputs' policy entry {str(name)!r} is not a policy this version reads.")
        if problems:
            raise TargetError(problems[0])
        policy = Policy(tuple(sorted(entries, key=lambda p: list(Purpose).index(p.purpose))))
        if self.policy_digest and policy.digest != self.policy_digest:
            raise TargetError(f"the stack outputs' policy does not match their policyDigest {self.policy_digest}; "
                              "export them again with pulumi stack output --json.")
        return validate(policy)

    def targets(self) -> list[Target]:
        """One target per exported bucket."""
        return [Target(name, purpose) for purpose, name in self.buckets.items()]

    def principals(
        self, purpose: Purpose, configured: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None
    ) -> Principals | None:
        """The principals each deny exempts, as the program computed them; None when any is unknown.

        ``configured`` is the stack config's ``recgov:principals`` (existing ARNs the program used
        instead of creating roles, so they are not among the outputs).
        """
        if self.deployer_arn is None:
            return None
        given = (configured or {}).get(str(purpose), {})
        roles = self.role_arns.get(purpose, {})

        def kind(name: str) -> tuple[str, ...] | None:
            if name in given:
                return tuple(given[name])
            return (roles[name],) if name in roles else None

        purpose_traits = traits(purpose)
        if purpose_traits.log_target:
            auditors = tuple((configured or {}).get(AUDITOR, {}).get(str(RoleKind.READER), ())) or self.auditor_arns
            return Principals(deployer=(self.deployer_arn,), readers=auditors) if auditors else None
        # Exactly the role kinds the program gives this purpose: a kind it never creates is known to be empty.
        found = {k: kind(str(k)) for k in purpose_traits.roles}
        if any(v is None for v in found.values()):
            return None
        readers = found.get(RoleKind.READER) or ()
        connect = self.connect_writers.get(purpose)
        return Principals(
            deployer=(self.deployer_arn,),
            readers=readers,
            writers=(found.get(RoleKind.WRITER) or ()) + ((connect.service_role_arn,) if connect else ()),
            service_sources=(connect.instance_arn,) if connect else (),
            connect=ConnectInstance(connect.instance_arn, connect.service_role_arn) if connect else None,
            erasure=found.get(RoleKind.ERASURE) or (),
            legal_hold=readers if purpose_traits.legal_hold else (),
        )
