"""Find every stored version, delete marker and derived copy of some calls, read-only.

Each purpose's bucket is listed under the narrowest prefixes its key layout allows
(:class:`~governance.subject.keys.KeyMatcher`), every key is matched exactly on the call id the
layout extracts, and each matching version's lock is read (HEAD, else ``GetObjectRetention`` and
``GetObjectLegalHold``): a version page carries no lock fields. Only List, Head and Get calls are made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance.subject.keys import KeyMatcher
from governance.subject.stored import Scope, StoredVersion, lifecycle_end

ABSENT = {"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "InvalidRequest",
          "NoSuchKey", "NoSuchVersion"}
"""Answers meaning the version has no such lock setting (a bucket without Object Lock says InvalidRequest)."""


def error_code(err: ClientError) -> str:
    """The S3 error code of a refused request."""
    return str(err.response.get("Error", {}).get("Code", ""))


def utc(value: datetime) -> datetime:
    """A boto3 time as an aware UTC datetime."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Found:
    """What a search found, and what it could not read (one sentence each)."""

    versions: list[StoredVersion] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def of_call(self, call_id: str) -> list[StoredVersion]:
        """The versions of one call."""
        return [v for v in self.versions if v.call_id == call_id]

    @property
    def complete(self) -> bool:
        """Whether every bucket was listed and every lock read."""
        return not self.unreadable and not any(v.lock_error for v in self.versions)


def list_call_versions(s3: Any, scope: Scope, call_ids: frozenset[str]) -> list[StoredVersion]:
    """Every version and delete marker of ``call_ids`` in one bucket, without lock fields.

    Raises ClientError/BotoCoreError when the bucket cannot be listed.
    """
    from governance.collect.listing import object_versions  # boto3 is loaded only where S3 is listed

    matcher = KeyMatcher(scope.policy)
    out = []
    for prefix in matcher.prefixes:
        for entry, marker in object_versions(s3, scope.bucket, prefix):
            found = matcher.call_of(entry["Key"], call_ids)
            if found is None:
                continue
            modified = utc(entry["LastModified"])
            out.append(StoredVersion(
                bucket=scope.bucket, purpose=scope.purpose, key=entry["Key"],
                version_id=str(entry.get("VersionId") or "null"), call_id=found[0], kind=found[1],
                is_latest=bool(entry.get("IsLatest")), delete_marker=marker, size=int(entry.get("Size", 0)),
                last_modified=modified, lifecycle_end=lifecycle_end(scope, modified),
            ))
    return out


def _head(s3: Any, ident: dict[str, Any]) -> dict[str, Any]:
    """HEAD of the version, or {} when the caller may not read objects (HEAD needs s3:GetObject)."""
    try:
        answer: dict[str, Any] = s3.head_object(**ident)
        return answer
    except (ClientError, BotoCoreError):
        return {}


def read_lock(s3: Any, version: StoredVersion) -> StoredVersion:
    """The version with its retention and legal hold read (delete markers have neither).

    HEAD carries the lock fields to a caller allowed to read them; a field HEAD does not show is
    asked with its own Get call, whose "absent" answers are trusted and whose denial is recorded.
    """
    if version.delete_marker:
        return version
    ident = {"Bucket": version.bucket, "Key": version.key, "VersionId": version.version_id}
    head = _head(s3, ident)
    mode = head.get("ObjectLockMode")
    until = utc(head["ObjectLockRetainUntilDate"]) if head.get("ObjectLockRetainUntilDate") else None
    status = head.get("ObjectLockLegalHoldStatus")
    hold = None if status is None else status == "ON"
    problems = []
    if until is None:
        try:
            retention = s3.get_object_retention(**ident).get("Retention", {})
            mode = retention.get("Mode")
            until = utc(retention["RetainUntilDate"]) if retention.get("RetainUntilDate") else None
        except ClientError as err:
            if error_code(err) not in ABSENT:
                problems.append(f"retention ({error_code(err)})")
        except BotoCoreError as err:
            problems.append(f"retention ({err})")
    if hold is None:
        try:
            hold = s3.get_object_legal_hold(**ident).get("LegalHold", {}).get("Status") == "ON"
        except ClientError as err:
            if error_code(err) not in ABSENT:
                problems.append(f"legal hold ({error_code(err)})")
            else:
                hold = False
        except BotoCoreError as err:
            problems.append(f"legal hold ({err})")
    return replace(version, lock_mode=mode, retain_until=until, legal_hold=hold,
                   lock_error=", ".join(problems) or None)


def find(s3: Any, scopes: Sequence[Scope], call_ids: Iterable[str], *, workers: int = 16,
         locks: bool = True) -> Found:
    """Every stored version of the calls in every scope, with its lock unless ``locks`` is false."""
    wanted = frozenset(call_ids)
    found = Found()
    for scope in scopes:
        try:
            found.versions.extend(list_call_versions(s3, scope, wanted))
        except ClientError as err:
            found.unreadable.append(f"s3://{scope.bucket} ({scope.purpose}) could not be listed "
                                    f"({error_code(err)}); s3:ListBucketVersions is needed on it.")
        except BotoCoreError as err:
            found.unreadable.append(f"s3://{scope.bucket} ({scope.purpose}) could not be listed ({err}).")
    if locks and found.versions:
        with ThreadPoolExecutor(max(1, workers)) as pool:
            found.versions = list(pool.map(lambda v: read_lock(s3, v), found.versions))
    found.versions.sort(key=lambda v: (v.call_id, str(v.purpose), v.key, v.last_modified, v.version_id))
    return found
