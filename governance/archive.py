"""Archive a report and its evidence, write-once, in the evidence bucket.

This is the only write any report command makes, and only when ``--archive s3://BUCKET/PREFIX`` asks
for it. The destination must carry a default Object Lock retention, so that nobody (COMPLIANCE) can
alter or remove what was archived before it expires; each key is written with ``If-None-Match: *``
so an existing archive is never replaced either.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance.model import Report
from governance.report import JSON, format_named
from governance.report.digest import evidence_digest
from lifecycle.legal import RULES

DENIED = frozenset({"AccessDenied", "403", "Forbidden"})
"""What S3 answers a principal that may not write the key."""


class ArchiveError(Exception):
    """The archive could not be written (or must not be); one sentence."""


@dataclass(frozen=True)
class ArchiveTarget:
    """Where archives go: ``s3://bucket/prefix``."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, uri: str) -> ArchiveTarget:
        """``s3://bucket[/prefix]``; anything else is refused."""
        match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(.*))?", uri)
        if not match:
            raise ArchiveError(f"--archive {uri!r} is not an s3://BUCKET/PREFIX address.")
        return cls(match.group(1), (match.group(2) or "").strip("/"))


def _stamp(generated_at: str) -> str:
    return re.sub(r"[^0-9TZ]", "", generated_at) or "undated"


def _require_lock(s3: Any, bucket: str) -> dict[str, Any]:
    config: dict[str, Any]
    try:
        config = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code != "ObjectLockConfigurationNotFoundError":
            raise ArchiveError(
                f"s3://{bucket}'s Object Lock configuration could not be read ({code}), so the archive would "
                f"not be known to be write-once as {RULES['R13'].id} requires."
            ) from None
        config = {}
    retention = config.get("Rule", {}).get("DefaultRetention")
    if config.get("ObjectLockEnabled") != "Enabled" or not retention:
        raise ArchiveError(
            f"s3://{bucket} has no default Object Lock retention; archived evidence must be write-once under "
            f"{RULES['R13'].citation}."
        )
    return dict(retention)


def archive_report(report: Report, fmt: str, target: ArchiveTarget, s3: Any) -> list[str]:
    """Write the report (as ``fmt``), its JSON evidence and a manifest of SHA-256 digests; return the keys."""
    retention = _require_lock(s3, target.bucket)
    digest = evidence_digest(report)
    folder = "/".join(p for p in (target.prefix, report.kind, f"{_stamp(report.generated_at)}-{digest[-12:]}") if p)
    report_format = format_named(fmt)
    # key -> (body, content type); the evidence is the JSON report, whatever format was asked for.
    bodies: dict[str, tuple[bytes, str]] = {
        f"{folder}/evidence.json": (JSON.render(report).encode("utf-8"), JSON.content_type)}
    if report_format is not JSON:
        bodies[f"{folder}/{report_format.file_name('report')}"] = (report_format.render(report).encode("utf-8"),
                                                                   report_format.content_type)
    manifest = {
        "kind": report.kind,
        "generated_at": report.generated_at,
        "tool_version": report.tool_version,
        "policy_digest": report.policy_digest,
        "evidence_digest": digest,
        "object_lock": retention,
        "files": {key.rsplit("/", 1)[1]: "sha256:" + hashlib.sha256(body).hexdigest()
                  for key, (body, _) in bodies.items()},
    }
    bodies[f"{folder}/manifest.json"] = (
        json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"), JSON.content_type)
    written = []
    for key, (body, content_type) in bodies.items():
        try:
            s3.put_object(Bucket=target.bucket, Key=key, Body=body, IfNoneMatch="*", ContentType=content_type)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "412"):
                raise ArchiveError(f"s3://{target.bucket}/{key} was not archived (an archive already exists "
                                   "there).") from None
            if code in DENIED or err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403:
                raise ArchiveError(
                    f"s3://{target.bucket}/{key} was not archived: PutObject was refused ({code or 403}); run the "
                    "command as the evidence bucket's writer role (stack output roleArns.evidence.writer), which "
                    "alone may write there: the auditor role only reads.") from None
            raise ArchiveError(f"s3://{target.bucket}/{key} was not archived (PutObject: {code}).") from None
        except BotoCoreError as err:
            raise ArchiveError(f"s3://{target.bucket}/{key} was not archived ({err}).") from None
        written.append(f"s3://{target.bucket}/{key}")
    return written
