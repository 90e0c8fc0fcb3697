"""Benchmark: verify 50, 200 and 500 governed buckets on the emulator, concurrent versus sequential
collection, with and without a simulated network round trip, beside Cloud Custodian evaluating
equivalent filters on the same buckets.

Run: ``python -m bench.verify_buckets`` (or ``make bench``); ``--sizes 500 --custodian-max 0`` for the
500-bucket figures alone. Not a test: figures vary with the machine, so each is printed beside a
baseline measured in the same run, with the load average before and after.

Everything runs against a moto server on 127.0.0.1 held by this process. Each verify runs in a child
process of its own (:mod:`bench.verify_run`), so that its peak resident memory (``ru_maxrss``) is
measured, and so that verify and the emulator do not share one interpreter lock, as verify and S3
never do. With the simulated round trip, verify reaches the emulator through a keep-alive front
(the fault proxy without a fault): the emulator closes every connection, S3 does not, and each new
connection costs round trips of its own. Cloud Custodian is installed into its own virtualenv
(``bench/.c7n-venv``) on first use, so its dependencies never touch the project's. For collection
workers and throttling at 500 buckets, see :mod:`bench.verify_load`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import boto3

from bench.fleet import provision
from bench.verify_run import Job, Run, run_verify
from governance.collect import DEFAULT_WORKERS
from governance.targets import Target
from lifecycle.legal import Purpose
from lifecycle.loader import load_policy
from sandbox.emulator import FAKE_CREDENTIALS, Emulator
from tests.reliability.faultproxy import fault_proxy

C7N_VERSION = "0.9.53"
C7N_VENV = Path(__file__).resolve().parent / ".c7n-venv"
SIZES = (50, 200, 500)
CUSTODIAN_MAX = 200
"""Custodian runs on fleets up to this size by default: at 500 buckets it alone takes minutes."""
PURPOSES = (Purpose.QUALITY, Purpose.PROOF, Purpose.EVALUATIONS)

# The same four concerns verify judges, in Custodian's vocabulary: each policy matches violators.
CUSTODIAN_POLICY = """\
policies:
  - name: lifecycle-unbounded
    resource: aws.s3
    filters:
      - or:
          - type: value
            key: Lifecycle
            value: absent
          - type: value
            key: "Lifecycle.Rules[?Status=='Enabled'].NoncurrentVersionExpiration.NoncurrentDays"
            value: empty
          - type: value
            key: "max(Lifecycle.Rules[?Status=='Enabled'].Expiration.Days || `[0]`)"
            op: gt
            value: 1825
  - name: object-lock-missing
    resource: aws.s3
    filters:
      # A bucket without a lock configuration never matches a lock-configuration filter itself.
      - not:
          - type: lock-configuration
            key: Rule.DefaultRetention.Mode
            value: present
  - name: encryption-not-kms
    resource: aws.s3
    filters:
      - or:
          - type: bucket-encryption
            state: false
            crypto: aws:kms
          - type: bucket-encryption
            bucket_key_enabled: false
  - name: public-access-not-blocked
    resource: aws.s3
    filters:
      - type: check-public-block
"""


COUNT_LINE = re.compile(r" policy:([\w-]+) resource:.* count:(\d+)")
EXPECTED_MATCHES = {"lifecycle-unbounded": 0, "object-lock-missing": 1, "encryption-not-kms": 1,
                    "public-access-not-blocked": 0}
SIMULATED_RTT_MS = 20
"""A round trip to S3 from the same region is of this order; the emulator answers in well under 1 ms,
so without it concurrency can only show the cost of the CPU."""
FRONT_LIFETIME = 24 * 3600.0
"""The keep-alive front lives as long as the benchmark (the proxy's own default is a test's minute)."""


@dataclass(frozen=True)
class Row:
    """One fleet size's runs."""

    buckets: int
    concurrent: Run
    sequential: Run
    concurrent_rtt: Run
    sequential_rtt: Run
    custodian: float | None
    custodian_note: str


