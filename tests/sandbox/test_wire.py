"""Pulumi wire format to the S3 API's shape."""

from __future__ import annotations

import pytest

from sandbox.wire import api_key, api_value, tag_list


@pytest.mark.parametrize(
    ("wire", "api"),
    [
        ("id", "ID"),
        ("sseAlgorithm", "SSEAlgorithm"),
        ("kmsMasterKeyId", "KMSMasterKeyID"),
        ("noncurrentDays", "NoncurrentDays"),
        ("expiredObjectDeleteMarker", "ExpiredObjectDeleteMarker"),
        ("status", "Status"),
    ],
)
def test_api_key(wire: str, api: str) -> None:
    assert api_key(wire) == api


def test_lifecycle_rule_in_wire_format_becomes_the_api_shape() -> None:
    wire = {
        "id": "expire-recordings",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "expiration": {"days": 87.0},
        "noncurrentVersionExpiration": {"noncurrentDays": 1.0},
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1.0},
    }
    assert api_value(wire) == {
        "ID": "expire-recordings",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Expiration": {"Days": 87},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
    assert isinstance(api_value(wire)["Expiration"]["Days"], int)


def test_encryption_rule_keeps_acronyms_and_booleans() -> None:
    wire = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:k"},
             "bucketKeyEnabled": True}]
    assert api_value(wire) == [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:k"},
         "BucketKeyEnabled": True}
    ]
    assert api_value(True) is True


def test_fractional_floats_stay_floats() -> None:
    assert api_value(0.25) == 0.25


def test_tag_list_is_sorted_and_spelled_per_service() -> None:
    assert tag_list({"b": "2", "a": "1"}) == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert tag_list({"a": "1"}, "TagKey", "TagValue") == [{"TagKey": "a", "TagValue": "1"}]
    assert tag_list(None) == []
