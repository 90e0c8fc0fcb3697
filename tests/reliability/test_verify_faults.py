"""Faults during ``recgov verify``: each yields ERROR for exactly what could not be read, never a pass.

A fault-injecting proxy (:mod:`tests.reliability.faultproxy`) sits between the collector and the
emulator holding the governed stack. For each read the collectors make, the proxy drops the
connection, answers ``503 SlowDown`` (or KMS ``ThrottlingException``), cuts the body short, corrupts
it, or holds it beyond the read timeout, on one bucket. The report must then hold ERROR for the
checks that depend on that read on that bucket, the baseline verdict for everything else, no FAIL,
exit code 3 and the verdict INCOMPLETE; the proxy's counters show how many attempts botocore made.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from governance.checks import metadata
from governance.cli import main
from governance.collect import clients as collect_clients
from governance.collect.clients import DEFAULT_WORKERS, MAX_ATTEMPTS, make_clients
from governance.collect.kms import PERMISSIONS as KMS_PERMISSIONS
from governance.collect.s3 import HEAD, READS, read
from governance.model import ExitCode, Report, Status
from governance.report import FORMATS, render
from governance.verify import verify
from lifecycle.loader import load_policy
from tests.reliability.conftest import REGION, bucket_name
from tests.reliability.faultproxy import Fault, FaultProxy, fault_proxy

pytestmark = pytest.mark.usefixtures("no_backoff")

FAULTED = bucket_name("quality")
"""The bucket whose reads the proxy breaks; the other buckets of the stack must come out unharmed."""

PERMISSION_OF: dict[str, str] = {
    **{row.source: row.permission for row in READS},
    HEAD.source: HEAD.permission,
    "DescribeKey": KMS_PERMISSIONS[0],
    "GetKeyRotationStatus": KMS_PERMISSIONS[1],
    "GetKeyPolicy": KMS_PERMISSIONS[2],
}
"""Every operation the collectors call -> the IAM permission the checks list for it."""

S3_OPERATIONS = [row.source for row in READS]
KMS_OPERATIONS = ["DescribeKey", "GetKeyRotationStatus", "GetKeyPolicy"]
BODY_OPERATIONS = [*S3_OPERATIONS, *KMS_OPERATIONS]
"""Operations whose answer has a body to cut or corrupt (HeadBucket answers with headers only)."""

NOT_FROM_THIS_READ = {
    ("DescribeKey", "RG-ENCRYPTION-DEFAULT"),
    *((op, "RG-ACCESS-LOGGING") for op in ("GetBucketLifecycleConfiguration", "GetBucketVersioning",
                                              "GetObjectLockConfiguration", "GetBucketTagging")),
}
"""(operation, check) pairs where the check lists the permission but not for this bucket's read:
with stack outputs naming the key's ARN, the encryption check compares the configured ARN and needs
no key description; the logging check reads lifecycle, versioning, lock and tags of the *log*
bucket (the fault on the log bucket itself is its own test)."""

ALSO_UNREADABLE = {"GetBucketEncryption": {"RG-KMS-KEY-ENABLED", "RG-KMS-KEY-ROTATION", "RG-KMS-KEY-POLICY"}}
"""The key is found through the encryption configuration: without it, its state, rotation and policy cannot be
asked."""


FAULTED_BUCKETS = (bucket_name("quality"), bucket_name("proof"), bucket_name("evaluations"))
"""Buckets faulted at once in one run, one read each: their checks never depend on each other."""


def rounds(operations: list[str]) -> list[list[str]]:
    """``operations`` in groups of three, one per faulted bucket."""
    return [operations[i:i + len(FAULTED_BUCKETS)] for i in range(0, len(operations), len(FAULTED_BUCKETS))]


ROUNDS = [*rounds([*S3_OPERATIONS, HEAD.source]), KMS_OPERATIONS]
BODY_ROUNDS = [*rounds(S3_OPERATIONS), KMS_OPERATIONS]


def run(proxy: FaultProxy, outputs: dict[str, Any]) -> Report:
    """One verify of the stack through the proxy."""
    return verify(None, load_policy(), outputs=outputs, endpoint_url=proxy.endpoint_url, region=REGION)


@pytest.fixture(scope="module")
def baseline(stack: dict[str, Any], emulator: Any) -> dict[tuple[str, str], Status]:
    """(check, bucket) -> status with no fault: every result passes on the deployed stack."""
    with fault_proxy(emulator.port) as proxy:
        report = run(proxy, stack)
    statuses = {(r.check, r.resource): r.status for r in report.results}
    assert statuses and set(statuses.values()) == {Status.PASS}, report.results
    return statuses


def expected_errors(operation: str, bucket: str, baseline: dict[tuple[str, str], Status]) -> set[tuple[str, str]]:
    """(check, bucket) results that need ``operation``'s answer about ``bucket``."""
    permission = PERMISSION_OF[operation]
    checks = {m.id for m in metadata() if permission in m.permissions and (operation, m.id) not in NOT_FROM_THIS_READ}
    checks |= ALSO_UNREADABLE.get(operation, set())
    return {(check, bucket) for check in checks} & set(baseline)


