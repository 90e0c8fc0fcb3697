"""Encryption at rest: default SSE-KMS with the purpose's key and a bucket key, a usable key that rotates."""

from __future__ import annotations

from typing import Any

from governance.checks.base import Check, Expected
from governance.collect.snapshot import BucketSnapshot
from governance.model import CheckMeta, Result, Severity, Status
from lifecycle.legal import Purpose
from lifecycle.render import encryption_configuration


def _default_rule(value: Any) -> dict[str, Any]:
    rules = (value or {}).get("Rules") or []
    return dict(rules[0]) if rules and isinstance(rules[0], dict) else {}


def _same_key(configured: str | None, resolved: str | None, wanted: str) -> bool:
    # The bucket may name the key by id, ARN or alias; DescribeKey resolved it to an ARN.
    return wanted in (configured, resolved) or (configured is not None and wanted.endswith(f"/{configured}"))


def _encryption(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    obs = snap.encryption
    if not exp.spec.kms:
        required: Any = encryption_configuration(None)
    elif exp.key_arn is not None:
        required = encryption_configuration(exp.key_arn)
    else:
        required = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "any KMS key (stack outputs not given)",
                    "BucketKeyEnabled": True}
    if obs.is_unreadable:
        return check.unreadable(exp, "default encryption", obs, required)
    rule = _default_rule(obs.value) if obs.is_present else {}
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = default.get("SSEAlgorithm")
    key_id = default.get("KMSMasterKeyID")
    observed = obs.value if obs.is_present else obs.evidence()
    if not exp.spec.kms:
        if algorithm != "AES256":
            return check.failed(
                exp, f"{exp.label} encrypts by default with {algorithm or 'nothing'}; it must use SSE-S3 (AES256), "
                "the only encryption S3 server access log delivery supports.", observed, required,
            )
        return check.passed(exp, f"{exp.label} encrypts by default with SSE-S3 (AES256), as log delivery requires.",
                            observed, required)
    problems = []
    if algorithm not in ("aws:kms", "aws:kms:dsse"):
        problems.append(f"algorithm {algorithm or 'none'} instead of aws:kms")
    elif exp.key_arn is not None:
        resolved = snap.kms_key.value.get("KeyArn") if snap.kms_key.is_present else None
        if not _same_key(key_id, resolved, exp.key_arn):
            if snap.kms_key.is_unreadable and key_id is not None:
                return check.unreadable(exp, "KMS key the bucket names", snap.kms_key, required)
            problems.append(f"key {key_id or 'aws/s3 (AWS managed)'} instead of {exp.key_arn}")
    if rule.get("BucketKeyEnabled") is not True:
        problems.append("no bucket key")
    if problems:
        return check.failed(
            exp, f"{exp.label} has default encryption with {', '.join(problems)}; it must use SSE-KMS with "
            f"{exp.key_arn or 'a KMS key'} and a bucket key.", observed, required,
        )
    suffix = "" if exp.key_arn else " (the purpose's key is unknown without stack outputs, so any KMS key passes)"
    return check.passed(exp, f"{exp.label} encrypts by default with SSE-KMS key {key_id or 'aws/s3'} and a bucket "
                        f"key, as required{suffix}.", observed, required)


ENCRYPTION = Check(
    CheckMeta(
        id="RG-ENCRYPTION-DEFAULT",
        title="Default encryption with the purpose's KMS key and a bucket key",
        severity=Severity.HIGH,
        rules=("R10",),
        permissions=("s3:GetEncryptionConfiguration", "kms:DescribeKey"),
        remediation="Set default encryption to SSE-KMS with the purpose's key and BucketKeyEnabled "
        "(SSE-S3 on the access-logs bucket).",
        description="New objects are encrypted with SSE-KMS under the purpose's own key (from stack outputs, "
        "else any KMS key) with a bucket key; the access-logs bucket uses SSE-S3, which log delivery requires.",
    ),
    _encryption,
)


