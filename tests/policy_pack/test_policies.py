"""The policy pack on planned stacks: compliant, violating, and unknown at preview.

Every stack is the real program's, built under Pulumi's mocks; a violating stack edits the one
resource a platform engineer would have changed. Messages are the governance checks' own sentences.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pulumi_policy
import pytest
from pulumi_policy import Policy
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE

from governance.model import Status
from lifecycle.legal import Purpose
from lifecycle.policy import PolicyError
from sandbox.program import ProgramRun
from tests.policy_pack.conftest import PACK_DIR, PlannedStack, resource_violations, stack_violations

MANDATORY = "recgov-retention-mandatory"
ADVISORY = "recgov-controls-advisory"
UNJUDGED = "recgov-unjudged-at-preview"
FORCE_DESTROY = "recgov-no-force-destroy"

QUALITY = "recgov-dev-quality-0a1b2c3"
PROOF = "recgov-dev-proof-0a1b2c3"
EVALUATIONS = "recgov-dev-evaluations-0a1b2c3"


def _messages(policy: Policy, stack: PlannedStack, config: dict[str, Any] | None = None) -> list[str]:
    return [m for m, _urn in stack_violations(policy, stack.resources(), config)]


def _urn(stack: PlannedStack, name: str) -> str:
    return stack.resource(name).urn


def _rule(props: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in props["rules"] if r["id"] == rule_id)


# --- the classification and the pack itself ------------------------------------------------------


def test_every_check_is_either_mandatory_or_advisory(pack: ModuleType) -> None:
    assert pack.MANDATORY_CHECKS.isdisjoint(pack.ADVISORY_CHECKS)
    assert pack.every_check_id() == pack.MANDATORY_CHECKS | pack.ADVISORY_CHECKS


def test_main_builds_the_pack_with_every_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, Any] = {}

    def record(name: str, policies: list[Policy], **_: Any) -> None:  # the real one serves forever
        built.update(name=name, policies=[(p.name, p.enforcement_level) for p in policies])

    monkeypatch.setattr(pulumi_policy, "PolicyPack", record)
    runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="__main__")
    assert built == {
        "name": "recgov-retention",
        "policies": [
            (MANDATORY, pulumi_policy.EnforcementLevel.MANDATORY),
            (ADVISORY, pulumi_policy.EnforcementLevel.ADVISORY),
            (UNJUDGED, pulumi_policy.EnforcementLevel.ADVISORY),
            (FORCE_DESTROY, pulumi_policy.EnforcementLevel.MANDATORY),
        ],
    }


def test_pack_declares_python_runtime_and_pins_what_it_imports() -> None:
    manifest = (PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8")
    assert "name: python" in manifest and "virtualenv:" in manifest
    pins = (PACK_DIR / "requirements.txt").read_text(encoding="utf-8")
    for package in ("pulumi-policy==1.21.0", "pulumi==", "boto3==", "PyYAML=="):
        assert package in pins, package


# --- (1) the compliant stack ----------------------------------------------------------------------


def test_the_programs_stack_passes_every_policy(
    stack: PlannedStack, policies: dict[str, Policy], pack: ModuleType, default_run: ProgramRun
) -> None:
    for name in (MANDATORY, ADVISORY, UNJUDGED):
        assert stack_violations(policies[name], stack.resources()) == [], name
    assert resource_violations(policies[FORCE_DESTROY], stack.resources()) == []
    evaluation = pack.evaluate(stack.resources(), {}, lambda _k: None)
    assert evaluation.governed == len(default_run.outputs["buckets"])
    assert evaluation.findings and {f.result.status for f in evaluation.findings} == {Status.PASS}


def test_every_separate_setting_is_joined_to_its_bucket(stack: PlannedStack, planned: ModuleType) -> None:
    buckets, _ = planned.join(stack.resources())
    quality = next(b for b in buckets if b.name == QUALITY)
    joined = {field: [r.name for r in rs] for field, rs in quality.settings.items()}
    assert joined == {
        "versioning": ["recgov-dev-quality-versioning"],
        "object_lock": ["recgov-dev-quality-object-lock"],
        "lifecycle": ["recgov-dev-quality-lifecycle"],
        "encryption": ["recgov-dev-quality-encryption"],
        "public_access_block": ["recgov-dev-quality-public-access-block"],
        "ownership": ["recgov-dev-quality-ownership"],
        "logging": ["recgov-dev-quality-logging"],
        "policy": ["recgov-dev-quality-policy"],
        "inventory": ["recgov-dev-quality-inventory"],
    }


# --- (2) violating stacks -------------------------------------------------------------------------


def test_separate_lifecycle_without_noncurrent_expiry_blocks(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    def no_noncurrent(props: dict[str, Any]) -> None:
        del _rule(props, "expire-recordings")["noncurrentVersionExpiration"]
        props["bucket"] = UNKNOWN_STRING_VALUE  # as at preview: joined by its dependency, not by name

    stack.edit("recgov-dev-quality-lifecycle", no_noncurrent)
    assert stack_violations(policies[MANDATORY], stack.resources()) == [(
        f"Bucket {QUALITY} (quality) keeps recordings forever (current versions expire after 87 days "
        "(rule expire-recordings) + 1 day rounding; the bucket is versioned and no enabled rule covering every "
        "key removes noncurrent versions by age, so expired recordings live on as noncurrent versions); the "
        "worst case must be at most 90 days, legal maximum 181 days.",
        _urn(stack, "recgov-dev-quality"),
    )]
    assert _messages(policies[ADVISORY], stack) == []


def test_filtered_lifecycle_rule_blocks(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    stack.edit("recgov-dev-quality-lifecycle",
               lambda p: _rule(p, "expire-recordings").update(filter={"prefix": "calls/"}))
    assert _messages(policies[MANDATORY], stack) == [
        f"Bucket {QUALITY} (quality) keeps recordings forever (rule expire-recordings covers only keys "
        "with prefix 'calls/'; other keys are not expired by it; no enabled rule covering every key expires "
        "current versions after a number of days); the worst case must be at most 90 days, legal maximum 181 days.",
    ]
    assert _messages(policies[ADVISORY], stack) == [
        f"Bucket {QUALITY} (quality) keeps parts of incomplete uploads unbounded (no enabled rule covering every "
        "key aborts incomplete multipart uploads); they must be aborted within 90 days.",
    ]


def test_lock_days_beyond_retention_block(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    stack.edit("recgov-dev-quality-object-lock", lambda p: p["rule"]["defaultRetention"].update(days=120.0))
    assert _messages(policies[MANDATORY], stack) == [
        f"Bucket {QUALITY} (quality) has default retention GOVERNANCE for 120 days; it must have Object Lock "
        "enabled with default retention GOVERNANCE for 89 days.",
        f"Bucket {QUALITY} (quality) keeps recordings up to 121 days (current versions expire after 87 days "
        "(rule expire-recordings) + 1 day rounding; noncurrent versions are removed 1 day later (rule "
        "expire-recordings) + 1 day rounding; Object Lock keeps each version 120 days + 1 day rounding; worst "
        "case 121 days); the worst case must be at most 90 days, legal maximum 181 days.",
    ]


def test_compliance_lock_beyond_the_legal_maximum_blocks(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    stack.edit("recgov-dev-proof-object-lock", lambda p: p["rule"]["defaultRetention"].update(days=1900.0))
    assert _messages(policies[MANDATORY], stack) == [
        f"Bucket {PROOF} (proof) has default retention COMPLIANCE for 1900 days; it must have Object Lock enabled "
        "with default retention COMPLIANCE for 364 days.",
        f"Bucket {PROOF} (proof) locks every version in COMPLIANCE mode for 1900 days (worst case 1901 days), "
        "beyond the legal maximum of 1825 days (5 years), which nobody can undo.",
        f"Bucket {PROOF} (proof) keeps recordings up to 1901 days (current versions expire after 362 days (rule "
        "expire-recordings) + 1 day rounding; noncurrent versions are removed 1 day later (rule expire-recordings) "
        "+ 1 day rounding; Object Lock keeps each version 1900 days + 1 day rounding; worst case 1901 days); the "
        "worst case must be at most 365 days, legal maximum 1825 days.",
    ]


def test_missing_lifecycle_resource_blocks(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    stack.drop("recgov-dev-evaluations-lifecycle")
    assert _messages(policies[MANDATORY], stack) == [
        f"Bucket {EVALUATIONS} (evaluations) keeps recordings forever (no enabled rule covering every key "
        "expires current versions after a number of days); the worst case must be at most 360 days, legal "
        "maximum 365 days.",
    ]
    assert _messages(policies[ADVISORY], stack) == [
        f"Bucket {EVALUATIONS} (evaluations) has no enabled rule for every key that removes expired delete "
        "markers; one must, so expired recordings leave no trace behind.",
        f"Bucket {EVALUATIONS} (evaluations) keeps parts of incomplete uploads unbounded (no enabled rule covering "
        "every key aborts incomplete multipart uploads); they must be aborted within 360 days.",
    ]


def test_bucket_policy_without_the_retention_cap_blocks(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    def without_cap(props: dict[str, Any]) -> None:
        doc = json.loads(props["policy"])
        doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "DenyRetentionBeyondStackRetention"]
        props["policy"] = json.dumps(doc)

    stack.edit("recgov-dev-quality-policy", without_cap)
    assert _messages(policies[MANDATORY], stack) == [
        f"Bucket {QUALITY} (quality) has a bucket policy lacking DenyRetentionBeyondStackRetention (nothing denies "
        f"s3:PutObject, s3:PutObjectRetention on arn:aws:s3:::{QUALITY}/*); it must enforce per-object retention "
        "within the stack's retention.",
    ]
    assert _messages(policies[ADVISORY], stack) == []


def test_relaxed_public_access_block_only_warns(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    stack.edit("recgov-dev-quality-public-access-block", lambda p: p.update(blockPublicPolicy=False))
    assert _messages(policies[MANDATORY], stack) == []
    assert stack_violations(policies[ADVISORY], stack.resources()) == [(
        f"Bucket {QUALITY} (quality) leaves BlockPublicPolicy off in its public access block; all four settings "
        "must be true.",
        _urn(stack, "recgov-dev-quality"),
    )]


def test_object_lock_on_a_bucket_created_without_it_is_absent(stack: PlannedStack, policies: dict[str, Policy]
                                                              ) -> None:
    stack.edit("recgov-dev-proof", lambda p: p.update(objectLockEnabled=False))
    assert _messages(policies[MANDATORY], stack) == [
        f"Bucket {PROOF} (proof) has Object Lock disabled; it must have Object Lock enabled with default retention "
        "COMPLIANCE for 364 days.",
    ]


def test_force_destroy_on_a_governed_bucket_blocks(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    stack.edit("recgov-dev-proof", lambda p: p.update(forceDestroy=True))
    assert resource_violations(policies[FORCE_DESTROY], stack.resources()) == [(
        f"Bucket {PROOF} (proof) sets forceDestroy, so `pulumi destroy` would empty it, bypassing GOVERNANCE "
        "retention, before the purpose's retention ends; a governed bucket must never be force-destroyed.",
        None,
    )]


def test_force_destroy_on_an_ungoverned_bucket_is_not_ours(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    stack.edit("recgov-dev-proof", lambda p: p.update(forceDestroy=True, tags={}))
    assert resource_violations(policies[FORCE_DESTROY], stack.resources()) == []


# --- the policy the pack judges against -----------------------------------------------------------


def test_policy_config_shortening_a_retention_is_judged(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    config = {"purposes": {"quality": {"retentionDays": 60}}}
    assert _messages(policies[MANDATORY], stack, config) == [
        f"Bucket {QUALITY} (quality) has default retention GOVERNANCE for 89 days; it must have Object Lock "
        "enabled with default retention GOVERNANCE for 59 days.",
        f"Bucket {QUALITY} (quality) keeps recordings up to 90 days (current versions expire after 87 days (rule "
        "expire-recordings) + 1 day rounding; noncurrent versions are removed 1 day later (rule expire-recordings) "
        "+ 1 day rounding; Object Lock keeps each version 89 days + 1 day rounding; worst case 90 days); the worst "
        "case must be at most 60 days, legal maximum 181 days.",
        # The per-object bound follows the shorter retention too: the bucket policy rendered for 90 days
        # lets a lock reach 89.
        f"Bucket {QUALITY} (quality) has a bucket policy lacking DenyRetentionBeyondStackRetention (statement "
        "DenyRetentionBeyondStackRetention applies only under NumericGreaterThan "
        "s3:object-lock-remaining-retention-days 89, where 59 is required); it must enforce per-object retention "
        "within the stack's retention.",
    ]


def test_stack_config_is_read_when_the_policy_config_is_silent(stack: PlannedStack, pack: ModuleType) -> None:
    config = {"recgov:purposes": json.dumps({"quality": {"retentionDays": 60}})}
    mandatory = {p.name: p for p in pack.make_policies(stack_config=config.get)}[MANDATORY]
    found = _messages(mandatory, stack)
    assert len(found) == 3 and all("must be at most 60 days" in m or "for 59 days" in m or "where 59 is required"
                                   in m for m in found), found


def test_a_refused_policy_blocks_with_the_programs_sentence(stack: PlannedStack, policies: dict[str, Policy]) -> None:
    config = {"purposes": {"quality": {"retentionDays": 400}}}
    assert stack_violations(policies[MANDATORY], stack.resources(), config) == [(
        "the retention policy was refused:\nquality: retentionDays 400 exceeds the legal maximum of 181 days "
        "(6 months) under R4 (CNIL norm NS-57 (délibération 2014-474)).",
        None,
    )]


def test_a_relative_policy_file_is_read_from_the_project(pack: ModuleType) -> None:
    policy = pack.effective_policy({"policyFile": "lifecycle/default_policy.yaml"}, lambda _k: None)
    assert policy.digest == pack.effective_policy({}, lambda _k: None).digest


# --- (3) unknown values at preview ----------------------------------------------------------------


def _as_at_first_preview(stack: PlannedStack, default_run: ProgramRun) -> None:
    """What a first preview knows: no bucket has a name yet, and values computed from one are unknown."""
    for reg in default_run.registrations:
        if reg.type == "aws:s3/bucket:Bucket":
            stack.edit(reg.name, lambda p: p.update(bucket=UNKNOWN_STRING_VALUE, arn=UNKNOWN_STRING_VALUE))
        elif reg.type.startswith("aws:s3/") and "bucket" in reg.outputs:
            stack.edit(reg.name, lambda p: p.update(bucket=UNKNOWN_STRING_VALUE))
        if reg.type == "aws:s3/bucketPolicy:BucketPolicy":
            stack.edit(reg.name, lambda p: p.update(policy=UNKNOWN_STRING_VALUE))
        if reg.type == "aws:s3/bucketLogging:BucketLogging":
            stack.edit(reg.name, lambda p: p.update(targetBucket=UNKNOWN_STRING_VALUE))
        if reg.type == "aws:s3/inventory:Inventory":
            stack.edit(reg.name, lambda p: p["destination"]["bucket"].update(bucketArn=UNKNOWN_STRING_VALUE))
        if reg.type == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration" \
                and "quality" in reg.name:
            stack.edit(reg.name, lambda p: p.update(rules=UNKNOWN_ARRAY_VALUE))


def test_unknown_values_are_neither_a_violation_nor_a_pass(
    stack: PlannedStack, policies: dict[str, Policy], pack: ModuleType, default_run: ProgramRun
) -> None:
    _as_at_first_preview(stack, default_run)
    assert _messages(policies[MANDATORY], stack) == []
    assert _messages(policies[ADVISORY], stack) == []
    evaluation = pack.evaluate(stack.resources(), {}, lambda _k: None)
    status = {(f.result.resource, f.result.check): f.result.status for f in evaluation.findings}
    assert status[("recgov-dev-quality", "RG-POLICY-RETENTION-CAP")] is Status.ERROR
    assert status[("recgov-dev-quality", "RG-ENCRYPTION-DEFAULT")] is Status.ERROR
    assert status[("recgov-dev-quality", "RG-KMS-KEY-ROTATION")] is Status.ERROR
    assert status[("recgov-dev-quality", "RG-INVENTORY-DAILY")] is Status.ERROR
    # Known settings are still judged, and the log target is found through its dependency.
    assert status[("recgov-dev-quality", "RG-LIFECYCLE-WORST-CASE")] is Status.PASS
    assert status[("recgov-dev-quality", "RG-ACCESS-LOGGING")] is Status.PASS
    unjudged = _messages(policies[UNJUDGED], stack)
    assert (
        "Bucket recgov-dev-quality (quality): the bucket policy could not be read (policy of "
        "recgov-dev-quality-policy: its value is unknown until the resources it is computed from are created), "
        "so RG-POLICY-RETENTION-CAP cannot be judged."
    ) in unjudged
    assert len(unjudged) == sum(s is Status.ERROR for s in status.values())


def test_unknown_lifecycle_rules_are_not_judged(stack: PlannedStack, policies: dict[str, Policy], pack: ModuleType
                                                ) -> None:
    stack.edit("recgov-dev-quality-lifecycle", lambda p: p.update(rules=UNKNOWN_ARRAY_VALUE))
    assert _messages(policies[MANDATORY], stack) == []
    evaluation = pack.evaluate(stack.resources(), {}, lambda _k: None)
    worst = next(f.result for f in evaluation.findings
                 if f.result.resource == QUALITY and f.result.check == "RG-LIFECYCLE-WORST-CASE")
    assert worst.status is Status.ERROR
    assert worst.message == (
        f"Bucket {QUALITY} (quality): the lifecycle configuration could not be read (rules of "
        "recgov-dev-quality-lifecycle: its value is unknown until the resources it is computed from are created), "
        "so RG-LIFECYCLE-WORST-CASE cannot be judged."
    )


def test_a_setting_whose_bucket_cannot_be_told_is_not_absent(stack: PlannedStack, policies: dict[str, Policy]
                                                             ) -> None:
    stack.drop("recgov-dev-evaluations-lifecycle")
    stack.edit("recgov-dev-quality-lifecycle", lambda p: p.update(bucket=UNKNOWN_STRING_VALUE))
    stack.unlink("recgov-dev-quality-lifecycle")
    # Either bucket may be the one it configures: both lifecycles are unknown, neither is missing, and
    # the three lifecycle checks of each are left unjudged.
    assert _messages(policies[MANDATORY], stack) == []
    unjudged = _messages(policies[UNJUDGED], stack)
    assert len(unjudged) == 2 * 3, unjudged
    assert all("the lifecycle configuration could not be read" in m for m in unjudged)


def test_a_purpose_tag_naming_no_purpose_is_reported_unjudged(stack: PlannedStack, policies: dict[str, Policy]
                                                              ) -> None:
    stack.edit("recgov-dev-quality", lambda p: p["tags"].update({"recgov:purpose": "marketing"}))
    assert _messages(policies[UNJUDGED], stack) == [
        "Bucket recgov-dev-quality is tagged recgov:purpose=marketing, which names no purpose (quality, proof, "
        "evaluations, access-logs, evidence), so it is not judged.",
    ]


CONNECT = {"instanceArn": "arn:aws:connect:eu-central-1:123456789012:instance/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90",
           "recordingsPrefix": "connect/acme/CallRecordings"}


def test_a_stack_writing_amazon_connect_recordings_passes_at_preview(
    run_stack: Callable[..., ProgramRun], pack: ModuleType
) -> None:
    """Connect's exemptions (its role and its instance as aws:SourceArn) are accepted like any principal's at
    preview, where principals are unknown; the effective policy carries the Connect layout as the program's does."""
    stack = PlannedStack(run_stack({"amazonConnect": CONNECT}))
    config = {"recgov:amazonConnect": json.dumps(CONNECT)}
    policies = {p.name: p for p in pack.make_policies(stack_config=config.get)}
    for name in (MANDATORY, ADVISORY, UNJUDGED):
        assert stack_violations(policies[name], stack.resources()) == [], name
    quality = pack.effective_policy({}, config.get)[Purpose.QUALITY]
    assert (quality.layout, quality.key_prefix) == ("amazon-connect", "connect/acme/CallRecordings")
    with pytest.raises(PolicyError, match="recgov:amazonConnect: not valid JSON"):
        pack.effective_policy({}, {"recgov:amazonConnect": "{"}.get)
