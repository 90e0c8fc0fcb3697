"""Load: verify a fleet of 500 governed buckets with several collection worker counts, and under throttling.

Run: ``python -m bench.verify_load`` (about 45 minutes on 2 cores; ``--help`` for the knobs). Not a
test: figures vary with the machine, so each is printed beside a baseline measured in the same run
(sequential collection; verify through the fault proxy without a fault), with the load average.

1. Workers: verify with each worker count against sequential collection, on the bare emulator, then
   with a simulated round trip (a sleep before each request is sent and, twice as long, before each
   new connection: TCP and TLS handshakes; :mod:`bench.verify_run`) through a keep-alive front (the
   emulator closes every connection; S3 does not), first with every bucket behind one host name, then
   with one host name per bucket, as S3's virtual-hosted addressing has on AWS (botocore keeps
   connection pools for at most 10 hosts). Every run counts the connections it opened and urllib3's
   "Connection pool is full" warnings; one more run gives 64 workers botocore's default pool of 10
   connections, to show what an undersized pool does.
2. Throttling: verify with the default worker count through the fault-injecting proxy
   (``tests/reliability/faultproxy.py``), with no fault, then with a fraction of requests answered
   ``503 SlowDown`` (S3) or ``ThrottlingException`` (KMS) at random, then with every request so
   answered for a burst of seconds, then with every request beyond a rate so answered (as S3
   throttles). botocore's real backoff applies, in collection's retry mode (adaptive: it also
   slows the client after a throttle) and, for comparison, in standard mode (backoff alone). A
   ``HeadBucket`` answer has no body, so its 503 carries no ``SlowDown`` code: botocore retries it as
   any server error (50 ms backoff base, 14 retry-quota tokens a retry instead of 5).

Each verify runs in a child process of its own, which reports its time and peak RSS; the emulator and
the proxy stay in this process, as S3 would be elsewhere.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bench.verify_buckets import FRONT_LIFETIME, SIMULATED_RTT_MS, build_fleet, job, load_average
from bench.verify_run import Run, run_verify
from governance.collect import DEFAULT_WORKERS
from governance.collect.clients import MAX_ATTEMPTS
from governance.targets import Target
from sandbox.emulator import FAKE_CREDENTIALS, Emulator
from tests.reliability.faultproxy import Fault, fault_proxy

BUCKETS = 500
WORKERS = (1, 4, 8, 16, 32, 64)
BOTOCORE_DEFAULT_POOL = 10
THROTTLE_RATE = 0.05
BURST_AFTER = 2.0
BURST_FOR = 10.0
THROTTLE_LIMIT = 100.0
SCENARIOS = ("random", "burst", "limit")
MODES = ("adaptive", "standard")


@dataclass(frozen=True)
class Sweep:
    """One worker count's runs: bare, with the simulated round trip, and with it one host per bucket."""

    workers: int
    bare: Run
    rtt: Run
    hosts: Run


@dataclass(frozen=True)
class Throttled:
    """One throttling scenario's run and the answers the proxy replaced."""

    label: str
    run: Run
    throttled: int


def note(text: str) -> None:
    """Progress on standard error: the runs take minutes."""
    print(text, file=sys.stderr, flush=True)


def describe(run: Run) -> str:
    """One run on one line, for the progress log."""
    failures = ", ".join(f"{k} {v}" for k, v in run.failed_attempts.items()) or "none"
    return (f"{run.seconds:.2f} s, peak {run.peak_mb:.0f} MB, CPU {run.cpu_seconds:.1f} s, {run.requests} requests, "
            f"{run.connections} connections, {run.passed} pass / {run.failed} fail / {run.errors} error, "
            f"exit {run.exit_code}, {run.pool_full} pool-full warnings, failed attempts: {failures}")


def sweep(targets: Sequence[Target], endpoint: str, front: str, region: str, workers: Sequence[int],
          rtt_ms: int) -> list[Sweep]:
    """Each worker count on the bare emulator, then with the simulated round trip through the
    keep-alive ``front``, all buckets behind one host name and then one per bucket."""
    rows = []
    for n in workers:
        bare = run_verify(job(targets, endpoint, region, n))
        note(f"  {n} workers: {describe(bare)}")
        rtt = run_verify(job(targets, front, region, n, rtt_ms))
        note(f"  {n} workers, {rtt_ms} ms RTT: {describe(rtt)}")
        hosts = run_verify(replace(job(targets, front, region, n, rtt_ms), virtual_hosts=True))
        note(f"  {n} workers, {rtt_ms} ms RTT, one host per bucket: {describe(hosts)}")
        rows.append(Sweep(n, bare, rtt, hosts))
    return rows


