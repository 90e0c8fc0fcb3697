"""One verify run in a process of its own, so that its time and peak memory are its own.

    python -m bench.verify_run JOB.json

``JOB.json`` names the endpoint, region, targets (``[[bucket, purpose], ...]``), collection workers,
a simulated round trip (per request, and per new connection for its handshakes), whether S3 is
addressed with one host name per bucket as on AWS, and optionally a connection pool size or a retry
mode other than the ones collection configures (to show what an undersized pool does, or another
mode would). The run collects, judges and renders the report as JSON (discarded), as ``recgov
verify --format json`` does, then prints one JSON line of figures. The benchmarks start it through
:mod:`bench.peak`, which measures its peak RSS; the emulator and any fault proxy stay in the
benchmark's process, as a remote S3 would be elsewhere.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.peak import measure
from sandbox.emulator import FAKE_CREDENTIALS

POOL_FULL = "Connection pool is full"
"""The start of urllib3's warning when a connection is returned to a pool that has no room for it: the
connection is closed, and the next request opens a new one."""

CONNECT_RTTS = 2
"""Round trips a new connection costs before its first request, in the simulated network: TCP's
handshake and TLS 1.3's (S3 and KMS endpoints are HTTPS; TLS 1.2 would cost one more)."""

THROTTLE_CODES = frozenset({"SlowDown", "ThrottlingException", "Throttling", "RequestLimitExceeded"})


@dataclass(frozen=True)
class Job:
    """What one run verifies, and how."""

    endpoint_url: str
    region: str
    targets: tuple[tuple[str, str], ...]
    workers: int
    rtt_ms: int = 0
    """Simulated round trip: each request waits this long before it is sent, each new connection
    ``CONNECT_RTTS`` times as long."""
    virtual_hosts: bool = False
    """Address S3 as AWS does, one host name per bucket (``BUCKET.localhost``, resolved to loopback
    here), instead of the emulator's one host for every bucket."""
    pool: int | None = None
    """``max_pool_connections`` instead of the one collection sets; None keeps collection's own."""
    retry_mode: str | None = None
    """botocore's retry mode instead of collection's (same ``max_attempts``); None keeps collection's."""


@dataclass(frozen=True)
class Run:
    """One run's figures: ``seconds`` is verify plus rendering, ``wall`` the whole process (interpreter
    start and imports included), ``peak_mb`` its peak RSS, ``cpu_seconds`` its CPU time; ``requests``
    counts every attempt, ``connections`` every connection opened, ``failed_attempts`` the failed
    attempts by reason."""

    seconds: float
    wall: float
    peak_mb: float
    cpu_seconds: float
    results: int
    passed: int
    failed: int
    errors: int
    exit_code: int
    unjudged: int
    requests: int
    connections: int
    pool_full: int
    failed_attempts: dict[str, int]
    retry_mode: str
    returncode: int