def assert_exactly_unreadable(report: Report, baseline: dict[tuple[str, str], Status],
                              errors: set[tuple[str, str]], reads: list[tuple[str, str]]) -> None:
    """ERROR for exactly ``errors``, PASS everywhere else, INCOMPLETE in every format; each failed
    (operation, bucket) read is named by its permission in an error on that bucket."""
    got = {(r.check, r.resource): r.status for r in report.results}
    assert set(got) == set(baseline), "a fault must not add or drop results"
    assert errors, "the fault must make something unreadable"
    assert {key for key, status in got.items() if status is Status.ERROR} == errors
    assert {status for key, status in got.items() if key not in errors} == {Status.PASS}
    # Each error names the read that failed, so an operator knows which permission or call to fix.
    for operation, bucket in reads:
        assert any(PERMISSION_OF[operation] in r.message for r in report.results
                   if r.status is Status.ERROR and r.resource == bucket), (operation, bucket)
    assert report.summary.exit_code is ExitCode.INCOMPLETE
    for fmt in FORMATS:
        assert "INCOMPLETE" in render(report, fmt), fmt
    assert json.loads(render(report, "json"))["verdict"] == "INCOMPLETE"


def fault_for(kind: str, operation: str, bucket: str, stack: dict[str, Any], **kwargs: Any) -> Fault:
    """A fault on ``operation`` for ``bucket``: by path for S3, by the key's ARN in the body for KMS."""
    if operation in KMS_OPERATIONS:
        purpose = next(p for p, name in stack["buckets"].items() if name == bucket)
        return Fault(kind, operation=operation, body_contains=stack["keyArns"][purpose], **kwargs)
    return Fault(kind, operation=operation, bucket=bucket, **kwargs)


def check_faults(kind: str, operations: list[str], stack: dict[str, Any], baseline: dict[tuple[str, str], Status],
                 emulator: Any, **kwargs: Any) -> list[Fault]:
    """Verify once with ``operations[i]`` broken on the i-th governed bucket (quality, proof,
    evaluations: the three fail independently); assert the outcome; return the faults' counters."""
    reads = list(zip(operations, FAULTED_BUCKETS, strict=False))
    faults = [fault_for(kind, op, bucket, stack, **kwargs) for op, bucket in reads]
    with fault_proxy(emulator.port, faults) as proxy:
        report = run(proxy, stack)
    errors = set().union(*(expected_errors(op, bucket, baseline) for op, bucket in reads))
    assert_exactly_unreadable(report, baseline, errors, reads)
    return faults


@pytest.mark.parametrize("operations", ROUNDS, ids="+".join)
def test_a_dropped_connection_is_retried_then_unreadable(
    operations: list[str], stack: dict[str, Any], baseline: dict[tuple[str, str], Status], emulator: Any
) -> None:
    faults = check_faults("drop", operations, stack, baseline, emulator)
    # Every attempt botocore allows, and not one more.
    assert [f.applied for f in faults] == [MAX_ATTEMPTS + 1] * len(faults)


@pytest.mark.parametrize("operations", ROUNDS, ids="+".join)
def test_throttling_is_retried_a_bounded_number_of_times_then_unreadable(
    operations: list[str], stack: dict[str, Any], baseline: dict[tuple[str, str], Status], emulator: Any
) -> None:
    """S3 answers 503 SlowDown, KMS ThrottlingException: both retried, nine attempts in all."""
    s3 = [op for op in operations if op not in KMS_OPERATIONS]
    kms = [op for op in operations if op in KMS_OPERATIONS]
    if s3 and kms:  # one kind per run: the KMS reads of this round go on the buckets after the S3 ones
        pytest.fail("a round mixes S3 and KMS reads; keep KMS operations in their own round")
    faults = check_faults("throttle" if kms else "slowdown", operations, stack, baseline, emulator)
    assert [f.applied for f in faults] == [MAX_ATTEMPTS + 1] * len(faults)


