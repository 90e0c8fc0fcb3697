"""Reports built directly from results: ordinary, hostile and empty, with a fixed generation time.

Golden files live in tests/data/golden/. After an intended change of output, regenerate them with
``RECGOV_UPDATE_GOLDEN=1 .venv/bin/pytest tests/governance/report`` and review the diff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from governance.model import CheckMeta, Report, Result, Severity, Status
from lifecycle.legal import cite

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "data" / "golden"
FIXED_AT = "2025-01-15T08:30:00+00:00"
DIGEST = "sha256:3f5a0c9e1b7d"

CHECKS = (
    CheckMeta(
        id="s3.lifecycle.worst-case-age",
        title="Recordings are gone by the legal maximum",
        severity=Severity.CRITICAL,
        rules=("R4", "R8"),
        permissions=("s3:GetLifecycleConfiguration", "s3:GetBucketVersioning"),
        remediation="Add a NoncurrentVersionExpiration to the catch-all lifecycle rule.",
        description="The effective worst-case age of a recording, from every lifecycle rule and lock.",
    ),
    CheckMeta(
        id="s3.encryption.kms",
        title="Default encryption with the purpose's KMS key",
        severity=Severity.HIGH,
        rules=("R10",),
        permissions=("s3:GetEncryptionConfiguration",),
        remediation="Set SSE-KMS with the purpose's key and enable the bucket key.",
    ),
    CheckMeta(
        id="s3.public-access-block",
        title="Public access is blocked",
        severity=Severity.MEDIUM,
        rules=("R7", "R10"),
        permissions=("s3:GetBucketPublicAccessBlock",),
        remediation="Enable all four public access block settings.",
    ),
)


def results() -> tuple[Result, ...]:
    """Pass, fail and error across several purposes, with evidence of several JSON shapes."""
    return (
        Result(
            "s3.lifecycle.worst-case-age", "acme-rec-quality", "quality", Status.FAIL, Severity.CRITICAL,
            "Bucket acme-rec-quality (quality) keeps noncurrent versions forever; at most 181 days allowed.",
            observed={"noncurrent_expiration_days": None, "expiration_days": 90},
            expected={"max_days": 181},
            citations=cite("R4", "R8"),
        ),
        Result(
            "s3.encryption.kms", "acme-rec-proof", "proof", Status.ERROR, Severity.HIGH,
            "Bucket acme-rec-proof (proof): encryption could not be read (AccessDenied).",
            observed={"error": "AccessDenied"},
            expected={"sse": "aws:kms", "bucket_key": True},
            citations=cite("R10"),
        ),
        Result(
            "s3.public-access-block", "acme-rec-quality", "quality", Status.PASS, Severity.MEDIUM,
            "Bucket acme-rec-quality (quality) blocks all public access.",
            observed=[True, True, True, True],
            expected=[True, True, True, True],
            citations=cite("R7", "R10"),
        ),
        Result(
            "s3.lifecycle.worst-case-age", "acme-rec-evaluations", "evaluations", Status.PASS, Severity.CRITICAL,
            "Bucket acme-rec-evaluations (evaluations) removes every version within 362 days; at most 365 allowed.",
            observed={"worst_case_days": 362},
            expected={"max_days": 365},
            citations=cite("R6", "R8"),
        ),
    )


HOSTILE_NAMES = (
    "rec|pipe|bucket",
    "<script>alert(1)</script>",
    "key`with``backticks```",
    "line one\nline two\r\n| injected | row |",
    "écoute-enregistrée-日本語-✓",
    '=HYPERLINK("http://evil.example/x","click")',
    "x" * 300,
    "\x1b[31mred\x1b[0m\x00nul",
    "\u202eevil\u202c",
    "**bold** _it_ [link](http://evil.example) ![img](x) ~~s~~ &amp; \\| <b>",
    "::error file=Pulumi.yaml::forged",
)


def hostile_results() -> tuple[Result, ...]:
    """One failing or unverifiable result per hostile string, the string in every text field and in the evidence."""
    failing = tuple(
        Result(
            check=f"hostile.{n}",
            resource=name,
            purpose="quality",
            status=Status.FAIL if n % 2 == 0 else Status.ERROR,
            severity=Severity.HIGH,
            message=f"Object key {name} is kept past the limit.\nSecond line {name}",
            observed={"key": name},
            expected={"key": name},
            citations=(f"R4 ({name})",),
        )
        for n, name in enumerate(HOSTILE_NAMES)
    )
    passing = Result("hostile.pass", HOSTILE_NAMES[1], HOSTILE_NAMES[0], Status.PASS, Severity.LOW, HOSTILE_NAMES[3])
    return (*failing, passing)


def make_report(result_tuple: tuple[Result, ...], **kwargs: object) -> Report:
    """A report with fixed metadata so that output is byte-for-byte reproducible."""
    fields: dict[str, object] = {
        "target": {"stack_outputs": "outputs.json", "region": "eu-west-3"},
        "policy_digest": DIGEST,
        "generated_at": FIXED_AT,
        "tool_version": "0.1.0",
        "checks": CHECKS,
    }
    fields.update(kwargs)
    return Report(results=result_tuple, **fields)  # type: ignore[arg-type]


@pytest.fixture
def sample_report() -> Report:
    """Two passes, a fail and an error over three purposes."""
    return make_report(results())


@pytest.fixture
def hostile_report() -> Report:
    """Results whose every field holds text chosen to break or inject into a report."""
    return make_report(hostile_results(), target={"bucket": HOSTILE_NAMES[3], "note": HOSTILE_NAMES[1]})


@pytest.fixture
def empty_report() -> Report:
    """A run that judged nothing."""
    return make_report((), checks=())


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare output with tests/data/golden/<name>; RECGOV_UPDATE_GOLDEN=1 rewrites the file."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if os.environ.get("RECGOV_UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(actual.encode("utf-8"))
        assert path.exists(), f"golden file {path} is missing; run with RECGOV_UPDATE_GOLDEN=1 to create it"
        expected = path.read_bytes().decode("utf-8")  # bytes: no newline translation
        assert actual == expected, f"{name} differs from its golden file; if intended, set RECGOV_UPDATE_GOLDEN=1"

    return check


@pytest.fixture
def sample_results() -> tuple[Result, ...]:
    """The results of ``sample_report``, for tests that build a variant of it."""
    return results()


@pytest.fixture
def build_report() -> Callable[..., Report]:
    """``make_report`` for tests that need their own results or metadata."""
    return make_report