def scenarios(names: Sequence[str], rate: float, burst_after: float, burst_for: float,
              limit: float) -> list[tuple[str, list[Fault]]]:
    """The throttling scenarios asked for, each a label and fresh faults (a fault keeps count)."""
    table: dict[str, tuple[str, list[Fault]]] = {
        "none": ("through the proxy, no fault (baseline)", []),
        "random": (f"{rate:.0%} of requests throttled at random",
                   [Fault("slowdown", service="s3", rate=rate, seed=1),
                    Fault("throttle", service="kms", rate=rate, seed=2)]),
        # A burst's window opens at its first matching request; the first KMS call follows the first
        # S3 read by milliseconds, so the two windows are as good as one.
        "burst": (f"every request throttled for {burst_for:g} s, from {burst_after:g} s in",
                  [Fault("slowdown", service="s3", after=burst_after, lasting=burst_for),
                   Fault("throttle", service="kms", after=burst_after, lasting=burst_for)]),
        "limit": (f"requests beyond {limit:g} a second throttled (each service)",
                  [Fault("slowdown", service="s3", per_second=limit),
                   Fault("throttle", service="kms", per_second=limit)]),
    }
    return [table[name] for name in names]


def throttling(targets: Sequence[Target], upstream_port: int, region: str, workers: int, modes: Sequence[str],
               names: Sequence[str], rate: float, burst_after: float, burst_for: float,
               limit: float) -> list[Throttled]:
    """Verify through the proxy in each retry mode and scenario (no fault first, as the baseline)."""
    rows = []
    for mode in modes:
        for label, faults in scenarios(["none", *names], rate, burst_after, burst_for, limit):
            with fault_proxy(upstream_port, faults, lifetime=3600) as proxy:
                run = run_verify(replace(job(targets, proxy.endpoint_url, region, workers), retry_mode=mode))
            throttled = sum(f.applied for f in faults)
            note(f"  {mode}, {label}: {describe(run)}; {throttled} answers throttled")
            rows.append(Throttled(label, run, throttled))
    return rows


def cpu_ms(run: Run) -> float:
    """The verify process's CPU time per request, in ms (its start-up, about a second, spread over them)."""
    return 1000 * run.cpu_seconds / max(1, run.requests)