def _rotation(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    obs = snap.kms_key
    required = {"KeyRotationEnabled": True}
    if obs.is_unreadable:
        return check.unreadable(exp, "KMS key rotation status", obs, required)
    if not obs.is_present:
        return check.failed(exp, f"{exp.label} names no KMS key in its default encryption, so no key rotates; "
                            "its SSE-KMS key must rotate.", obs.evidence(), required)
    key = obs.value
    if not key.get("Exists"):
        return check.failed(exp, f"{exp.label} names KMS key {key.get('KeyId')}, which does not exist; it must name "
                            "an existing key with rotation enabled.", key, required)
    if key.get("KeyManager") == "AWS" or key.get("KeyRotationEnabled") is True:
        return check.passed(exp, f"{exp.label} uses KMS key {key.get('KeyArn')}, whose rotation is enabled, as "
                            "required.", key, required)
    return check.failed(exp, f"{exp.label} uses KMS key {key.get('KeyArn')} with rotation disabled; automatic "
                        "rotation must be enabled.", key, required)


KEY_ROTATION = Check(
    CheckMeta(
        id="RG-KMS-KEY-ROTATION",
        title="The encryption key rotates",
        severity=Severity.MEDIUM,
        rules=("R10",),
        permissions=("kms:DescribeKey", "kms:GetKeyRotationStatus"),
        remediation="Enable automatic rotation on the purpose's KMS key (EnableKeyRotation).",
        description="The KMS key named by the bucket's default encryption exists and has automatic rotation "
        "enabled (AWS managed keys always rotate).",
    ),
    _rotation,
    applies=lambda e: e.spec.kms,
)


KEY_STATE_HARM = {
    "Disabled": "no recording under it can be read or written until the key is enabled again",
    "PendingDeletion": "once the waiting period ends the key is destroyed and every recording under it with it, "
    "an erasure nobody decided",
    "PendingReplicaDeletion": "once the waiting period ends the key is destroyed and every recording under it with "
    "it, an erasure nobody decided",
    "PendingImport": "it has no key material, so no recording under it can be read or written",
    "Unavailable": "its key store is disconnected, so no recording under it can be read or written",
}
"""Why each state other than ``Enabled`` makes a purpose's recordings unusable (KMS key states)."""


def _key_state(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    obs = snap.kms_key
    required = {"KeyState": "Enabled"}
    if obs.is_unreadable:
        return check.unreadable(exp, "KMS key state", obs, required)
    if not obs.is_present:
        return check.failed(exp, f"{exp.label} names no KMS key in its default encryption, so no usable key "
                            "protects its recordings; it must name the purpose's enabled SSE-KMS key.",
                            obs.evidence(), required)
    key = obs.value
    if not key.get("Exists"):
        return check.failed(exp, f"{exp.label} names KMS key {key.get('KeyId')}, which does not exist, so no "
                            "recording can be written or read under it; it must name an enabled key.", key, required)
    state = key.get("KeyState")
    if state is None:
        return [check.result(exp, Status.ERROR, f"{exp.label}: DescribeKey gave no state for KMS key "
                             f"{key.get('KeyArn')}, so {check.meta.id} cannot be judged.", observed=key,
                             required=required)]
    if state == "Enabled":
        return check.passed(exp, f"{exp.label} uses KMS key {key.get('KeyArn')}, which is enabled and not pending "
                            "deletion, as required.", key, required)
    harm = KEY_STATE_HARM.get(str(state), "no recording under it can be read or written in that state")
    return check.failed(exp, f"{exp.label} uses KMS key {key.get('KeyArn')} in state {state}: {harm}; the key "
                        "must be enabled (cancel a scheduled deletion, then enable it).", key, required)


KEY_STATE = Check(
    CheckMeta(
        id="RG-KMS-KEY-ENABLED",
        title="The encryption key is enabled and not pending deletion",
        severity=Severity.HIGH,
        # Proof and evidence answer legal claims and show compliance: losing them is the gravest loss.
        severity_by_purpose=((str(Purpose.PROOF), Severity.CRITICAL), (str(Purpose.EVIDENCE), Severity.CRITICAL)),
        rules=("R8", "R10"),
        # The state is collected with the rotation status (collect/kms.py): both reads must succeed.
        permissions=("kms:DescribeKey", "kms:GetKeyRotationStatus"),
        remediation="Cancel the key's scheduled deletion (CancelKeyDeletion) and enable it (EnableKey).",
        description="The KMS key named by the bucket's default encryption exists and is Enabled: a disabled key "
        "makes its recordings unreadable, and a key pending deletion destroys them when the waiting period ends, "
        "an erasure nobody decided.",
    ),
    _key_state,
    applies=lambda e: e.spec.kms,
)