def test_throttling_that_clears_within_the_bound_is_a_pass(
    stack: dict[str, Any], baseline: dict[tuple[str, str], Status], emulator: Any
) -> None:
    """A burst shorter than the retry budget is ridden out: the read succeeds on the last attempt."""
    fault = Fault("slowdown", operation="GetBucketPolicy", bucket=FAULTED, times=MAX_ATTEMPTS)
    with fault_proxy(emulator.port, [fault]) as proxy:
        report = run(proxy, stack)
    assert fault.applied == MAX_ATTEMPTS and fault.seen == MAX_ATTEMPTS + 1
    assert {(r.check, r.resource): r.status for r in report.results} == baseline


@pytest.mark.parametrize("kind", ["corrupt", "truncate"])
@pytest.mark.parametrize("operations", BODY_ROUNDS, ids="+".join)
def test_a_malformed_or_truncated_answer_is_unreadable(
    kind: str, operations: list[str], stack: dict[str, Any], baseline: dict[tuple[str, str], Status],
    emulator: Any,
) -> None:
    faults = check_faults(kind, operations, stack, baseline, emulator)
    assert all(1 <= f.applied <= MAX_ATTEMPTS + 1 for f in faults)


@pytest.mark.parametrize("operation", [*S3_OPERATIONS, HEAD.source, *KMS_OPERATIONS])
def test_access_denied_on_each_read_is_unreadable_and_not_retried(
    operation: str, stack: dict[str, Any], baseline: dict[tuple[str, str], Status], emulator: Any
) -> None:
    """IAM refusing one read: ERROR for what needs it, named by its permission; a refusal is final,
    so botocore must not retry it. HEAD answers a refusal with a bare 403 and no body."""
    [fault] = check_faults("error", [operation], stack, baseline, emulator)
    assert fault.applied == 1


@pytest.mark.parametrize("row", READS, ids=lambda r: r.name)
def test_a_404_whose_code_cannot_be_read_is_unreadable_not_a_missing_bucket(row: Any) -> None:
    """Regression: a Get answering 404 with a garbled body came back with the bare code "404", which
    the collector took for NoSuchBucket, so an existing bucket was reported missing, a FAIL."""
    client = boto3.client("s3", region_name=REGION)
    stub = Stubber(client)
    stub.add_client_error(row.method, service_error_code="", http_status_code=404)
    with stub:
        observed = read(client, FAULTED, row)
    assert observed.is_unreadable and observed.reason.startswith("404")


