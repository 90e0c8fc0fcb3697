"""Measure what the fault tests only count: the real time verify takes to give up, with botocore's
own backoff and the real timeouts (the tests switch the waits off and shorten the read timeout).
Prints one line per scenario.

Run: ``.venv/bin/python -m tests.reliability.measure`` (about three minutes, most of it one read
held on every attempt; loopback only; every server it starts stops by itself). For 500 buckets under
throttling, see ``python -m bench.verify_load``.
"""

from __future__ import annotations

import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from governance.collect.clients import CONNECT_TIMEOUT, MAX_ATTEMPTS, READ_TIMEOUT
from governance.verify import verify
from lifecycle.loader import load_policy
from sandbox.appliers import physical_name
from sandbox.deploy import deploy
from sandbox.emulator import FAKE_CREDENTIALS, Emulator
from sandbox.program import PROJECT
from tests.reliability.faultproxy import Fault, fault_proxy

REGION = "eu-west-3"
PREFIX = "rg-measure"
STACK = "measure"
QUALITY = physical_name(PROJECT, STACK, f"{PREFIX}-quality")
"""The quality bucket the program deploys in this stack (the sandbox's fixed name), whose reads are broken."""


def timed_verify(endpoint: str, outputs: dict[str, Any]) -> tuple[float, Any]:
    """Seconds one verify of the stack takes, and its report."""
    started = time.monotonic()
    report = verify(None, load_policy(), outputs=outputs, endpoint_url=endpoint, region=REGION)
    return time.monotonic() - started, report


def throttled_read(port: int, outputs: dict[str, Any], kind: str, operation: str) -> str:
    """One read answered with throttling on every attempt: attempts made, and time to give up."""
    fault = Fault(kind, operation=operation, bucket=None if operation == "GetKeyRotationStatus" else
                  QUALITY, body_contains=outputs["keyArns"]["quality"]
                  if operation == "GetKeyRotationStatus" else None)
    with fault_proxy(port, [fault], lifetime=300) as proxy:
        seconds, report = timed_verify(proxy.endpoint_url, outputs)
    s = report.summary
    return (f"{operation} {kind} on every attempt: {fault.applied} attempts, verify gave up after {seconds:.1f} s "
            f"({s.passed} pass, {s.failed} fail, {s.errors} error)")


def held_read(port: int, outputs: dict[str, Any], times: int | None) -> str:
    """One read whose answer is held beyond the read timeout, on ``times`` attempts (every one when None)."""
    fault = Fault("delay", operation="GetBucketPolicy", bucket=QUALITY, delay=READ_TIMEOUT + 5,
                  times=times)
    with fault_proxy(port, [fault], lifetime=600) as proxy:
        seconds, report = timed_verify(proxy.endpoint_url, outputs)
    s = report.summary
    which = "every attempt" if times is None else f"{times} attempt"
    return (f"GetBucketPolicy answer held {fault.delay:g} s on {which} (read timeout {READ_TIMEOUT:g} s): "
            f"{fault.applied} attempt{'s' if fault.applied != 1 else ''} held, verify done after {seconds:.1f} s "
            f"({s.passed} pass, {s.failed} fail, {s.errors} error, exit {int(s.exit_code)})")


def main() -> None:
    """Run every scenario and print its figures."""
    os.environ.update(FAKE_CREDENTIALS)
    print(f"configuration: max_attempts={MAX_ATTEMPTS} retries, connect_timeout={CONNECT_TIMEOUT} s, "
          f"read_timeout={READ_TIMEOUT} s, adaptive mode")
    with Emulator() as emu:
        outputs = deploy(emu.endpoint_url, stack=STACK, config={"aws:region": REGION, "namePrefix": PREFIX}).outputs
        seconds, report = timed_verify(emu.endpoint_url, outputs)
        print(f"healthy: {len(report.results)} results in {seconds:.2f} s")
        # Each scenario has its own proxy and waits most of its time, so they run side by side.
        with ThreadPoolExecutor(max_workers=5) as pool:
            jobs = [pool.submit(throttled_read, emu.port, outputs, "slowdown", "GetBucketPolicy"),
                    pool.submit(throttled_read, emu.port, outputs, "slowdown", "GetBucketLifecycleConfiguration"),
                    pool.submit(throttled_read, emu.port, outputs, "throttle", "GetKeyRotationStatus"),
                    pool.submit(held_read, emu.port, outputs, None),
                    pool.submit(held_read, emu.port, outputs, 1)]
            for job in jobs:
                print(job.result())
        with fault_proxy(emu.port, [Fault("drop", operation="GetBucketTagging", bucket=QUALITY)],
                         lifetime=300) as proxy:
            seconds, report = timed_verify(proxy.endpoint_url, outputs)
            print(f"connection dropped on every attempt of one read: {proxy.faults[0].applied} attempts, "
                  f"verify done in {seconds:.1f} s ({report.summary.errors} error)")
        with fault_proxy(emu.port, [Fault("refuse", skip=30, times=1)], lifetime=300) as proxy:
            seconds, report = timed_verify(proxy.endpoint_url, outputs)
            s = report.summary
            print(f"endpoint refusing connections after 30 requests: gave up in {seconds:.1f} s "
                  f"({s.passed} pass, {s.failed} fail, {s.errors} error, exit {int(s.exit_code)})")
        with socket.socket() as sock:  # a port nothing listens on
            sock.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
        seconds, report = timed_verify(dead, outputs)
        s = report.summary
        print(f"endpoint dead from the start: gave up in {seconds:.1f} s "
              f"({s.passed} pass, {s.failed} fail, {s.errors} error, exit {int(s.exit_code)})")


if __name__ == "__main__":
    main()
