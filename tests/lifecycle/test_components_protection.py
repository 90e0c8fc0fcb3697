"""Nothing lost to ``pulumi destroy``: what holds or guards proof, evidence and access logs is protected.

``protect=True`` makes the engine refuse to delete a resource, in ``pulumi destroy`` and in a
replacement, until someone runs ``pulumi state unprotect`` by hand. The program sets it on every
resource of the write-once purposes (proof, evidence) and of the access-log bucket; this module runs
the real ``__main__.py`` under Pulumi's mock runtime and asserts it for the resources whose deletion
would let objects go, under every kind of stack configuration, and that the stack has no setting
that could turn it off.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lifecycle.legal import Purpose
from lifecycle.loader import STACK_KEYS, read_stack_config
from sandbox.program import PROGRAM, ProgramRun, Registration

PREFIX = "recgov-dev"
Runner = Callable[..., ProgramRun]
WRITE_ONCE = (str(Purpose.EVIDENCE), str(Purpose.PROOF))
KEPT = (*WRITE_ONCE, str(Purpose.ACCESS_LOGS))
"""Buckets that must survive a destroy: proof (GDPR Art. 17(3)(e)), evidence (R13), access logs (R7)."""

GUARDS: dict[str, str] = {
    "aws:s3/bucket:Bucket": "holds the objects; deleting it (with force_destroy) empties it first",
    "aws:s3/bucketVersioning:BucketVersioning": "the provider suspends versioning on delete: overwrites "
    "would then replace the null version instead of keeping the old bytes",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "deleting it drops the default "
    "retention: every later object arrives unlocked",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "a replacement is a delete and a "
    "create: in between, and with a changed rule, objects expire on a schedule nobody reviewed",
    "aws:s3/bucketPolicy:BucketPolicy": "its denies (deletes outside erasure, governance bypass, "
    "configuration changes) are what stop other principals from removing objects",
    "aws:kms/key:Key": "a deleted key makes every object encrypted under it unreadable for good: the "
    "bytes survive, the recordings do not",
}
"""Resource types whose deletion would let kept objects go, with the reason."""

NOT_APPLICABLE = {
    (str(Purpose.ACCESS_LOGS), "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"),
    (str(Purpose.ACCESS_LOGS), "aws:kms/key:Key"),
}
"""S3 delivers server access logs only to an SSE-S3 bucket without default retention (DESIGN section 3)."""

ARN = "arn:aws:iam::123456789012:role/{}"
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "every-purpose-shortened": {"purposes": {
        "quality": {"retentionDays": 30, "samplingRate": 0.1}, "proof": {"retentionDays": 30},
        "evaluations": {"retentionDays": 30}, "evidence": {"retentionDays": 30}}},
    "weaker-lock-mode": {"purposes": {"proof": {"objectLockMode": "GOVERNANCE"},
                                      "evidence": {"objectLockMode": "GOVERNANCE"}}},
    "shortest-lock": {"purposes": {"proof": {"objectLockDays": 1}, "evidence": {"objectLockDays": 1}}},
    "own-principals": {
        "principals": {"proof": {"reader": [ARN.format("Legal")], "writer": [ARN.format("Recorder")]},
                       "evidence": {"writer": [ARN.format("Ci")]}, "auditor": {"reader": [ARN.format("Audit")]}},
        "deployerArn": ARN.format("Platform"), "trustedAccountArn": "arn:aws:iam::210987654321:root"},
    "other-prefix": {"namePrefix": "acme-prod"},
    "unknown-switches": {"protect": False, "forceDestroy": True, "retainOnDelete": False, "skipProtection": True,
                         "purposes": {"proof": {"retentionDays": 300}}},
}
"""Stack configurations of every kind the program accepts (the last one with keys it does not know)."""


def shipped_stacks() -> list[Path]:
    """The stack files in the repository (``Pulumi.<stack>.yaml``)."""
    return sorted(p for p in PROGRAM.parent.glob("Pulumi.*.yaml"))


@pytest.fixture(scope="module")
def runs(run_stack: Runner) -> dict[str, ProgramRun]:
    """The program run once per configuration."""
    return {name: run_stack(config) for name, config in CONFIGS.items()}


def component(run: ProgramRun, purpose: str) -> Registration:
    """The GovernedBucket component of a purpose, whatever the name prefix."""
    found = [r for r in run.registrations
             if r.type == "recgov:storage:GovernedBucket" and r.name.endswith(f"-{purpose}")]
    assert len(found) == 1, f"{len(found)} GovernedBucket components for {purpose}"
    return found[0]


def children(run: ProgramRun, purpose: str) -> list[Registration]:
    """Every custom resource the purpose's component created (bucket, settings, key, roles)."""
    parent = component(run, purpose).urn
    return [r for r in run.registrations if r.custom and r.parent == parent]


