"""Verify deployed buckets against the policy: the library entry used by the CLI and the sandbox.

Example::

    from governance.verify import verify
    from lifecycle.loader import load_policy

    report = verify(None, load_policy(), outputs=json.load(open("outputs.json")),
                    endpoint_url="http://127.0.0.1:5000")
    report.summary.exit_code  # 0 compliant, 1 violation, 3 something could not be verified
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3

from governance import __version__
from governance.checks import Expected, by_id, metadata, run_checks
from governance.collect import DEFAULT_WORKERS, BucketSnapshot, Clients, collect_buckets, make_clients
from governance.model import Report, Result, Status
from governance.register import declared_processing
from governance.targets import StackOutputs, Target, TargetError
from lifecycle.legal import cite
from lifecycle.policy import Policy
from lifecycle.purposes import LOG_TARGET
from lifecycle.render import TAG_PURPOSE, render_bucket


def shown_endpoint(url: str | None) -> str | None:
    """The endpoint as a report may show it: scheme, host, port and path, never user information or a
    query, where a URL can carry a key or a signature (``https://KEY:SECRET@host``, ``?X-Amz-...``)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _log_bucket(targets: Sequence[Target], outputs: StackOutputs | None) -> str | None:
    if outputs is not None and LOG_TARGET in outputs.buckets:
        return outputs.buckets[LOG_TARGET]
    logs = [t.bucket for t in targets if t.purpose is LOG_TARGET]
    return logs[0] if len(logs) == 1 else None


def _log_targets(snapshots: Mapping[str, BucketSnapshot]) -> set[str]:
    """Buckets the targets log to: their own retention is part of the logging check."""
    return {str(s.logging.value.get("TargetBucket")) for s in snapshots.values()
            if s.logging.is_present and s.logging.value.get("TargetBucket")}


def _undiscovered(bucket: str, reason: str) -> Result:
    tag = by_id("RG-PURPOSE-TAG")
    return Result(
        check=tag.meta.id,
        resource=bucket,
        purpose="unknown",
        status=Status.ERROR,
        severity=tag.meta.severity,
        message=f"Bucket {bucket} (purpose unknown): its tag set could not be read ({reason}, which needs "
        "s3:GetBucketTagging), so discovery cannot tell whether it is governed.",
        observed={"state": "unreadable", "reason": reason},
        expected={TAG_PURPOSE: "a purpose"},
        citations=cite(*tag.meta.rules),
    )


def judge_snapshots(
    targets: Sequence[Target],
    policy: Policy,
    snapshots: Mapping[str, BucketSnapshot],
    *,
    outputs: StackOutputs | None = None,
    principals_config: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
) -> list[Result]:
    """Run every check on collected snapshots: pure, no I/O (``snapshots`` includes the log targets)."""
    governed = {t.bucket: t.purpose for t in targets}
    log_bucket = _log_bucket(targets, outputs)
    results: list[Result] = []
    for target in targets:
        snap = snapshots[target.bucket]
        logs_to = _log_targets({target.bucket: snap})
        expected = Expected(
            bucket=target.bucket,
            purpose=target.purpose,
            policy=policy[target.purpose],
            spec=render_bucket(policy[target.purpose]),
            key_arn=outputs.key_arns.get(target.purpose) if outputs else None,
            principals=outputs.principals(target.purpose, principals_config) if outputs else None,
            log_bucket=log_bucket,
            log_target=snapshots.get(next(iter(logs_to))) if logs_to else None,
            governed=governed,
        )
        results.extend(run_checks(expected, snap))
    return results


def collect_targets(
    clients: Clients, targets: Sequence[Target], max_workers: int = DEFAULT_WORKERS
) -> dict[str, BucketSnapshot]:
    """Snapshots of the targets and of the buckets they log to (read-only)."""
    snapshots = collect_buckets(clients, [t.bucket for t in targets], max_workers)
    extra = _log_targets(snapshots) - set(snapshots)
    snapshots.update(collect_buckets(clients, sorted(extra), max_workers))
    return snapshots


def verify(
    targets: Sequence[Target] | None,
    policy: Policy,
    *,
    outputs: StackOutputs | Mapping[str, Any] | None = None,
    principals_config: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    session: boto3.session.Session | None = None,
    clients: Clients | None = None,
    max_workers: int = DEFAULT_WORKERS,
    source: str | None = None,
    undiscovered: Mapping[str, str] | None = None,
) -> Report:
    """Collect every target (read-only) and run every check against the policy.

    ``targets`` may be None when ``outputs`` (parsed ``pulumi stack output --json``, as a dict or
    :class:`StackOutputs`) names the buckets; outputs also supply the purpose's key and the
    principals the bucket policy exempts (``principals_config`` adds the stack config's
    ``recgov:principals``). Without them the checks accept any KMS key and any exemption, and say
    so. ``max_workers=1`` collects buckets one after another; ``undiscovered`` (bucket -> reason)
    lists buckets whose purpose tag discovery could not read, each reported as an ERROR. Raises
    TargetError on unusable input.
    """
    if outputs is not None and not isinstance(outputs, StackOutputs):
        outputs = StackOutputs.from_dict(outputs)
    if targets is None:
        if outputs is None:
            raise TargetError("nothing to verify: give stack outputs, --bucket NAME=PURPOSE or --discover.")
        targets = outputs.targets()
    targets = list(dict.fromkeys(targets))
    clients = clients or make_clients(endpoint_url=endpoint_url, region=region, session=session,
                                      max_workers=max_workers)
    snapshots = collect_targets(clients, targets, max_workers)
    results = judge_snapshots(targets, policy, snapshots, outputs=outputs, principals_config=principals_config)
    results.extend(_undiscovered(name, reason) for name, reason in sorted((undiscovered or {}).items()))
    target_info: dict[str, Any] = {
        "source": source or ("stack-outputs" if outputs is not None else "buckets"),
        "buckets": {t.bucket: str(t.purpose) for t in targets},
        "region": clients.region,
        "endpoint_url": shown_endpoint(clients.endpoint_url),
    }
    if outputs is not None and outputs.policy_digest:
        target_info["deployed_policy_digest"] = outputs.policy_digest
    return Report(
        results=tuple(results),
        target=target_info,
        policy_digest=policy.digest,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
        kind="verify",
        checks=metadata(),
        tables=declared_processing(policy),
    )
