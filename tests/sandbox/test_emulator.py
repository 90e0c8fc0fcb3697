"""The emulators: moto and LocalStack answer the same interface, on loopback only, and stop for good."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import boto3
import pytest

from sandbox.emulator import LOCALSTACK_SERVICES, LOOPBACK, AwsEmulator, LocalStackEmulator, localstack_environment


def test_localstack_is_configured_for_loopback_and_no_outbound_call(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("AWS_PROFILE", "production")
    env = localstack_environment(4566, tmp_path)
    assert env["GATEWAY_LISTEN"] == f"{LOOPBACK}:4566"
    assert env["DNS_ADDRESS"] == "0"  # no DNS server on any interface
    assert {env[k] for k in ("SKIP_SSL_CERT_DOWNLOAD", "SKIP_INFRA_DOWNLOADS", "DISABLE_EVENTS")} == {"1"}
    assert env["API_ENDPOINT"].startswith(f"http://{LOOPBACK}:") and env["ANALYTICS_API"] == env["API_ENDPOINT"]
    assert env["SERVICES"].split(",") == list(LOCALSTACK_SERVICES)
    # Built from scratch: nothing of the caller's proxies or AWS profile reaches LocalStack.
    assert not {k for k in env if "PROXY" in k.upper() or (k.startswith("AWS_") and k != "AWS_DEFAULT_REGION")}
    assert all(str(tmp_path) in env[k] for k in ("HOME", "TMPDIR", "FILESYSTEM_ROOT"))


@pytest.mark.emulators("moto", "localstack")
def test_each_emulator_answers_on_loopback_and_reset_forgets_everything(emulator: AwsEmulator) -> None:
    assert emulator.endpoint_url.startswith(f"http://{LOOPBACK}:")
    s3 = boto3.client("s3", endpoint_url=emulator.endpoint_url, region_name=emulator.region)
    s3.create_bucket(Bucket="recgov-t-reset", CreateBucketConfiguration={"LocationConstraint": emulator.region})
    emulator.reset()
    assert s3.list_buckets()["Buckets"] == []


def test_localstack_stops_with_its_process_group(localstack_python: Path) -> None:
    emu = LocalStackEmulator(localstack_python).start()
    pid, port, log = emu._process.pid if emu._process else 0, emu.port, emu.log_path
    emu.stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    with socket.socket() as sock:
        assert sock.connect_ex((LOOPBACK, port)) != 0, f"something still listens on {port}"
    assert log is not None and not log.parent.exists()  # its files are gone too
