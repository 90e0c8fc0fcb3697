"""``find`` on a live bucket: every version, delete marker and derived copy of the call, exactly."""

from __future__ import annotations

from dataclasses import replace

import boto3
from moto import mock_aws

from governance.subject.find import find
from governance.subject.keys import Kind
from governance.subject.stored import Scope
from lifecycle.loader import load_policy

CONNECT = replace(load_policy()["quality"], layout="amazon-connect", key_prefix="connect/acme/CallRecordings")
CONTACT = "6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90"


@mock_aws
def test_amazon_connect_recordings_and_contact_lens_copies() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="connect-recordings", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="connect-recordings", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})
    keys = [
        f"connect/acme/CallRecordings/2026/11/20/{CONTACT}_20261120T09:30_UTC.wav",
        f"Analysis/Voice/2026/11/20/{CONTACT}_analysis_2026-11-20T09:40:00Z.json",
        f"Analysis/Voice/Redacted/2026/11/20/{CONTACT}_call_recording_redacted_2026-11-20T09:40:00Z.wav",
        f"connect/acme/CallRecordings/2026/11/20/{CONTACT}0_20261120T09:30_UTC.wav",
        "connect/acme/CallRecordings/2026/11/20/other_20261120T09:30_UTC.wav",
    ]
    for key in keys:
        s3.put_object(Bucket="connect-recordings", Key=key, Body=b"x")
    s3.delete_object(Bucket="connect-recordings", Key=keys[0])  # a delete marker over the recording
    found = find(s3, [Scope("connect-recordings", CONNECT)], [CONTACT])
    assert found.complete
    assert sorted((v.key, v.kind, v.delete_marker) for v in found.versions) == sorted([
        (keys[0], Kind.RECORDING, False), (keys[0], Kind.RECORDING, True),
        (keys[1], Kind.DERIVED, False), (keys[2], Kind.DERIVED, False)])
    recording = next(v for v in found.versions if v.key == keys[0] and not v.delete_marker)
    assert recording.lock_mode == "GOVERNANCE" and recording.retain_until and recording.legal_hold is False
    assert recording.lifecycle_end is not None and not recording.is_latest
