"""Where analysis files come from: a local directory, an S3 prefix, or a purpose's bucket by its layout.

A source lists its files first and reads them one by one afterwards, so a sample can be drawn from
the listing and a file that cannot be read is an error for that file alone. Reading is the only
access: nothing is written anywhere.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from governance.analytics.parse import contact_from_name
from lifecycle.policy import PurposePolicy
from lifecycle.render import derived_prefix

ANALYSIS_KINDS = ("analysis", "analysis-redacted")
"""The derived kinds (:mod:`lifecycle.layouts`) that hold analysis files; a layout has some of them."""

UNDATED = "undated"
"""The day of a file whose key names none: such files are sampled together."""

_DAY = re.compile(r"(?:^|/)([0-9]{4})/([0-9]{2})/([0-9]{2})/")


class SourceError(Exception):
    """A source that cannot be listed; the message is one sentence naming it and the cause."""


class FileReadError(Exception):
    """One file that cannot be fetched; the message is one sentence naming it and the cause."""


@dataclass(frozen=True)
class Entry:
    """One listed file: its key (object key, or path below the directory), the name a report gives it."""

    key: str
    name: str

    @property
    def contact_id(self) -> str:
        """The contact its name gives (sampling keeps a contact's files together)."""
        return contact_from_name(self.key)

    @property
    def day(self) -> str:
        """The UTC day its key names (``YYYY/MM/DD/`` as every layout writes it), else :data:`UNDATED`."""
        match = _DAY.search(self.key)
        return "-".join(match.groups()) if match else UNDATED


class Source(Protocol):
    """Analysis files to judge: listed once, then read one at a time."""

    @property
    def label(self) -> str:
        """The source as the report names it (a path or an s3:// URI)."""

    def entries(self) -> list[Entry]:
        """Every analysis file, sorted by key; :class:`SourceError` when the listing fails."""

    def read(self, entry: Entry) -> bytes:
        """One file's bytes; :class:`FileReadError` when it cannot be fetched."""


def _is_json(key: str) -> bool:
    return key.lower().endswith(".json")


@dataclass(frozen=True)
class LocalSource:
    """A directory (walked) or one file, for instance a copy of a bucket's ``Analysis/`` prefix."""

    root: Path

    @property
    def label(self) -> str:
        return str(self.root)

    def entries(self) -> list[Entry]:
        if self.root.is_file():
            return [Entry(self.root.name, str(self.root))]
        if not self.root.is_dir():
            raise SourceError(f"{self.root} is neither a directory nor a file.")
        try:
            paths = sorted(p for p in self.root.rglob("*") if p.is_file() and _is_json(p.name))
        except OSError as err:
            raise SourceError(f"{self.root} cannot be walked ({err.strerror or err}).") from None
        return [Entry(p.relative_to(self.root).as_posix(), str(p)) for p in paths]

    def read(self, entry: Entry) -> bytes:
        try:
            return Path(entry.name).read_bytes()
        except OSError as err:
            raise FileReadError(f"{entry.name} cannot be read ({err.strerror or err}).") from None


@dataclass(frozen=True)
class S3Source:
    """JSON objects of a bucket under one or more prefixes, each key kept only when it matches one of
    ``patterns`` (full match) when patterns are given."""

    s3: Any
    bucket: str
    prefixes: tuple[str, ...]
    patterns: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        shown = ", ".join(self.prefixes)
        return f"s3://{self.bucket}/{shown}" if len(self.prefixes) == 1 else f"s3://{self.bucket} ({shown})"

    def _keys(self, prefix: str) -> Iterable[str]:
        from governance.collect.listing import object_keys

        return object_keys(self.s3, self.bucket, prefix)

    def entries(self) -> list[Entry]:
        from botocore.exceptions import BotoCoreError, ClientError

        keys: set[str] = set()
        for prefix in self.prefixes:
            try:
                keys.update(k for k in self._keys(prefix) if _is_json(k))
            except (ClientError, BotoCoreError) as err:
                raise SourceError(f"s3://{self.bucket}/{prefix} cannot be listed ({err}).") from None
        if self.patterns:
            keys = {k for k in keys if any(re.fullmatch(p, k) for p in self.patterns)}
        return [Entry(k, f"s3://{self.bucket}/{k}") for k in sorted(keys)]

    def read(self, entry: Entry) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return bytes(self.s3.get_object(Bucket=self.bucket, Key=entry.key)["Body"].read())
        except (ClientError, BotoCoreError) as err:
            raise FileReadError(f"{entry.name} cannot be fetched ({err}).") from None


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://BUCKET/PREFIX`` as bucket and prefix ('' for the whole bucket); ValueError when malformed."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not url.startswith("s3://") or not bucket:
        raise ValueError(f"{url!r} is not an s3://BUCKET/PREFIX URL.")
    return bucket, prefix


def analysis_kinds(policy: PurposePolicy) -> list[tuple[str, str]]:
    """(prefix, key pattern) of each analysis kind the purpose keeps (its ``derived:``, by default every kind
    of its layout), at the prefix the policy gives."""
    out = []
    for declared in policy.derived:
        kind = policy.key_layout.derived_kind(declared.kind)
        if kind is not None and kind.kind in ANALYSIS_KINDS:
            prefix = derived_prefix(policy, kind.kind)
            out.append((prefix, kind.key_pattern(prefix)))
    return out


def bucket_source(s3: Any, bucket: str, policy: PurposePolicy) -> S3Source | None:
    """The purpose's analysis files in its bucket, found by its layout; None when the layout writes none."""
    kinds = analysis_kinds(policy)
    if not kinds:
        return None
    prefixes = tuple(dict.fromkeys(f"{prefix}/" for prefix, _ in kinds))
    return S3Source(s3, bucket, prefixes, tuple(pattern for _, pattern in kinds))


def _rank(contact_id: str) -> str:
    return hashlib.sha256(contact_id.encode()).hexdigest()


def sample(entries: Sequence[Entry], per_day: int | None) -> list[Entry]:
    """At most ``per_day`` contacts per day, every file of each chosen contact (a redacted copy stays with
    its original). The choice is deterministic: the contacts whose id hashes lowest, which spreads it over
    agents and hours instead of taking the alphabetically first ids."""
    if per_day is None:
        return list(entries)
    by_day: dict[str, set[str]] = {}
    for e in entries:
        by_day.setdefault(e.day, set()).add(e.contact_id)
    chosen = {(day, c) for day, contacts in by_day.items() for c in sorted(contacts, key=_rank)[:per_day]}
    return [e for e in entries if (e.day, e.contact_id) in chosen]