@pytest.mark.parametrize("operation", ["GetBucketLifecycleConfiguration"])
def test_an_answer_slower_than_the_read_timeout_is_unreadable(
    operation: str, stack: dict[str, Any], baseline: dict[tuple[str, str], Status], emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The read timeout, not the server, decides how long a hung read may take."""
    monkeypatch.setattr(collect_clients, "READ_TIMEOUT", 0.25)
    started = time.monotonic()
    [fault] = check_faults("delay", [operation], stack, baseline, emulator, delay=0.6)
    elapsed = time.monotonic() - started
    assert fault.applied == MAX_ATTEMPTS + 1
    # Nine timed-out attempts of 0.25 s, and the rest of the run: far below nine 0.6 s delays.
    assert elapsed < (MAX_ATTEMPTS + 1) * 0.6


@pytest.mark.parametrize("operation", ["GetBucketLifecycleConfiguration", "GetBucketVersioning"])
def test_an_unreadable_log_bucket_setting_is_an_error_on_every_bucket_logging_there(
    operation: str, stack: dict[str, Any], baseline: dict[tuple[str, str], Status], emulator: Any
) -> None:
    """The logging check judges the log bucket's retention: when that cannot be read, every bucket
    that logs there is unverified (and the log bucket's own checks of that setting)."""
    logs = stack["buckets"]["access-logs"]
    with fault_proxy(emulator.port, [Fault("error", operation=operation, bucket=logs)]) as proxy:
        report = run(proxy, stack)
    permission = PERMISSION_OF[operation]
    own = {(m.id, logs) for m in metadata() if permission in m.permissions} & set(baseline)
    logging = {key for key in baseline if key[0] == "RG-ACCESS-LOGGING" and key[1] != logs}
    assert logging
    assert_exactly_unreadable(report, baseline, own | logging, [(operation, logs)])


def test_every_timeout_is_configured() -> None:
    config = make_clients(region=REGION, endpoint_url="http://127.0.0.1:9").s3.meta.config
    assert (config.connect_timeout, config.read_timeout) == (collect_clients.CONNECT_TIMEOUT,
                                                             collect_clients.READ_TIMEOUT)
    assert config.read_timeout < 60  # botocore's default would let one hung read hold a run for minutes


def write_outputs(stack: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(stack), encoding="utf-8")
    return path


def test_an_endpoint_that_stops_mid_run_gives_up_quickly_with_exit_3(
    stack: dict[str, Any], baseline: dict[tuple[str, str], Status], emulator: Any, tmp_path: Path
) -> None:
    """After 30 requests the proxy closes its socket: connections are refused from then on. What was
    read before is judged, everything after is ERROR, nothing passes that was not read."""
    outputs = write_outputs(stack, tmp_path)
    fault = Fault("refuse", skip=30, times=1)
    with fault_proxy(emulator.port, [fault]) as proxy:
        started = time.monotonic()
        result = CliRunner().invoke(main, ["verify", "--stack-outputs", str(outputs), "--endpoint-url",
                                           proxy.endpoint_url, "--region", REGION, "--format", "json"])
        elapsed = time.monotonic() - started
        served = sum(proxy.counts.values())
    assert result.exit_code == ExitCode.INCOMPLETE, result.output
    doc = json.loads(result.stdout)
    assert doc["verdict"] == "INCOMPLETE" and doc["summary"]["fail"] == 0
    assert doc["summary"]["pass"] > 0 and doc["summary"]["error"] > 0
    # Requests already accepted when it shut (at most one per collecting thread) are served; no
    # connection after that reaches it.
    assert 31 <= served <= 31 + DEFAULT_WORKERS
    unreadable = [r for r in doc["results"] if r["status"] == "error"]
    assert all("EndpointConnectionError" in r["message"] or "ConnectionClosedError" in r["message"]
               or "could not be read" in r["message"] for r in unreadable)
    assert elapsed < 30


def test_nothing_reachable_at_all_is_exit_3_and_no_pass(
    stack: dict[str, Any], tmp_path: Path
) -> None:
    """A dead endpoint from the first request: every result is an ERROR, the verdict INCOMPLETE."""
    with fault_proxy(1) as proxy:
        dead = proxy.endpoint_url
    outputs = write_outputs(stack, tmp_path)
    for fmt in FORMATS:
        result = CliRunner().invoke(main, ["verify", "--stack-outputs", str(outputs), "--endpoint-url", dead,
                                           "--region", REGION, "--format", fmt])
        assert result.exit_code == ExitCode.INCOMPLETE, (fmt, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "INCOMPLETE" in result.stdout and "Traceback" not in result.output
        if fmt == "json":
            doc = json.loads(result.stdout)
            assert doc["summary"]["pass"] == 0 and doc["summary"]["fail"] == 0 and doc["summary"]["error"] > 0


@pytest.mark.parametrize("kind", ["error", "slowdown", "drop"])
def test_discovery_that_cannot_list_the_buckets_exits_3(kind: str, stack: dict[str, Any], emulator: Any) -> None:
    """``--discover`` with ListBuckets refused, throttled or cut: nothing judged, exit 3, one sentence."""
    fault = Fault(kind, operation="ListBuckets")
    with fault_proxy(emulator.port, [fault]) as proxy:
        result = CliRunner().invoke(main, ["verify", "--discover", "--endpoint-url", proxy.endpoint_url,
                                           "--region", REGION])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == ExitCode.INCOMPLETE, result.output
    assert result.stdout == "" and result.stderr.startswith("error: cannot list the account's buckets")
    assert fault.applied == (1 if kind == "error" else MAX_ATTEMPTS + 1)


def test_discovery_with_one_unreadable_tag_set_reports_that_bucket_as_an_error(
    stack: dict[str, Any], baseline: dict[tuple[str, str], Status], emulator: Any
) -> None:
    """Discovery cannot tell whether a bucket whose tags it may not read is governed: that bucket is
    an ERROR (RG-PURPOSE-TAG, purpose unknown), the others are verified as usual."""
    with fault_proxy(emulator.port, [Fault("error", operation="GetBucketTagging", bucket=FAULTED)]) as proxy:
        result = CliRunner().invoke(main, ["verify", "--discover", "--endpoint-url", proxy.endpoint_url,
                                           "--region", REGION, "--format", "json"])
    assert result.exit_code == ExitCode.INCOMPLETE, result.output
    doc = json.loads(result.stdout)
    errors = [(r["check"], r["resource"], r["purpose"]) for r in doc["results"] if r["status"] == "error"]
    assert errors == [("RG-PURPOSE-TAG", FAULTED, "unknown")]
    assert doc["summary"]["fail"] == 0 and doc["verdict"] == "INCOMPLETE"
    judged = {r["resource"] for r in doc["results"] if r["status"] == "pass"}
    assert judged == {bucket for _, bucket in baseline} - {FAULTED}