class _Counter(logging.Handler):
    """Counts urllib3's "Connection pool is full" warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(POOL_FULL):
            self.count += 1


def _resolve_bucket_hosts_to_loopback() -> None:
    """``*.localhost`` (and ``localhost``) resolve to 127.0.0.1, IPv4, without asking any resolver."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, family: int = 0, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and (host == "localhost" or host.endswith(".localhost")):
            return real("127.0.0.1", port, socket.AF_INET, *args, **kwargs)
        return real(host, port, family, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def _failure(kwargs: dict[str, Any]) -> str | None:
    """Why an attempt failed in a way botocore retries (an exception, 5xx, 429 or a throttle), or None."""
    if kwargs.get("caught_exception") is not None:
        return type(kwargs["caught_exception"]).__name__
    response = kwargs.get("response")
    if not response:
        return None
    http, parsed = response
    code = str((parsed or {}).get("Error", {}).get("Code", ""))
    if http.status_code >= 500 or http.status_code == 429 or code in THROTTLE_CODES:
        return code or str(http.status_code)
    return None


def run_job(job: Job) -> dict[str, Any]:
    """Verify the job's targets in this process and return the figures (the child's side)."""
    import boto3
    import urllib3.connection
    from botocore.config import Config

    from governance.collect import Clients, make_clients
    from governance.collect.clients import MAX_ATTEMPTS
    from governance.report import render
    from governance.targets import Target
    from governance.verify import verify
    from lifecycle.legal import Purpose
    from lifecycle.loader import load_policy

    pool_full = _Counter()
    logging.getLogger("urllib3.connectionpool").addHandler(pool_full)
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def before_send(**_kwargs: Any) -> None:
        with lock:
            counts["requests"] += 1
        if job.rtt_ms:
            # The request leaves this thread after one round trip, as it would over a network; the
            # sleep releases the GIL, as waiting on a socket does.
            time.sleep(job.rtt_ms / 1000)

    def needs_retry(**kwargs: Any) -> None:
        reason = _failure(kwargs)
        if reason is not None:
            with lock:
                counts[f"failed:{reason}"] += 1

    real_connect = urllib3.connection.HTTPConnection.connect

    def connect(self: Any) -> None:
        with lock:
            counts["connections"] += 1
        if job.rtt_ms:
            time.sleep(CONNECT_RTTS * job.rtt_ms / 1000)
        real_connect(self)

    urllib3.connection.HTTPConnection.connect = connect  # type: ignore[method-assign]
    endpoint = job.endpoint_url
    if job.virtual_hosts:
        _resolve_bucket_hosts_to_loopback()
        endpoint = endpoint.replace("127.0.0.1", "localhost")
    session = boto3.session.Session(region_name=job.region)
    # Handlers registered on the session reach every client made from it, KMS in any region included.
    session.events.register("before-send", before_send)
    session.events.register("needs-retry", needs_retry)
    clients = make_clients(endpoint_url=endpoint, region=job.region, session=session, max_workers=job.workers)
    if job.pool is not None or job.retry_mode is not None or job.virtual_hosts:
        config = clients.config
        if job.pool is not None:
            config = config.merge(Config(max_pool_connections=job.pool))
        if job.retry_mode is not None:
            retries: Any = {"mode": job.retry_mode, "max_attempts": MAX_ATTEMPTS}
            config = config.merge(Config(retries=retries))
        if job.virtual_hosts:
            config = config.merge(Config(s3={"addressing_style": "virtual"}))
        s3 = session.client("s3", region_name=job.region, endpoint_url=endpoint, config=config)
        clients = Clients(s3=s3, kms_session=session, region=job.region, endpoint_url=endpoint, config=config)
    targets = [Target(bucket, Purpose(purpose)) for bucket, purpose in job.targets]
    policy = load_policy()
    start = time.perf_counter()
    report = verify(targets, policy, clients=clients, max_workers=job.workers)
    render(report, "json")
    seconds = time.perf_counter() - start
    s = report.summary
    judged = {r.resource for r in report.results}
    return {"seconds": seconds, "results": len(report.results), "passed": s.passed, "failed": s.failed,
            "errors": s.errors, "exit_code": int(s.exit_code),
            "unjudged": sum(1 for t in targets if t.bucket not in judged),
            "requests": counts["requests"], "connections": counts["connections"], "pool_full": pool_full.count,
            "failed_attempts": {k.removeprefix("failed:"): v for k, v in sorted(counts.items())
                                if k.startswith("failed:")},
            "retry_mode": str((getattr(clients.config, "retries", None) or {}).get("mode"))}


def run_verify(job: Job) -> Run:
    """Run ``job`` in a child process under :mod:`bench.peak` (the benchmark's side)."""
    with tempfile.TemporaryDirectory(prefix="recgov-bench-") as tmp:
        path = Path(tmp) / "job.json"
        path.write_text(json.dumps(asdict(job)), encoding="utf-8")
        env = {**os.environ, **FAKE_CREDENTIALS}  # the emulator accepts any key; never a real account
        done = measure([sys.executable, "-m", "bench.verify_run", str(path)], env=env)
    try:
        figures = json.loads(done.stdout.rstrip("\n").rsplit("\n", 1)[-1])
    except ValueError:
        raise RuntimeError(f"verify run failed ({done.returncode}): {done.stderr.strip()[-2000:]}") from None
    return Run(wall=done.seconds, peak_mb=done.peak_mb, cpu_seconds=done.cpu_seconds, returncode=done.returncode,
               **figures)


def main(argv: Sequence[str] | None = None) -> int:
    """Child entry point: read the job, run it, print the figures."""
    args = list(sys.argv[1:] if argv is None else argv)
    raw = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    job = Job(**{**raw, "targets": tuple(tuple(t) for t in raw["targets"])})
    print(json.dumps(run_job(job)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
