"""Listing under a prefix, past S3's page of 1,000 entries, on moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from governance.collect.listing import object_keys, object_versions


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="listing")
        client.put_bucket_versioning(Bucket="listing", VersioningConfiguration={"Status": "Enabled"})
        yield client


def test_every_key_under_the_prefix_across_pages(s3: Any) -> None:
    for i in range(1001):
        s3.put_object(Bucket="listing", Key=f"p/{i:04d}", Body=b"")
    s3.put_object(Bucket="listing", Key="q/0000", Body=b"")
    keys = list(object_keys(s3, "listing", "p/"))
    assert len(keys) == 1001 and keys[0] == "p/0000" and keys[-1] == "p/1000"
    assert len(list(object_keys(s3, "listing"))) == 1002


def test_versions_and_delete_markers_are_told_apart(s3: Any) -> None:
    s3.put_object(Bucket="listing", Key="p/a", Body=b"1")
    s3.put_object(Bucket="listing", Key="p/a", Body=b"2")
    s3.delete_object(Bucket="listing", Key="p/a")
    s3.put_object(Bucket="listing", Key="other", Body=b"")
    listed = [(e["Key"], marker) for e, marker in object_versions(s3, "listing", "p/")]
    assert sorted(listed) == [("p/a", False), ("p/a", False), ("p/a", True)]
    assert list(object_keys(s3, "listing", "p/")) == []
