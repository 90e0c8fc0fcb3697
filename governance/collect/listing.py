"""Listing a bucket's objects under a prefix, page after page: the one place S3's paging is spelled.

Read-only (``ListObjectsV2``, ``ListObjectVersions``). Errors are the caller's to word: each caller
knows which bucket and which permission its sentence names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def object_keys(s3: Any, bucket: str, prefix: str = "") -> Iterator[str]:
    """Every current object's key under ``prefix``, in S3's (UTF-8 binary) order.

    Raises botocore's ClientError/BotoCoreError when the bucket cannot be listed.
    """
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", ()):
            yield str(obj["Key"])


def object_versions(s3: Any, bucket: str, prefix: str = "") -> Iterator[tuple[dict[str, Any], bool]]:
    """Every version and delete marker under ``prefix``: the page's entry and whether it is a delete marker.

    Raises botocore's ClientError/BotoCoreError when the bucket cannot be listed.
    """
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for version in page.get("Versions", ()):
            yield version, False
        for marker in page.get("DeleteMarkers", ()):
            yield marker, True
