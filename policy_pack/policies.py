"""The recgov policies: the governance checks, run at ``pulumi preview`` on the planned stack.

Nothing here decides a number or words a finding. The stack's governed buckets are read into
snapshots (:mod:`policy_pack.planned`), judged by :func:`governance.verify.judge_snapshots` against the
policy loaded by :mod:`lifecycle.loader` and rendered by :mod:`lifecycle.render`, and each finding's own
sentence is reported. What this module adds is only which finding blocks and which warns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from governance.checks import CHECKS
from governance.model import Result, Status
from governance.targets import Target
from governance.verify import judge_snapshots
from lifecycle.legal import Purpose
from lifecycle.loader import load_policy, load_policy_file
from lifecycle.policy import Policy as RetentionPolicy
from lifecycle.policy import PolicyError
from lifecycle.render import TAG_PURPOSE
from lifecycle.stack_config import parse_stack_settings
from policy_pack.planned import bucket_name, governed_purpose, join, plain, snapshots

PACK_NAME = "recgov-retention"
PROJECT_DIR = Path(__file__).resolve().parent.parent
"""Where a relative ``policyFile`` is found: the Pulumi project the pack sits in (as the program,
which runs there, reads it)."""

MANDATORY_CHECKS: frozenset[str] = frozenset({
    "RG-LIFECYCLE-WORST-CASE",
    "RG-OBJECT-LOCK-DEFAULT",
    "RG-OBJECT-LOCK-COMPLIANCE-MAX",
    "RG-POLICY-RETENTION-CAP",
    "RG-VERSIONING-ENABLED",
    "RG-ACCESS-LOGS-MIN-RETENTION",
})
"""Checks protecting the legal maximum or the purpose's retention: a failure blocks the deployment."""
ADVISORY_CHECKS: frozenset[str] = frozenset({
    "RG-BUCKET-EXISTS",
    "RG-PURPOSE-TAG",
    "RG-LIFECYCLE-DELETE-MARKERS",
    "RG-LIFECYCLE-MULTIPART",
    "RG-ENCRYPTION-DEFAULT",
    "RG-KMS-KEY-ENABLED",
    "RG-KMS-KEY-ROTATION",
    "RG-KMS-KEY-POLICY",
    "RG-PUBLIC-ACCESS-BLOCK",
    "RG-OWNERSHIP-ENFORCED",
    "RG-POLICY-TLS-ONLY",
    "RG-POLICY-ENCRYPTION",
    "RG-POLICY-TAMPER",
    "RG-POLICY-PURPOSE-ACCESS",
    "RG-POLICY-NO-PUBLIC-ALLOW",
    "RG-ACCESS-LOGGING",
    "RG-REPLICATION-SAME-PURPOSE",
    "RG-INVENTORY-DAILY",
})
"""The weaker controls: a failure warns. A check in neither set (a new one) warns too, never vanishes."""

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "policyFile": {"type": "string", "description": "The retention policy file (default: the packaged one)."},
        "purposes": {"type": "object", "description": "Per-purpose values that shorten the file's, as in "
                     "the stack config's recgov:purposes."},
    },
)

StackConfig = Callable[[str], str | None]
"""Reads one stack config value by its full key (``recgov:policyFile``); None when unset."""


def engine_stack_config(key: str) -> str | None:
    """The stack's config as the engine hands it to the pack (the SDK loads it from the environment)."""
    return pulumi.runtime.get_config(key)


def _with_amazon_connect(purposes: Any, stack_config: StackConfig) -> Any:
    """The purposes with ``recgov:amazonConnect`` applied, as the program applies it (quality's layout)."""
    raw = stack_config("recgov:amazonConnect")
    if not raw:
        return purposes
    try:
        connect = json.loads(raw)
    except json.JSONDecodeError as err:
        raise PolicyError([f"recgov:amazonConnect: not valid JSON ({err.msg})."]) from None
    return parse_stack_settings({"purposes": purposes, "amazonConnect": connect}, stack="preview").purposes


def effective_policy(config: Mapping[str, Any], stack_config: StackConfig) -> RetentionPolicy:
    """The policy the program would deploy: policy config first, else the stack's ``recgov:`` config.

    ``policyFile`` and ``purposes`` are read from the policy's config (``--policy-pack-config``) when
    set there, else from the stack config the program reads, else the packaged default policy with no
    overrides. A relative file is found from the project directory. Raises PolicyError as the program
    would refuse it.
    """
    source = dict(plain(config) or {})
    file_value = source.get("policyFile", stack_config("recgov:policyFile"))
    purposes: Any = source.get("purposes")
    if purposes is None:
        raw = stack_config("recgov:purposes")
        try:
            purposes = json.loads(raw) if raw else None
        except json.JSONDecodeError as err:
            raise PolicyError([f"recgov:purposes: not valid JSON ({err.msg})."]) from None
    purposes = _with_amazon_connect(purposes, stack_config)
    if not file_value:
        return load_policy(None, purposes)
    path = Path(str(file_value))
    return load_policy_file(path if path.is_absolute() else PROJECT_DIR / path, purposes)


@dataclass(frozen=True)
class Finding:
    """A check's result on a governed bucket, and the bucket resource it is reported against."""

    result: Result
    urn: str


