"""The bucket itself: it exists, carries its purpose tag, keeps versions and blocks public access."""

from __future__ import annotations

from governance.checks.base import Check, Expected
from governance.collect.snapshot import BucketSnapshot
from governance.model import CheckMeta, Result, Severity
from lifecycle.render import TAG_PURPOSE


def _exists(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    if snap.missing:
        return check.failed(
            exp,
            f"{exp.label} does not exist (S3 answered NoSuchBucket); a governed bucket must exist for the purpose.",
            observed={"exists": False},
            required={"exists": True},
        )
    if snap.existence.is_unreadable:
        return check.unreadable(exp, "bucket's existence (HEAD)", snap.existence, {"exists": True})
    return check.passed(exp, f"{exp.label} exists, as the purpose requires.", {"exists": True}, {"exists": True})


EXISTS = Check(
    CheckMeta(
        id="RG-BUCKET-EXISTS",
        title="The governed bucket exists",
        severity=Severity.HIGH,
        rules=("R9", "R10"),
        permissions=("s3:ListBucket",),
        remediation="Deploy the stack (pulumi up) or correct the target's bucket name.",
        description="Each target named by stack outputs, --bucket or discovery is a bucket that exists; "
        "a missing bucket means recordings go somewhere this policy does not govern.",
    ),
    _exists,
)


def _purpose_tag(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    if snap.tags.is_unreadable:
        return check.unreadable(exp, "tag set", snap.tags, {TAG_PURPOSE: str(exp.purpose)})
    required = {TAG_PURPOSE: str(exp.purpose)}
    value = snap.tag(TAG_PURPOSE)
    observed = {TAG_PURPOSE: value}
    if value != str(exp.purpose):
        shown = "no purpose tag" if value is None else f"purpose tag {TAG_PURPOSE}={value}"
        return check.failed(
            exp, f"{exp.label} has {shown}; it must be tagged {TAG_PURPOSE}={exp.purpose}.", observed, required
        )
    return check.passed(exp, f"{exp.label} is tagged {TAG_PURPOSE}={value}, as required.", observed, required)


PURPOSE_TAG = Check(
    CheckMeta(
        id="RG-PURPOSE-TAG",
        title="The bucket is tagged with its purpose",
        severity=Severity.MEDIUM,
        rules=("R9",),
        permissions=("s3:GetBucketTagging",),
        remediation="Tag the bucket recgov:purpose=<purpose> (the Pulumi program does).",
        description="The recgov:purpose tag names the one purpose the bucket serves, so records of processing "
        "and discovery find it.",
    ),
    _purpose_tag,
)


def _versioning(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    required = dict(exp.spec.versioning)
    if snap.versioning.is_unreadable:
        return check.unreadable(exp, "versioning configuration", snap.versioning, required)
    status = (snap.versioning.value or {}).get("Status") if snap.versioning.is_present else None
    observed = {"Status": status}
    if status != required["Status"]:
        return check.failed(
            exp,
            f"{exp.label} has versioning {status or 'never enabled'}; it must be {required['Status']} "
            "(Object Lock and tamper-evident retention need it).",
            observed,
            required,
        )
    return check.passed(exp, f"{exp.label} has versioning {status}, as required.", observed, required)


VERSIONING = Check(
    CheckMeta(
        id="RG-VERSIONING-ENABLED",
        title="Versioning is enabled",
        severity=Severity.HIGH,
        rules=("R8", "R10"),
        permissions=("s3:GetBucketVersioning",),
        remediation="Enable versioning on the bucket (required by Object Lock).",
        description="Versioning is Enabled, so an overwrite or deletion cannot destroy a recording before its "
        "retention ends and Object Lock can apply.",
    ),
    _versioning,
)


def _public_access(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    required = dict(exp.spec.public_access_block)
    obs = snap.public_access_block
    if obs.is_unreadable:
        return check.unreadable(exp, "public access block", obs, required)
    observed = dict(obs.value) if obs.is_present else {}
    off = [k for k, v in required.items() if v and observed.get(k) is not True]
    if off:
        return check.failed(
            exp,
            f"{exp.label} leaves {', '.join(off)} off in its public access block; all four settings must be true.",
            observed or obs.evidence(),
            required,
        )
    return check.passed(exp, f"{exp.label} blocks public access with all four settings true, as required.",
                        observed, required)


PUBLIC_ACCESS = Check(
    CheckMeta(
        id="RG-PUBLIC-ACCESS-BLOCK",
        title="Public access is blocked",
        severity=Severity.CRITICAL,
        rules=("R7", "R10"),
        permissions=("s3:GetBucketPublicAccessBlock",),
        remediation="Turn on all four settings of the bucket's public access block.",
        description="BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets are all "
        "true, so no ACL or policy can open recordings to the public.",
    ),
    _public_access,
)


def _ownership(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    required = dict(exp.spec.ownership)
    wanted = required["Rules"][0]["ObjectOwnership"]
    obs = snap.ownership
    if obs.is_unreadable:
        return check.unreadable(exp, "ownership controls", obs, required)
    rules = (obs.value or {}).get("Rules") or [] if obs.is_present else []
    modes = [r.get("ObjectOwnership") for r in rules if isinstance(r, dict)]
    if modes != [wanted]:
        shown = ", ".join(str(m) for m in modes) or "no ownership controls"
        return check.failed(
            exp, f"{exp.label} has object ownership {shown}; it must be {wanted} (ACLs disabled).",
            obs.value if obs.is_present else obs.evidence(), required,
        )
    return check.passed(exp, f"{exp.label} has object ownership {wanted}, as required.", obs.value, required)


OWNERSHIP = Check(
    CheckMeta(
        id="RG-OWNERSHIP-ENFORCED",
        title="Object ownership is enforced (ACLs disabled)",
        severity=Severity.HIGH,
        rules=("R7", "R10"),
        permissions=("s3:GetBucketOwnershipControls",),
        remediation="Set the bucket's object ownership to BucketOwnerEnforced.",
        description="Object ownership is BucketOwnerEnforced, so access is decided by policies alone and no "
        "object ACL can grant a reader outside the purpose.",
    ),
    _ownership,
)
