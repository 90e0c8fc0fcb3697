"""Every policy the program renders, linted by parliament and cloudsplaining as a security reviewer would.

The real ``__main__.py`` runs under Pulumi's mock runtime for the default stack and the example stack
(``Pulumi.dev.yaml``); every role's identity policy, every trust policy, every bucket policy and every
key policy it registers goes through parliament (with its community auditors), and every identity
policy through cloudsplaining. A finding fails unless :data:`ALLOWED` names it, and each entry says
why: a known false positive of the tool, or a design decision stated in docs/security.md. An entry
that no longer matches anything fails too, so the list cannot outlive its reasons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from cloudsplaining.command.scan_policy_file import scan_policy
from parliament import analyze_policy_string

from lifecycle.access import AUDITOR_ACTIONS
from sandbox.program import ProgramRun
from tests.conftest import offline_run

ROOT = Path(__file__).resolve().parents[2]
STACKS = {"default": {}, "dev": yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]}
"""The stacks linted: no config at all, and the example stack's config as ``pulumi up`` reads it."""

POLICY_INPUTS = {
    "aws:iam/rolePolicy:RolePolicy": ("identity", "policy"),
    "aws:iam/role:Role": ("trust", "assumeRolePolicy"),
    "aws:s3/bucketPolicy:BucketPolicy": ("bucket", "policy"),
    "aws:kms/keyPolicy:KeyPolicy": ("key", "policy"),
}
"""Resource type -> (kind of policy, the input that holds it)."""
CLOUDSPLAINING_CATEGORIES = ("ServiceWildcard", "PrivilegeEscalation", "DataExfiltration", "ResourceExposure",
                             "CredentialsExposure", "InfrastructureModification")


@dataclass(frozen=True)
class Finding:
    """One linter finding on one rendered policy."""

    stack: str
    resource: str
    kind: str
    tool: str
    issue: str
    detail: str

    def __str__(self) -> str:
        return f"{self.stack}:{self.resource} ({self.kind} policy): {self.tool} {self.issue} {self.detail}"


@dataclass(frozen=True)
class Allowed:
    """A finding accepted, and why; ``resource`` and ``detail`` are regular expressions."""

    tool: str
    issue: str
    kind: str
    resource: str
    detail: str
    reason: str

    def matches(self, f: Finding) -> bool:
        """Whether this entry accepts the finding."""
        return (self.tool, self.issue, self.kind) == (f.tool, f.issue, f.kind) and bool(
            re.fullmatch(self.resource, f.resource) and re.search(self.detail, f.detail))


ALLOWED: tuple[Allowed, ...] = (
    Allowed("parliament", "MALFORMED", "trust", r".*", r"neither Resource nor NotResource",
            "False positive: parliament reads a trust policy as an identity policy. A role's trust policy has no "
            "Resource element; IAM refuses one there."),
    Allowed("parliament", "RESOURCE_MISMATCH", "identity", r".*-reader-policy|.*-auditor-access-logs-policy",
            r"s3:GetObjectAttributes.*accesspoint",
            "False positive of parliament's action table: s3:GetObjectAttributes applies to the object resource "
            "type (Service Authorization Reference for Amazon S3), not to access points only."),
    Allowed("parliament", "MISMATCHED_TYPE_BUT_USABLE", "bucket", r".*-policy",
            r"StringNotEqualsIfExists requires a value of type String but given Arn",
            "False positive: s3:x-amz-server-side-encryption-aws-kms-key-id is a String key whose value is the key's "
            "ARN, as S3's own examples compare it (DenyOtherKmsKeys)."),
    Allowed("parliament", "RESOURCE_STAR", "key", r".*-key-policy", r"kms:",
            "False positive: in a key policy Resource must be \"*\", which means the key the policy is attached "
            "to (KMS developer guide, key policy elements)."),
    Allowed("parliament", "PERMISSIONS_MANAGEMENT_ACTIONS", "key", r".*-key-policy",
            r"^actions kms:putkeypolicy, kms:revokegrant$",
            "Design decision (docs/security.md, Key policies): the account administers each key, so that an IAM "
            "administrator can always repair its policy and the key never becomes unmanageable."),
    Allowed("parliament", "PERMISSIONS_MANAGEMENT_ACTIONS", "identity", r".*-(quality|evaluations)-erasure-policy",
            r"^actions s3:bypassgovernanceretention$",
            "Design decision (docs/security.md, Roles): the erasure role of the purposes whose erasure before "
            "expiry is lawful (GDPR Art. 17 and 21) bypasses their GOVERNANCE lock; no other role may."),
    Allowed("parliament", "RESOURCE_STAR", "identity", r".*-auditor-configuration-policy",
            r"^\['s3:GetBucketTagging'\]$",
            "Design decision (docs/security.md, The auditor): verify --discover reads the purpose tag of every "
            "bucket before it knows which are governed; every other auditor read names the stack's buckets "
            "and keys."),
)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@cache
def _run(stack: str) -> ProgramRun:
    return offline_run(STACKS[stack])


