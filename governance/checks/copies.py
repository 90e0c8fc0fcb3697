"""Where else recordings and their traces go: server access logs, and replicas in other buckets."""

from __future__ import annotations

from typing import Any

from governance.checks.base import Check, Expected
from governance.checks.retention import log_retention_window
from governance.collect.snapshot import BucketSnapshot
from governance.model import CheckMeta, Result, Severity, Status
from lifecycle.legal import LIMITS
from lifecycle.purposes import LOG_TARGET
from lifecycle.render import TAG_PURPOSE


def _logging(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    logs = LIMITS[LOG_TARGET]
    required = {"TargetBucket": exp.log_bucket or "the access-logs bucket", "TargetPrefix": exp.spec.log_prefix,
                "log_retention_days": [logs.min_days, logs.max_days]}
    obs = snap.logging
    if obs.is_unreadable:
        return check.unreadable(exp, "server access logging configuration", obs, required)
    if not obs.is_present:
        return check.failed(exp, f"{exp.label} has server access logging off; it must log to "
                            f"{exp.log_bucket or 'the access-logs bucket'}.", obs.evidence(), required)
    target = str(obs.value.get("TargetBucket"))
    observed = {**obs.value}
    if exp.log_bucket is not None and target != exp.log_bucket:
        return check.failed(exp, f"{exp.label} logs access to {target}; it must log to {exp.log_bucket}, the "
                            "access-logs bucket.", observed, required)
    state = exp.log_target
    if state is None or state.name != target:
        return _not_collected(check, exp, target, observed, required)
    if state.missing:
        return check.failed(exp, f"{exp.label} logs access to {target}, which does not exist; logs must go to the "
                            "access-logs bucket.", observed, required)
    if exp.log_bucket is None:
        governed = exp.governed.get(target)
        tagged = state.tag(TAG_PURPOSE)
        if state.tags.is_unreadable and governed is None:
            return check.unreadable(exp, f"tag set of the log bucket {target}", state.tags, required)
        if LOG_TARGET not in (governed, tagged):
            return check.failed(exp, f"{exp.label} logs access to {target}, which is not governed as the access-logs "
                                f"bucket (purpose {governed or tagged or 'none'}); logs must go to that bucket.",
                                observed, required)
    for name, setting in (("lifecycle configuration", state.lifecycle), ("versioning configuration",
                          state.versioning), ("Object Lock configuration", state.object_lock)):
        if setting.is_unreadable:
            return check.unreadable(exp, f"{name} of the log bucket {target}", setting, required)
    earliest, worst = log_retention_window(state)
    observed["log_retention"] = {"earliest_removal_days": earliest, "worst_case_days": worst}
    if worst is None or worst > logs.max_days or (earliest is not None and earliest < logs.min_days):
        shown = f"{earliest if earliest is not None else 'never'} to {worst if worst is not None else 'unbounded'}"
        return check.failed(exp, f"{exp.label} logs access to {target}, which keeps logs {shown} days; it must keep "
                            f"them {logs.min_days} to {logs.max_days} days.", observed, required)
    return check.passed(exp, f"{exp.label} logs access to {target}, which keeps logs between "
                        f"{earliest if earliest is not None else worst} and {worst} days, within "
                        f"{logs.min_days} to {logs.max_days} days.", observed, required)


def _not_collected(check: Check, exp: Expected, target: str, observed: Any, required: Any) -> list[Result]:
    return [check.result(exp, Status.ERROR, f"{exp.label} logs access to {target}, whose state was not collected, "
                         f"so {check.meta.id} cannot be judged.", observed=observed, required=required)]


LOGGING = Check(
    CheckMeta(
        id="RG-ACCESS-LOGGING",
        title="Server access logging to the access-logs bucket, which keeps logs 180-365 days",
        severity=Severity.HIGH,
        rules=("R7", "R10"),
        permissions=("s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetBucketVersioning",
                     "s3:GetBucketObjectLockConfiguration", "s3:GetBucketTagging"),
        remediation="Enable server access logging to the access-logs bucket under the purpose's prefix, and give "
        "that bucket its rendered lifecycle.",
        description="Access to recordings is logged: server access logging targets the access-logs purpose's "
        "bucket, whose own lifecycle keeps logs at least 180 and at most 365 days.",
    ),
    _logging,
    applies=lambda e: e.spec.log_prefix is not None,
)


def _bucket_of(arn: str) -> str:
    return arn.split(":::", 1)[1] if ":::" in arn else arn


def _replication(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    required = {"destinations": f"buckets governed for purpose {exp.purpose}"}
    obs = snap.replication
    if obs.is_unreadable:
        return check.unreadable(exp, "replication configuration", obs, required)
    if not obs.is_present:
        return check.passed(exp, f"{exp.label} has no replication, so recordings are not copied elsewhere.",
                            obs.evidence(), required)
    rules = [r for r in obs.value.get("Rules") or [] if isinstance(r, dict) and r.get("Status") == "Enabled"]
    destinations = sorted({_bucket_of(str((r.get("Destination") or {}).get("Bucket", ""))) for r in rules})
    wrong = [d for d in destinations if exp.governed.get(d) is not exp.purpose]
    if wrong:
        shown = ", ".join(f"{d} ({exp.governed[d]})" if d in exp.governed else f"{d} (not governed here)"
                          for d in wrong)
        return check.failed(exp, f"{exp.label} replicates recordings to {shown}; it may replicate only to buckets "
                            f"verified here for purpose {exp.purpose}.", obs.value, required)
    shown = ", ".join(destinations) if destinations else "no bucket (every rule disabled)"
    return check.passed(exp, f"{exp.label} replicates only to {shown}, governed for the same purpose.",
                        obs.value, required)


REPLICATION = Check(
    CheckMeta(
        id="RG-REPLICATION-SAME-PURPOSE",
        title="Replication only to buckets governed for the same purpose",
        severity=Severity.HIGH,
        rules=("R7", "R8"),
        permissions=("s3:GetReplicationConfiguration",),
        remediation="Remove replication rules whose destination is not a bucket governed for the same purpose, "
        "or verify the destination with the same purpose.",
        description="Every enabled replication rule copies recordings only to a bucket verified in the same run "
        "for the same purpose, so no copy outlives the policy.",
    ),
    _replication,
)
