"""A bucket of versions in memory, answering the calls the subject modules make."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def denied(operation: str, code: str = "AccessDenied") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


@dataclass
class FakeS3:
    """Versions per bucket as (key, version id, delete marker); every delete is recorded."""

    versions: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)
    deleted: list[tuple[str, str, str, bool]] = field(default_factory=list)
    deny: frozenset[str] = frozenset()
    holds: dict[tuple[str, str, str], str] = field(default_factory=dict)
    page_size: int = 3

    def add(self, bucket: str, key: str, version: str, marker: bool = False) -> None:
        self.versions.setdefault(bucket, []).append((key, version, marker))

    def get_paginator(self, name: str) -> Any:
        assert name == "list_object_versions"
        fake = self

        class Paginator:
            def paginate(self, Bucket: str, Prefix: str) -> Iterator[dict[str, Any]]:  # noqa: N803
                if "list" in fake.deny:
                    raise denied("ListObjectVersions")
                rows = sorted(v for v in fake.versions.get(Bucket, []) if v[0].startswith(Prefix))
                for i in range(0, max(len(rows), 1), fake.page_size):
                    page = rows[i:i + fake.page_size]
                    yield {
                        "Versions": [{"Key": k, "VersionId": v, "IsLatest": False, "Size": 4, "LastModified": WHEN}
                                     for k, v, m in page if not m],
                        "DeleteMarkers": [{"Key": k, "VersionId": v, "IsLatest": True, "LastModified": WHEN}
                                          for k, v, m in page if m],
                    }

        return Paginator()

    def head_object(self, **ident: Any) -> dict[str, Any]:
        raise denied("HeadObject")

    def get_object_retention(self, **ident: Any) -> dict[str, Any]:
        if "retention" in self.deny:
            raise denied("GetObjectRetention")
        raise denied("GetObjectRetention", "NoSuchObjectLockConfiguration")

    def get_object_legal_hold(self, Bucket: str, Key: str, VersionId: str) -> dict[str, Any]:  # noqa: N803
        if "hold" in self.deny:
            raise denied("GetObjectLegalHold")
        return {"LegalHold": {"Status": self.holds.get((Bucket, Key, VersionId), "OFF")}}

    def put_object_legal_hold(self, Bucket: str, Key: str, VersionId: str, LegalHold: dict[str, str]) -> None:  # noqa: N803
        if "put-hold" in self.deny:
            raise denied("PutObjectLegalHold")
        self.holds[(Bucket, Key, VersionId)] = LegalHold["Status"]

    def delete_object(self, Bucket: str, Key: str, VersionId: str,  # noqa: N803
                      BypassGovernanceRetention: bool = False) -> None:  # noqa: N803
        if "delete" in self.deny:
            raise denied("DeleteObject")
        self.deleted.append((Bucket, Key, VersionId, BypassGovernanceRetention))
        self.versions[Bucket] = [v for v in self.versions[Bucket] if (v[0], v[1]) != (Key, VersionId)]
