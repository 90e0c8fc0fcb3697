"""Find governed buckets by their purpose tag (``recgov:purpose``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from governance.collect.clients import DEFAULT_WORKERS, Clients
from governance.collect.observed import redact
from governance.collect.s3 import READS, BucketMissingError, read
from lifecycle.legal import Purpose
from lifecycle.render import TAG_PURPOSE

PERMISSIONS = ("s3:ListAllMyBuckets", "s3:GetBucketTagging")
_TAGS = next(r for r in READS if r.name == "tags")


class DiscoveryError(Exception):
    """The account's buckets could not be listed."""


@dataclass(frozen=True)
class Discovery:
    """Buckets tagged with a known purpose, and those whose tags could not be read."""

    found: dict[str, Purpose]
    unreadable: dict[str, str]


def _purpose_of(clients: Clients, bucket: str) -> tuple[str, Purpose | None, str | None]:
    try:
        tags = read(clients.s3, bucket, _TAGS)
    except BucketMissingError:  # deleted between the listing and now
        return bucket, None, None
    if tags.is_unreadable:
        return bucket, None, tags.reason
    value = tags.value.get(TAG_PURPOSE) if tags.is_present else None
    try:
        return bucket, (Purpose(value) if value is not None else None), None
    except ValueError:
        return bucket, None, None


def discover(clients: Clients, max_workers: int = DEFAULT_WORKERS) -> Discovery:
    """Every bucket of the account whose purpose tag names a purpose of the policy."""
    try:
        names = [b["Name"] for b in clients.s3.list_buckets().get("Buckets", [])]
    except (ClientError, BotoCoreError) as err:
        # The error text may quote the refused request: never pass credential material on.
        raise DiscoveryError(redact(f"cannot list the account's buckets (s3:ListAllMyBuckets): {err}")) from None
    found: dict[str, Purpose] = {}
    unreadable: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(names) or 1))) as pool:
        for bucket, purpose, reason in pool.map(lambda n: _purpose_of(clients, n), names):
            if purpose is not None:
                found[bucket] = purpose
            elif reason is not None:
                unreadable[bucket] = reason
    return Discovery(found=found, unreadable=unreadable)