def render_sweep(rows: Sequence[Sweep], rtt_ms: int) -> str:
    """Worker counts as a Markdown table, each ratio against the sequential run of the same column."""
    base = next((r for r in rows if r.workers == 1), rows[0])
    lines = [f"| workers | bare emulator (s) | speed-up | {rtt_ms} ms RTT, one host (s) | speed-up | connections | "
             f"{rtt_ms} ms RTT, one host per bucket (s) | speed-up | connections | "
             "verify CPU per request, one host / per bucket (ms) | peak memory (MB) | pool-full warnings |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        runs = (r.bare, r.rtt, r.hosts)
        lines.append(f"| {r.workers} | {r.bare.seconds:.2f} | {base.bare.seconds / r.bare.seconds:.1f}x | "
                     f"{r.rtt.seconds:.2f} | {base.rtt.seconds / r.rtt.seconds:.1f}x | {r.rtt.connections} | "
                     f"{r.hosts.seconds:.2f} | {base.hosts.seconds / r.hosts.seconds:.1f}x | {r.hosts.connections} | "
                     f"{cpu_ms(r.rtt):.2f} / {cpu_ms(r.hosts):.2f} | "
                     f"{max(x.peak_mb for x in runs):.0f} | {sum(x.pool_full for x in runs)} |")
    return "\n".join(lines)


def render_throttling(rows: Sequence[Throttled], workers: int) -> str:
    """Throttling scenarios as a Markdown table, each against the no-fault run of its retry mode."""
    base = {t.run.retry_mode: t.run.seconds for t in rows if not t.throttled and "no fault" in t.label}
    lines = [f"| {workers} workers, through the proxy | retry mode | verify (s) | x no fault | answers throttled | "
             "requests | pass / fail / error | exit | peak memory (MB) |",
             "|---|---|---:|---:|---:|---:|---|---:|---:|"]
    for t in rows:
        r = t.run
        ratio = f"{r.seconds / base[r.retry_mode]:.2f}x" if r.retry_mode in base else "-"
        lines.append(f"| {t.label} | {r.retry_mode} | {r.seconds:.2f} | {ratio} | {t.throttled} | {r.requests} | "
                     f"{r.passed} / {r.failed} / {r.errors} | {r.exit_code} | {r.peak_mb:.0f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the fleet, run the worker sweep and the throttling scenarios, print both tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.verify_load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buckets", type=int, default=BUCKETS, help="fleet size")
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKERS),
                        help="worker counts to compare (1 is the baseline and is always run)")
    parser.add_argument("--rtt-ms", type=int, default=SIMULATED_RTT_MS, help="simulated round trip per request")
    parser.add_argument("--throttle-workers", type=int, default=DEFAULT_WORKERS,
                        help="workers for the throttling runs (collection's default)")
    parser.add_argument("--rate", type=float, default=THROTTLE_RATE, help="fraction of requests throttled at random")
    parser.add_argument("--burst-after", type=float, default=BURST_AFTER, help="seconds before the burst begins")
    parser.add_argument("--burst-for", type=float, default=BURST_FOR, help="seconds the burst lasts")
    parser.add_argument("--limit", type=float, default=THROTTLE_LIMIT,
                        help="requests a second each service answers before throttling ('limit' scenario)")
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS),
                        help="throttling scenarios (a run without a fault always comes first)")
    parser.add_argument("--modes", nargs="+", choices=("adaptive", "standard", "legacy"), default=list(MODES),
                        help="botocore retry modes to compare (collection's own is adaptive)")
    parser.add_argument("--skip-sweep", action="store_true", help="throttling runs only")
    parser.add_argument("--skip-throttling", action="store_true", help="worker sweep only")
    args = parser.parse_args(argv)
    os.environ.update(FAKE_CREDENTIALS)  # the emulator accepts any key; never a real account
    workers = sorted({1, *args.workers})
    before = load_average()
    with Emulator() as emu, fault_proxy(emu.port, lifetime=FRONT_LIFETIME, keep_alive=True) as front:
        started = time.perf_counter()
        targets = build_fleet(emu.endpoint_url, emu.region, args.buckets)
        note(f"{args.buckets} buckets provisioned in {time.perf_counter() - started:.0f} s; load average {before}")
        at = (emu.endpoint_url, emu.region)
        run_verify(job(targets[:3], *at, DEFAULT_WORKERS))  # warm the emulator's caches
        tables = []
        if not args.skip_sweep:
            rows = sweep(targets, emu.endpoint_url, front.endpoint_url, emu.region, workers, args.rtt_ms)
            top = max(workers)
            small = run_verify(replace(job(targets, *at, top), pool=BOTOCORE_DEFAULT_POOL))
            note(f"  {top} workers, pool of {BOTOCORE_DEFAULT_POOL}: {describe(small)}")
            tables.append(f"Workers, {args.buckets} buckets (default {DEFAULT_WORKERS}):\n\n"
                          + render_sweep(rows, args.rtt_ms)
                          + f"\n\n{top} workers with botocore's default pool of {BOTOCORE_DEFAULT_POOL} connections: "
                          f"{small.seconds:.2f} s, {small.pool_full} pool-full warnings (bare emulator).")
        if not args.skip_throttling:
            throttled = throttling(targets, emu.port, emu.region, args.throttle_workers, args.modes,
                                   args.scenarios, args.rate, args.burst_after, args.burst_for, args.limit)
            tables.append(f"Throttling, {args.buckets} buckets, max_attempts {MAX_ATTEMPTS}:\n\n"
                          + render_throttling(throttled, args.throttle_workers))
    print(f"load average before: {before}; after: {load_average()} (cores: {os.cpu_count()})\n")
    print("\n\n".join(tables))
    return 0


if __name__ == "__main__":
    sys.exit(main())