@dataclass(frozen=True)
class Evaluation:
    """What the checks made of the planned stack, or why they could not run."""

    findings: tuple[Finding, ...] = ()
    refusal: str | None = None
    untagged: tuple[str, ...] = ()
    governed: int = 0

    def failed(self, mandatory: bool) -> list[Finding]:
        """Failures of the mandatory checks, or of every other check."""
        return [f for f in self.findings
                if f.result.status is Status.FAIL and (f.result.check in MANDATORY_CHECKS) == mandatory]

    def unjudged(self) -> list[Finding]:
        """Checks that could not judge (a value unknown at preview): neither a pass nor a violation."""
        return [f for f in self.findings if f.result.status is Status.ERROR]


def evaluate(resources: Sequence[Any], config: Mapping[str, Any], stack_config: StackConfig) -> Evaluation:
    """Join the stack's governed buckets with their settings and run every governance check on them."""
    buckets, strays = join(resources)
    known = ", ".join(str(p) for p in Purpose)
    untagged = tuple(
        f"Bucket {name} is tagged {TAG_PURPOSE}={value}, which names no purpose ({known}), so it is not judged."
        for name, values in strays.items() for value in values
    )
    try:
        policy = effective_policy(config, stack_config)
    except PolicyError as err:
        return Evaluation(refusal="the retention policy was refused:\n" + str(err), untagged=untagged,
                          governed=len(buckets))
    planned = snapshots(resources, buckets)
    targets = [Target(b.name, b.purpose) for b in buckets]
    urns = {b.name: b.resource.urn for b in buckets}
    results = judge_snapshots(targets, policy, planned)
    return Evaluation(tuple(Finding(r, urns[r.resource]) for r in results), untagged=untagged,
                      governed=len(buckets))


def _stack_policy(name: str, description: str, level: EnforcementLevel, stack_config: StackConfig,
                  report: Callable[[Evaluation, ReportViolation], None]) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        evaluation = evaluate(args.resources, args.get_config(), stack_config)
        if evaluation.governed == 0 and not evaluation.untagged:
            args.not_applicable(f"no bucket of the stack is tagged {TAG_PURPOSE}")
        report(evaluation, report_violation)

    return StackValidationPolicy(name=name, description=description, validate=validate, enforcement_level=level,
                                 config_schema=CONFIG_SCHEMA)


def _report_mandatory(evaluation: Evaluation, report_violation: ReportViolation) -> None:
    if evaluation.refusal is not None:
        report_violation(evaluation.refusal, None)
    for f in evaluation.failed(mandatory=True):
        report_violation(f.result.message, f.urn)


def _report_advisory(evaluation: Evaluation, report_violation: ReportViolation) -> None:
    for f in evaluation.failed(mandatory=False):
        report_violation(f.result.message, f.urn)


def _report_unjudged(evaluation: Evaluation, report_violation: ReportViolation) -> None:
    for f in evaluation.unjudged():
        report_violation(f.result.message, f.urn)
    for sentence in evaluation.untagged:
        report_violation(sentence, None)


def _no_force_destroy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    purpose = governed_purpose(args.resource_type, args.props)
    if not isinstance(purpose, Purpose) or plain(args.props).get("forceDestroy") is not True:
        return
    report_violation(
        f"Bucket {bucket_name(args.name, args.props)} ({purpose}) sets forceDestroy, so `pulumi destroy` would "
        "empty it, bypassing GOVERNANCE retention, before the purpose's retention ends; a governed bucket must "
        "never be force-destroyed.",
        None,
    )


def make_policies(stack_config: StackConfig = engine_stack_config) -> list[Policy]:
    """The pack's policies; ``stack_config`` reads the stack's config (the engine's by default)."""
    return [
        _stack_policy(
            "recgov-retention-mandatory",
            "Governed buckets keep recordings no longer than the purpose's retention and the legal maximum "
            "(lifecycle worst case, Object Lock, the bucket policy's retention cap, versioning).",
            EnforcementLevel.MANDATORY, stack_config, _report_mandatory,
        ),
        _stack_policy(
            "recgov-controls-advisory",
            "Governed buckets carry the weaker controls: encryption, public access, ownership, access logging, "
            "bucket policy denies, delete markers, multipart uploads, key rotation.",
            EnforcementLevel.ADVISORY, stack_config, _report_advisory,
        ),
        _stack_policy(
            "recgov-unjudged-at-preview",
            "Checks that cannot judge a governed bucket before apply (a value computed from a resource not yet "
            "created): neither passed nor failed; the same checks run again on the update and in recgov verify.",
            EnforcementLevel.ADVISORY, stack_config, _report_unjudged,
        ),
        ResourceValidationPolicy(
            name="recgov-no-force-destroy",
            description="A governed bucket is never force-destroyed, so its recordings and evidence outlive "
            "`pulumi destroy` until their retention ends.",
            validate=_no_force_destroy,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
    ]


def every_check_id() -> frozenset[str]:
    """The ids of every governance check, for the classification's meta-test."""
    return frozenset(c.meta.id for c in CHECKS)


__all__ = [
    "ADVISORY_CHECKS",
    "MANDATORY_CHECKS",
    "PACK_NAME",
    "Evaluation",
    "effective_policy",
    "evaluate",
    "make_policies",
]