def rendered(stack: str) -> Iterator[tuple[str, str, str]]:
    """(resource name, kind, document) for every policy the program registers on ``stack``."""
    for reg in _run(stack).registrations:
        if reg.type in POLICY_INPUTS:
            kind, field = POLICY_INPUTS[reg.type]
            yield reg.name, kind, _text(reg.inputs[field])


def parliament_findings(document: str) -> list[tuple[str, str]]:
    """(issue, detail) of every parliament finding, community auditors included.

    The community auditors put the actions they name in the finding's location (in no fixed order),
    not in its detail.
    """
    found = analyze_policy_string(document, include_community_auditors=True).findings
    return [(f.issue, str(f.detail) if f.detail else "actions " + ", ".join(sorted(f.location.get("actions", []))))
            for f in found]


def cloudsplaining_findings(document: str) -> list[tuple[str, str]]:
    """(category, actions) of every cloudsplaining finding on an identity policy."""
    scanned = scan_policy(json.loads(document))
    return [(category, json.dumps(scanned[category]["findings"])) for category in CLOUDSPLAINING_CATEGORIES
            if scanned[category]["findings"]]


def findings(stack: str) -> list[Finding]:
    """Every finding of both linters on every policy of the stack."""
    out = []
    for name, kind, document in rendered(stack):
        out += [Finding(stack, name, kind, "parliament", issue, detail)
                for issue, detail in parliament_findings(document)]
        if kind == "identity":
            out += [Finding(stack, name, kind, "cloudsplaining", issue, detail)
                    for issue, detail in cloudsplaining_findings(document)]
    return out


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_rendered_policy_is_linted(stack: str) -> None:
    kinds = {kind for _name, kind, _doc in rendered(stack)}
    assert kinds == {"identity", "trust", "bucket", "key"}
    assert sum(1 for _ in rendered(stack)) > 30


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_no_linter_finding_but_those_allowed_with_a_reason(stack: str) -> None:
    unexplained = [str(f) for f in findings(stack) if not any(a.matches(f) for a in ALLOWED)]
    assert unexplained == []


def test_every_allowance_still_matches_a_finding() -> None:
    found = [f for stack in STACKS for f in findings(stack)]
    assert [a.reason for a in ALLOWED if not any(a.matches(f) for f in found)] == []


def test_every_design_decision_allowed_is_stated_in_the_docs() -> None:
    security = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for entry in ALLOWED:
        if entry.reason.startswith("Design decision"):
            section = re.search(r"docs/security\.md, ([^)]+)\)", entry.reason)
            assert section and f"### {section.group(1)}" in security, entry.reason
        else:
            assert entry.reason.startswith("False positive"), entry.reason


# The linters themselves: what a reviewer would be told about a careless policy.

CARELESS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt", "iam:PassRole"], "Resource": "*"}]}


def test_the_linters_flag_a_careless_identity_policy() -> None:
    document = json.dumps(CARELESS)
    assert ("RESOURCE_STAR" in {issue for issue, _ in parliament_findings(document)})
    assert {"DataExfiltration", "ResourceExposure"} <= {category for category, _ in cloudsplaining_findings(document)}


def test_the_old_auditor_policy_would_be_flagged() -> None:
    """Reads of every bucket on ``*``, as the auditor had them: parliament names each action."""
    document = json.dumps({"Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Action": list(AUDITOR_ACTIONS), "Resource": "*"}]})
    flagged = " ".join(detail for issue, detail in parliament_findings(document) if issue == "RESOURCE_STAR")
    for action in ("s3:ListBucket", "s3:GetObjectRetention", "kms:GetKeyPolicy"):
        assert action in flagged, action
