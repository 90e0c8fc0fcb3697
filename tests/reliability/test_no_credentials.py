"""No credential ever reaches a report or a log: key id, secret, session token, signature.

verify runs through the CLI with distinctive credentials, against a proxy that refuses some reads
with ``SignatureDoesNotMatch`` and echoes the signed request back (its Authorization header, the
session token and a presigned URL, in the error message), and with the endpoint gone for others.
Every format's output, standard error and every log record are searched for the credentials.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from governance.cli import main
from governance.collect.observed import redact
from governance.model import ExitCode
from governance.report import FORMATS
from tests.reliability.conftest import REGION, bucket_name
from tests.reliability.faultproxy import Fault, fault_proxy

ACCESS_KEY_ID = "AKIARECGOVCANARY7Q2Z"
SECRET = "recgovCanarySecret/0123456789abcdefABCDEFGHIJKLMN"
SESSION_TOKEN = "FwoGZXIvYXdzRECGOVCANARYTOKEN//////////wEaDOLLtoken0123456789abcdefghij=="
NEEDLES = (ACCESS_KEY_ID, SECRET, SESSION_TOKEN, "RECGOVCANARY", "X-Amz-Signature=0", "Signature=0")
"""The credentials, a fragment any partial leak would contain, and signatures in URL or header form."""

pytestmark = pytest.mark.usefixtures("no_backoff")


def test_redact_removes_every_form_of_credential_material() -> None:
    text = (f"Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20250601/eu-west-3/s3/aws4_request, "
            f"SignedHeaders=host, Signature=9f3a0b1c2d3e4f5a6b7c8d9e0f1a2b3c; X-Amz-Security-Token: {SESSION_TOKEN}; "
            f"https://b.s3.amazonaws.com/k?X-Amz-Credential={ACCESS_KEY_ID}%2F2025&X-Amz-Signature=abc123"
            f"&X-Amz-Security-Token={SESSION_TOKEN}; key ASIARECGOVCANARY7Q2Z; https://user:pa55word@host/x")
    cleaned = redact(text)
    assert not any(n in cleaned for n in (ACCESS_KEY_ID, SESSION_TOKEN, "9f3a0b1c", "abc123", "ASIARECGOV",
                                          "pa55word"))
    assert cleaned.count("[redacted]") == 8
    assert redact("AccessDenied: Access Denied") == "AccessDenied: Access Denied"  # ordinary reasons untouched


def test_no_credential_in_any_report_or_log(
    stack: dict[str, Any], emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(stack), encoding="utf-8")
    caplog.set_level(logging.INFO)  # everything a user sees at the default and at INFO
    seen: list[str] = []
    for fmt in FORMATS:
        faults = [Fault("echo", operation="GetBucketPolicy", bucket=bucket_name("quality")),
                  Fault("echo", operation="DescribeKey"),
                  Fault("drop", operation="GetBucketLifecycleConfiguration", bucket=bucket_name("proof"))]
        with fault_proxy(emulator.port, faults) as proxy:
            result = CliRunner().invoke(main, ["verify", "--stack-outputs", str(outputs), "--endpoint-url",
                                               proxy.endpoint_url, "--region", REGION, "--format", fmt])
        assert result.exit_code == ExitCode.INCOMPLETE, result.output
        assert faults[0].applied >= 1 and faults[1].applied >= 1
        assert "SignatureDoesNotMatch" in result.stdout  # the refusal is reported, only without secrets
        seen += [result.stdout, result.stderr]
    seen += [r.getMessage() for r in caplog.records]
    for text in seen:
        for needle in NEEDLES:
            assert needle not in text


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_credentials_in_the_endpoint_url_are_not_shown(fmt: str, tmp_path: Path) -> None:
    """A URL may carry a key pair (``https://KEY:SECRET@host``) or a signed query: the report shows the
    endpoint it used without them (here a dead one, so every read is an ERROR quoting the URL)."""
    with fault_proxy(1) as proxy:
        port = proxy.port
    endpoint = f"http://{ACCESS_KEY_ID}:{SECRET.replace('/', '%2F')}@127.0.0.1:{port}/?X-Amz-Signature=0abc"
    result = CliRunner().invoke(main, ["verify", "--bucket", f"{bucket_name('quality')}=quality",
                                       "--endpoint-url", endpoint, "--region", REGION, "--format", fmt])
    assert result.exit_code == ExitCode.INCOMPLETE, result.output
    assert f"127.0.0.1:{port}" in result.stdout  # the endpoint is still named, for the auditor
    for needle in (*NEEDLES, "0123456789abcdef", "%2F0123456789"):
        assert needle not in result.output