def of_type(run: ProgramRun, purpose: str, type_token: str) -> list[Registration]:
    """The purpose's resources of one type."""
    return [r for r in children(run, purpose) if r.type == type_token]


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("purpose", KEPT)
@pytest.mark.parametrize("type_token", sorted(GUARDS))
def test_every_guard_of_kept_objects_is_protected(runs: dict[str, ProgramRun], config: str, purpose: str,
                                                  type_token: str) -> None:
    found = of_type(runs[config], purpose, type_token)
    if (purpose, type_token) in NOT_APPLICABLE:
        assert found == [], f"{purpose}: {type_token} was not expected"
        return
    assert len(found) == 1, f"{purpose} ({config}): {len(found)} {type_token}"
    assert found[0].protect, f"{found[0].name} must be protected: {GUARDS[type_token]}"


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("purpose", KEPT)
def test_every_resource_of_a_kept_bucket_is_protected(runs: dict[str, ProgramRun], config: str, purpose: str) -> None:
    """Roles, aliases, logging, inventory too: a partial destroy would leave a bucket nobody can use."""
    made = children(runs[config], purpose)
    assert len(made) >= 7, f"{purpose}: only {len(made)} resources found under the component"
    unprotected = [f"{r.name} ({r.type})" for r in made if not r.protect]
    assert unprotected == [], f"{purpose} ({config}): unprotected {unprotected}"


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_no_bucket_is_ever_force_destroyed(runs: dict[str, ProgramRun], config: str) -> None:
    """force_destroy would let the provider delete every object (and version) before the bucket."""
    buckets = runs[config].of_type("aws:s3/bucket:Bucket")
    assert len(buckets) == len(Purpose)
    for bucket in buckets:
        assert bucket.inputs.get("forceDestroy") is False, f"{bucket.name}: forceDestroy {bucket.inputs}"


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_erasable_purposes_stay_destroyable(runs: dict[str, ProgramRun], config: str) -> None:
    """The converse: quality and evaluations must remain erasable (R4, R6), so nothing of theirs is protected."""
    for purpose in (Purpose.QUALITY, Purpose.EVALUATIONS):
        assert not [r.name for r in children(runs[config], str(purpose)) if r.protect], purpose


@pytest.mark.parametrize("purpose", WRITE_ONCE)
def test_kept_objects_are_locked_in_compliance_mode_by_default(runs: dict[str, ProgramRun], purpose: str) -> None:
    """COMPLIANCE: no principal, the root user included, can delete a version or shorten its lock before
    retain-until; so even a destroy forced past ``protect`` leaves the bucket undeletable until then."""
    run = runs["default"]
    (bucket,) = of_type(run, purpose, "aws:s3/bucket:Bucket")
    assert bucket.inputs["objectLockEnabled"] is True
    (lock,) = of_type(run, purpose, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    retention = lock.inputs["rule"]["defaultRetention"]
    assert retention["mode"] == "COMPLIANCE", f"{purpose}: {retention}"
    assert retention["days"] >= 1
    assert lock.protect


@pytest.mark.parametrize("stack_file", shipped_stacks(), ids=lambda p: p.name)
def test_shipped_stacks_keep_compliance_mode_and_protection(run_stack: Runner, stack_file: Path) -> None:
    stack = stack_file.stem.removeprefix("Pulumi.")
    run = run_stack(dict(read_stack_config(stack_file)), stack=stack)
    for purpose in WRITE_ONCE:
        (lock,) = of_type(run, purpose, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
        assert lock.inputs["rule"]["defaultRetention"]["mode"] == "COMPLIANCE", f"{stack_file.name}: {purpose}"
        assert all(r.protect for r in children(run, purpose)), f"{stack_file.name}: {purpose}"


def test_stack_config_cannot_switch_protection_off(runs: dict[str, ProgramRun]) -> None:
    """The same resources are protected whatever the stack says, unknown switches included."""

    def protected(run: ProgramRun) -> set[tuple[str, str, str]]:
        # Names carry the stack's prefix, and own principals replace created roles: compare the
        # purpose and the type of every protected resource other than the roles a stack may bring.
        return {(purpose, r.type, r.name.rsplit(f"-{purpose}", 1)[-1]) for purpose in KEPT
                for r in children(run, purpose) if r.protect and not r.type.startswith("aws:iam/")}

    expected = protected(runs["default"])
    assert len(expected) >= 3 * 7
    for name, run in runs.items():
        assert protected(run) == expected, name


def test_a_weaker_lock_mode_opens_no_bypass(runs: dict[str, ProgramRun]) -> None:
    """A stack may choose GOVERNANCE for proof or evidence; the bucket policy then still denies the
    governance bypass to every principal, so no role can use the weaker mode to remove a version."""
    run = runs["weaker-lock-mode"]
    for purpose in WRITE_ONCE:
        (policy,) = of_type(run, purpose, "aws:s3/bucketPolicy:BucketPolicy")
        doc = json.loads(policy.inputs["policy"])
        (bypass,) = [s for s in doc["Statement"] if s.get("Sid") == "DenyGovernanceBypass"]
        assert bypass["Effect"] == "Deny" and "Condition" not in bypass, f"{purpose}: {bypass}"
        assert bypass["Action"] == "s3:BypassGovernanceRetention"


@pytest.fixture
def config_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every configuration key the program asks Pulumi for, in any namespace."""
    import pulumi.config

    reads: list[str] = []
    original = pulumi.config.get_config

    def spy(key: str) -> Any:
        reads.append(key)
        return original(key)

    monkeypatch.setattr(pulumi.config, "get_config", spy)
    yield reads


def test_the_program_reads_no_protection_setting(run_stack: Runner, config_reads: list[str]) -> None:
    """``protect`` is a literal in ``__main__.py``: the program reads exactly the documented keys and
    none of them, nor any provider key it reads, can turn protection or force-destroy on or off."""
    run_stack(CONFIGS["unknown-switches"])
    ours = {k.removeprefix("recgov:") for k in config_reads if k.startswith("recgov:")}
    assert ours == STACK_KEYS
    switches = [k for k in config_reads if any(w in k.lower() for w in ("protect", "destroy", "retain", "skip"))]
    assert switches == []

