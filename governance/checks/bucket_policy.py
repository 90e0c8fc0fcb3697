"""The bucket policy, judged by meaning against the denies :func:`lifecycle.access.deny_requirements` lists.

Each check groups the requirements of one concern (TLS, encryption, retention cap, tamper
protection, purpose-only access) and yields one finding per bucket naming what is missing.
"""

from __future__ import annotations

from governance.checks.base import Check, Expected
from governance.checks.policy_semantics import judge_deny_requirement, public_allows
from governance.collect.snapshot import BucketSnapshot
from governance.model import CheckMeta, Result, Severity

GROUPS: dict[str, tuple[str, ...]] = {
    "RG-POLICY-TLS-ONLY": ("DenyInsecureTransport",),
    "RG-POLICY-ENCRYPTION": ("DenyNonKmsEncryption", "DenySseC", "DenyOtherKmsKeys"),
    "RG-POLICY-RETENTION-CAP": ("DenyRetentionBeyondStackRetention",),
    "RG-POLICY-TAMPER": ("DenyConfigurationChanges", "DenyDeletesOutsideErasure", "DenyDeletes",
                         "DenyGovernanceBypass", "DenyLegalHoldOutsidePurpose"),
    "RG-POLICY-PURPOSE-ACCESS": ("DenyReadsOutsidePurpose", "DenyWritesOutsidePurpose", "DenyWritesOutsideDelivery"),
}
"""Check id -> the requirement Sids it proves; a meta-test proves every Sid belongs to one group."""

PERMISSIONS = ("s3:GetBucketPolicy",)


def _run(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    reqs = [r for r in exp.requirements if r.sid in GROUPS[check.meta.id]]
    if not reqs:
        return []
    required = {r.sid: {"title": r.title, "actions": list(r.actions), "condition": dict(r.condition),
                        "except_principals": list(r.except_principals)} for r in reqs}
    obs = snap.policy
    if obs.is_unreadable:
        return check.unreadable(exp, "bucket policy", obs, required)
    titles = ", ".join(r.title for r in reqs)
    if not obs.is_present:
        return check.failed(exp, f"{exp.label} has no bucket policy; it must deny {titles}.", obs.evidence(), required)
    verdicts = {r.sid: judge_deny_requirement(obs.value, snap.arn, r) for r in reqs}
    broken = [f"{sid} ({v.problem})" for sid, v in verdicts.items() if not v.holds]
    if broken:
        return check.failed(exp, f"{exp.label} has a bucket policy lacking {'; '.join(broken)}; it must enforce "
                            f"{titles}.", obs.value, required)
    unknown = "" if exp.principals is not None else (
        " (principals unknown without stack outputs, so any exemption is accepted)")
    return check.passed(exp, f"{exp.label} has a bucket policy enforcing {titles}{unknown}.", obs.value, required)


def _meta(check_id: str, title: str, severity: Severity, rules: tuple[str, ...], description: str) -> CheckMeta:
    return CheckMeta(
        id=check_id, title=title, severity=severity, rules=rules, permissions=PERMISSIONS,
        remediation="Deploy the bucket policy rendered by the program (lifecycle.access), which carries every "
        "required deny.",
        description=description,
    )


POLICY_CHECKS = (
    Check(_meta("RG-POLICY-TLS-ONLY", "Bucket policy denies access without TLS", Severity.HIGH, ("R10",),
                "A deny for every S3 action on the bucket and its objects when aws:SecureTransport is false."), _run),
    Check(_meta("RG-POLICY-ENCRYPTION", "Bucket policy denies uploads not encrypted with the purpose's key",
                Severity.HIGH, ("R10",),
                "Denies uploads without SSE-KMS, with customer-provided keys (SSE-C), and with another KMS key "
                "than the purpose's (when stack outputs name it)."), _run),
    Check(_meta("RG-POLICY-RETENTION-CAP", "Bucket policy caps per-object retention at the legal maximum",
                Severity.CRITICAL, ("R4", "R5", "R6", "R8"),
                "Denies PutObject and PutObjectRetention whose object-lock remaining retention exceeds the legal "
                "maximum minus the rounding day, so no per-object lock outlives the law."), _run),
    Check(_meta("RG-POLICY-TAMPER", "Bucket policy protects retention settings and recordings from tampering",
                Severity.HIGH, ("R7", "R8", "R10"),
                "Only the deployer changes retention settings; only the erasure role deletes or bypasses governance "
                "retention; only the dispute team places legal holds; nobody deletes access logs by hand."), _run),
    Check(_meta("RG-POLICY-PURPOSE-ACCESS", "Bucket policy limits reads and writes to the purpose's principals",
                Severity.HIGH, ("R7", "R10"),
                "Reads are denied to everyone but the purpose's readers, uploads to everyone but its writers (on the "
                "access-logs bucket, to every identity: S3's log and inventory delivery alone write there); fewer "
                "exempted principals pass, more fail."), _run),
)


def _public(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    required: dict[str, list[str]] = {"public_allow_statements": []}
    obs = snap.policy
    if obs.is_unreadable:
        return check.unreadable(exp, "bucket policy", obs, required)
    found = public_allows(obs.value) if obs.is_present else []
    if found:
        return check.failed(exp, f"{exp.label} has bucket policy statements {', '.join(found)} that allow access to "
                            "everyone; no statement may allow anything to everyone.", obs.value, required,
                            Severity.CRITICAL)
    return check.passed(exp, f"{exp.label} has no bucket policy statement allowing access to everyone.",
                        obs.value if obs.is_present else None, required)


PUBLIC_ALLOW = Check(
    CheckMeta(
        id="RG-POLICY-NO-PUBLIC-ALLOW",
        title="Bucket policy allows nothing to everyone",
        severity=Severity.CRITICAL,
        rules=("R7", "R10"),
        permissions=PERMISSIONS,
        remediation="Remove Allow statements whose Principal is * (or that use NotPrincipal).",
        description="No Allow statement has Principal * or {\"AWS\": \"*\"} (or NotPrincipal), so the policy "
        "cannot open recordings beyond the purpose's principals.",
    ),
    _public,
)