def ensure_custodian() -> Path:
    """The ``custodian`` executable of the benchmark's own virtualenv, installed on first use."""
    exe = C7N_VENV / "bin" / "custodian"
    if not exe.exists():
        print(f"installing c7n=={C7N_VERSION} into {C7N_VENV} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(C7N_VENV)
        subprocess.run([str(C7N_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        f"c7n=={C7N_VERSION}"], check=True)
    return exe


def build_fleet(endpoint: str, region: str, size: int) -> list[Target]:
    """``size`` governed buckets (purposes in turn) plus their access-logs bucket, on the emulator."""
    session = boto3.session.Session(region_name=region)
    s3 = session.client("s3", endpoint_url=endpoint)
    kms = session.client("kms", endpoint_url=endpoint)
    policy = load_policy()
    prefix = f"bench{size}"
    logs = provision(s3, kms, policy, f"{prefix}-access-logs", Purpose.ACCESS_LOGS, region=region, prefix=prefix,
                     log_bucket=None)
    targets = [Target(logs.name, Purpose.ACCESS_LOGS)]
    for i in range(size - 1):
        purpose = PURPOSES[i % len(PURPOSES)]
        name = f"{prefix}-{i:03d}-{purpose}"
        provision(s3, kms, policy, name, purpose, region=region, prefix=prefix, log_bucket=logs.name)
        targets.append(Target(name, purpose))
    return targets


def job(targets: Sequence[Target], endpoint: str, region: str, workers: int, rtt_ms: int = 0) -> Job:
    """A verify run of ``targets``; ``rtt_ms`` delays every request by a simulated network round trip."""
    return Job(endpoint, region, tuple((t.bucket, str(t.purpose)) for t in targets), workers, rtt_ms)


def healthy(run: Run, label: str) -> Run:
    """``run``, once it is known to have judged every bucket without an error (else the figure is void)."""
    if run.returncode not in (0, 1) or run.errors or run.unjudged:
        raise SystemExit(f"{label}: exit {run.returncode}, {run.errors} errors, {run.unjudged} buckets not judged")
    print(f"  {label}: {run.seconds:.2f} s, peak {run.peak_mb:.0f} MB, {run.requests} requests", file=sys.stderr)
    return run


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def time_custodian(exe: Path, endpoint: str, region: str, size: int) -> tuple[float | None, str]:
    """Wall time of ``custodian run`` over the four policies, and how many buckets it evaluated."""
    with tempfile.TemporaryDirectory(prefix="recgov-c7n-") as tmp:
        policy = Path(tmp) / "policy.yml"
        policy.write_text(CUSTODIAN_POLICY, encoding="utf-8")
        env = {**os.environ, **FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": region,
               "AWS_REGION": region}
        cmd = [str(exe), "run", "--cache-period", "0", "-s", str(Path(tmp) / "out"), "--region", region, str(policy)]
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            return None, f"custodian exited {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
        counts = [line for line in done.stderr.splitlines() if "count:" in line]
        matched = {m.group(1): int(m.group(2)) for m in map(COUNT_LINE.search, counts) if m}
        # Only the access-logs bucket lacks a lock and SSE-KMS: the same verdicts verify reaches.
        if matched != EXPECTED_MATCHES:
            return elapsed, f"unexpected matches {matched}, expected {EXPECTED_MATCHES}"
        return elapsed, "4 policies; matches as expected (access-logs bucket: no lock, SSE-S3)"


def main(argv: Sequence[str] | None = None) -> int:
    """Build each fleet, time the four verify runs and Custodian, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.verify_buckets", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="fleet sizes (buckets)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="collection workers, concurrent runs")
    parser.add_argument("--rtt-ms", type=int, default=SIMULATED_RTT_MS,
                        help="simulated round trip per request for the second pair of runs")
    parser.add_argument("--no-custodian", action="store_true", help="skip Cloud Custodian")
    parser.add_argument("--custodian-max", type=int, default=CUSTODIAN_MAX, metavar="N",
                        help="run Custodian only on fleets of at most N buckets")
    args = parser.parse_args(argv)
    os.environ.update(FAKE_CREDENTIALS)  # the emulator accepts any key; never a real account
    wants_custodian = not args.no_custodian and any(size <= args.custodian_max for size in args.sizes)
    exe = ensure_custodian() if wants_custodian else None
    rows: list[Row] = []
    before = load_average()
    with Emulator() as emu, fault_proxy(emu.port, lifetime=FRONT_LIFETIME, keep_alive=True) as front:
        for size in args.sizes:
            emu.reset()
            started = time.perf_counter()
            targets = build_fleet(emu.endpoint_url, emu.region, size)
            print(f"{size} buckets provisioned in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            at = (emu.endpoint_url, emu.region)
            run_verify(job(targets[:3], *at, args.workers))  # warm the emulator's caches
            rtt = args.rtt_ms
            concurrent = healthy(run_verify(job(targets, *at, args.workers)), f"{args.workers} workers")
            sequential = healthy(run_verify(job(targets, *at, 1)), "sequential")
            far = (front.endpoint_url, emu.region)
            concurrent_rtt = healthy(run_verify(job(targets, *far, args.workers, rtt)), f"{args.workers} workers, RTT")
            sequential_rtt = healthy(run_verify(job(targets, *far, 1, rtt)), "sequential, RTT")
            if exe is None or size > args.custodian_max:
                c7n, note = None, "skipped" if exe is None else f"skipped above {args.custodian_max} buckets"
            else:
                c7n, note = time_custodian(exe, emu.endpoint_url, emu.region, size)
            rows.append(Row(size, concurrent, sequential, concurrent_rtt, sequential_rtt, c7n, note))
    print(f"load average before: {before}; after: {load_average()} (cores: {os.cpu_count()})")
    print(render(rows, args.workers, args.rtt_ms))
    return 0


def render(rows: Sequence[Row], workers: int, rtt_ms: int) -> str:
    """The results as a Markdown table (verify's seconds are collection, checks and a JSON report)."""
    lines = [
        f"| buckets | verify, {workers} workers (s) | verify, sequential (s) | speed-up | "
        f"with {rtt_ms} ms RTT: {workers} workers (s) | sequential (s) | speed-up | "
        f"peak memory, {workers} workers / sequential (MB) | "
        "Cloud Custodian (s) | Custodian / verify | Custodian check |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        c7n = f"{r.custodian:.2f}" if r.custodian is not None else "-"
        ratio = f"{r.custodian / r.concurrent.seconds:.1f}x" if r.custodian is not None else "-"
        lines.append(
            f"| {r.buckets} | {r.concurrent.seconds:.2f} | {r.sequential.seconds:.2f} | "
            f"{r.sequential.seconds / r.concurrent.seconds:.1f}x | "
            f"{r.concurrent_rtt.seconds:.2f} | {r.sequential_rtt.seconds:.2f} | "
            f"{r.sequential_rtt.seconds / r.concurrent_rtt.seconds:.1f}x | "
            f"{r.concurrent.peak_mb:.0f} / {r.sequential.peak_mb:.0f} | "
            f"{c7n} | {ratio} | {r.custodian_note} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
