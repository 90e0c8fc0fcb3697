"""Read-only collection of deployed state into frozen snapshots, one per bucket.

Buckets are collected concurrently (a bounded thread pool); each bucket's reads run in order. The
tables of reads live in one module per AWS concern (:mod:`governance.collect.s3`,
:mod:`governance.collect.kms`).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from governance.collect.clients import DEFAULT_WORKERS, Clients, make_clients
from governance.collect.kms import read_keys
from governance.collect.observed import Observed, State
from governance.collect.s3 import BucketMissingError, read_all
from governance.collect.snapshot import BucketSnapshot

__all__ = [
    "DEFAULT_WORKERS",
    "BucketSnapshot",
    "Clients",
    "Observed",
    "State",
    "collect_bucket",
    "collect_buckets",
    "make_clients",
]


def collect_bucket(clients: Clients, bucket: str) -> BucketSnapshot:
    """Everything the checks need about one bucket."""
    try:
        settings = read_all(clients.s3, bucket)
    except BucketMissingError:
        return BucketSnapshot(name=bucket, missing=True)
    settings.update(read_keys(clients, settings["encryption"]))
    return BucketSnapshot(bucket, False, **settings)


def collect_buckets(
    clients: Clients, buckets: Iterable[str], max_workers: int = DEFAULT_WORKERS
) -> dict[str, BucketSnapshot]:
    """Snapshots of every bucket, keyed by name; ``max_workers=1`` collects one after another."""
    names = list(dict.fromkeys(buckets))
    if max_workers <= 1 or len(names) <= 1:
        return {name: collect_bucket(clients, name) for name in names}
    with ThreadPoolExecutor(max_workers=min(max_workers, len(names)), thread_name_prefix="recgov-collect") as pool:
        return dict(zip(names, pool.map(lambda n: collect_bucket(clients, n), names), strict=True))
