"""The emulators: moto and LocalStack answer the same interface, on loopback only, and stop for good."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

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


# --- what each emulator does where they differ (docs/emulators.md); a change in either shows up here ---

Probe = Callable[[Any, Any, str], object]


def _code(call: Callable[[], object]) -> str:
    """``accepted``, or the error code the emulator answered with."""
    try:
        call()
    except ClientError as err:
        return str(err.response["Error"]["Code"])
    return "accepted"


def _bucket(s3: Any, region: str, name: str, locked: bool = False) -> str:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region},
                     ObjectLockEnabledForBucket=locked)
    if locked:
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}}})
    return name


def _lifecycle_keeps(field: str, rule: dict[str, Any]) -> Probe:
    def probe(s3: Any, _kms: Any, region: str) -> object:
        name = _bucket(s3, region, f"recgov-t-keeps-{field.lower()}")
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [rule]})
        return field in json.dumps(s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"])

    return probe


def _suspend_locked_versioning(s3: Any, _kms: Any, region: str) -> object:
    name = _bucket(s3, region, "recgov-t-suspend", locked=True)
    return _code(lambda: s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"}))


def _default_retention_on_held_object(s3: Any, _kms: Any, region: str) -> object:
    name = _bucket(s3, region, "recgov-t-held", locked=True)
    s3.put_object(Bucket=name, Key="held.wav", Body=b"x", ObjectLockLegalHoldStatus="ON")
    return "ObjectLockRetainUntilDate" in s3.head_object(Bucket=name, Key="held.wav")


def _relock_with_objects(s3: Any, _kms: Any, region: str) -> object:
    name = _bucket(s3, region, "recgov-t-relock", locked=True)
    s3.put_object(Bucket=name, Key="a.wav", Body=b"x")
    return _code(lambda: s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 5}}}))


def _bucket_after_inventory_deletion(s3: Any, _kms: Any, region: str) -> object:
    name, target = _bucket(s3, region, "recgov-t-inventory"), _bucket(s3, region, "recgov-t-inventory-target")
    s3.put_bucket_inventory_configuration(Bucket=name, Id="daily", InventoryConfiguration={
        "Id": "daily", "IsEnabled": True, "IncludedObjectVersions": "All", "Schedule": {"Frequency": "Daily"},
        "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{target}", "Format": "CSV"}}})
    s3.delete_bucket_inventory_configuration(Bucket=name, Id="daily")
    return _code(lambda: s3.head_bucket(Bucket=name))


def _logging_to_bucket_with_string_principal(s3: Any, _kms: Any, region: str) -> object:
    source, target = _bucket(s3, region, "recgov-t-logged"), _bucket(s3, region, "recgov-t-log-target")
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyPlainWrites", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{target}/*"}]}))
    return _code(lambda: s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "logs/"}}))


def _disable_key_by_arn(_s3: Any, kms: Any, _region: str) -> object:
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    return _code(lambda: kms.disable_key(KeyId=arn))


def _rotation_of_key_pending_deletion(_s3: Any, kms: Any, _region: str) -> object:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    return kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]


def _put_denied_by_bucket_policy(s3: Any, _kms: Any, region: str) -> object:
    name = _bucket(s3, region, "recgov-t-denied")
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{name}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]}))
    return _code(lambda: s3.put_object(Bucket=name, Key="plain.wav", Body=b"x"))


SIZE_RULE = {"ID": "large", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 1048576},
             "Expiration": {"Days": 87}}
NEWER_RULE = {"ID": "newer", "Status": "Enabled", "Filter": {"Prefix": ""},
              "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 5}}

# behaviour -> (probe, what S3 or KMS answers, what moto answers, what LocalStack answers)
BEHAVIOURS: dict[str, tuple[Probe, object, object, object]] = {
    "lifecycle keeps ObjectSizeGreaterThan": (_lifecycle_keeps("ObjectSizeGreaterThan", SIZE_RULE), True, False, True),
    "lifecycle keeps NewerNoncurrentVersions": (_lifecycle_keeps("NewerNoncurrentVersions", NEWER_RULE),
                                                True, False, True),
    "suspending a locked bucket's versioning": (_suspend_locked_versioning, "InvalidBucketState", "accepted",
                                                "InvalidBucketState"),
    "a held object's HEAD shows the default retention": (_default_retention_on_held_object, True, False, True),
    "changing the default lock of a bucket holding objects": (_relock_with_objects, "accepted", "InvalidBucket",
                                                              "accepted"),
    "the bucket after DeleteBucketInventoryConfiguration": (_bucket_after_inventory_deletion, "accepted", "404",
                                                            "accepted"),
    'PutBucketLogging to a bucket whose policy says "Principal": "*"': (_logging_to_bucket_with_string_principal,
                                                                        "accepted", "500", "accepted"),
    "DisableKey given the key's ARN": (_disable_key_by_arn, "accepted", "500", "accepted"),
    "rotation status of a key pending deletion": (_rotation_of_key_pending_deletion, False, True, True),
    "a PutObject the bucket policy denies": (_put_denied_by_bucket_policy, "AccessDenied", "403", "accepted"),
}
"""Where the emulators differ from S3 or from each other (S3 and KMS answers from their API references)."""


@pytest.mark.emulators("moto", "localstack")
def test_each_emulator_still_behaves_as_docs_emulators_says(clean_emulator: AwsEmulator) -> None:
    config = Config(retries={"max_attempts": 1})  # moto's 500s are answers here, not faults to retry
    s3 = boto3.client("s3", endpoint_url=clean_emulator.endpoint_url, region_name=clean_emulator.region,
                      config=config)
    kms = boto3.client("kms", endpoint_url=clean_emulator.endpoint_url, region_name=clean_emulator.region,
                       config=config)
    column = {"moto": 2, "localstack": 3}[clean_emulator.name]
    observed = {name: row[0](s3, kms, clean_emulator.region) for name, row in BEHAVIOURS.items()}
    expected = {name: row[column] for name, row in BEHAVIOURS.items()}
    changed = {name: f"now {observed[name]!r}, was {expected[name]!r} (S3: {BEHAVIOURS[name][1]!r})"
               for name in BEHAVIOURS if observed[name] != expected[name]}
    assert not changed, f"{clean_emulator.name} changed; update docs/emulators.md and the tests that rely on it: " \
                        f"{changed}"


ORPHAN = """\
import sys, time
from pathlib import Path
from sandbox.emulator import LocalStackEmulator
emu = LocalStackEmulator(Path(sys.argv[1])).start()
print(emu._process.pid, emu.port, flush=True)
time.sleep(600)
"""


def test_localstack_dies_with_a_killed_test_run(localstack_python: Path) -> None:
    runner = subprocess.Popen([sys.executable, "-c", ORPHAN, str(localstack_python)], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        pid, port = (int(v) for v in (runner.stdout.readline() if runner.stdout else "").split())
    finally:
        runner.kill()  # SIGKILL: no finaliser of the run gets to stop LocalStack
        runner.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(pid, signal.SIGKILL)
        pytest.fail(f"LocalStack (process group {pid}, port {port}) outlived the run that started it")
