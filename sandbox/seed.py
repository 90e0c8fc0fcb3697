"""Synthetic recordings: written through each purpose's recorder role, with a matching calls export.

Keys follow DESIGN section 6 (``<purpose>/YYYY/MM/DD/<call_id>.wav``). Quality recordings are a
random sample of the calls; proof recordings exist only for calls that concluded a transaction and
carry its id. Everything is deterministic for a seed and a ``now``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.audio import tone_wav
from sandbox.calls import Call, proof_calls, quality_sample, synthetic_calls, write_calls_export
from sandbox.deploy import emulator_clients
from sandbox.emulator import DEFAULT_REGION

RECORDED_PURPOSES = ("quality", "proof")
DEFAULT_SAMPLING_RATE = 0.25
"""The packaged policy's quality sampling rate (R2: 20-30 % of calls)."""


@dataclass(frozen=True)
class Recording:
    """One recording the seeder wrote."""

    purpose: str
    bucket: str
    key: str
    version_id: str
    call: Call


@dataclass
class SeedResult:
    """What the seeder wrote: the recordings and the calls export."""

    calls: list[Call]
    calls_export: Path
    recordings: list[Recording] = field(default_factory=list)
    derived: list[Recording] = field(default_factory=list)
    """Objects derived from recordings and written beside them (Contact Lens output), by their call."""
    erased: list[Recording] = field(default_factory=list)
    """Recordings written, then erased with every version (their derived objects may remain)."""

    def count(self, purpose: str) -> int:
        """How many recordings of one purpose were written."""
        return sum(1 for r in self.recordings if r.purpose == purpose)


def recording_key(purpose: str, call: Call, ext: str = "wav") -> str:
    """``<purpose>/YYYY/MM/DD/<call_id>.<ext>``, dated by the call's start (UTC)."""
    day = call.started_at.astimezone(UTC)
    return f"{purpose}/{day:%Y/%m/%d}/{call.call_id}.{ext}"


def role_clients(endpoint_url: str, role_arn: str, region: str, session_name: str) -> Any:
    """Clients acting as ``role_arn``: credentials from STS AssumeRole on the emulator."""
    sts = emulator_clients(endpoint_url, region)("sts")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return emulator_clients(
        endpoint_url,
        region,
        {
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
        },
    )


@contextmanager
def bucket_policies_lifted(s3: Any, buckets: Sequence[str]) -> Iterator[None]:
    """Detach the buckets' policies for the duration, then put back the exact same documents.

    Needed on the emulator only: moto evaluates a bucket policy on object requests without request
    context, so every conditional Deny (TLS only, writers only, SSE-KMS only...) applies to every
    caller and no recording could be written. Nothing is lifted on AWS, where nothing seeds.
    """
    saved = {b: s3.get_bucket_policy(Bucket=b)["Policy"] for b in buckets}
    for name in saved:
        s3.delete_bucket_policy(Bucket=name)
    try:
        yield
    finally:
        for name, policy in saved.items():
            s3.put_bucket_policy(Bucket=name, Policy=policy)


def _metadata(call: Call, purpose: str) -> dict[str, str]:
    meta = {"call-id": call.call_id, "agent-id": call.agent_id, "started-at": call.started_at_iso}
    if purpose == "proof" and call.transaction_id:
        meta["transaction-id"] = call.transaction_id
    return meta


def seed(
    endpoint_url: str,
    outputs: Mapping[str, Any],
    out_dir: Path,
    *,
    seed: int = 7,
    calls: int = 80,
    sampling_rate: float = DEFAULT_SAMPLING_RATE,
    now: datetime | None = None,
    region: str = DEFAULT_REGION,
) -> SeedResult:
    """Write the recordings of ``calls`` synthetic calls into the deployed buckets.

    ``outputs`` are the stack outputs of ``sandbox.deploy``; the calls export goes to
    ``out_dir/calls.csv``. Each recording is uploaded by the purpose's writer role with SSE-KMS
    under the purpose's key, as a recorder must.
    """
    moment = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    handled = synthetic_calls(calls, seed=seed, now=moment)
    result = SeedResult(calls=handled, calls_export=write_calls_export(out_dir / "calls.csv", handled))
    planned = {"quality": quality_sample(handled, sampling_rate, seed=seed), "proof": proof_calls(handled)}
    deployer_s3 = emulator_clients(endpoint_url, region)("s3")
    buckets = [outputs["buckets"][p] for p in RECORDED_PURPOSES]
    with bucket_policies_lifted(deployer_s3, buckets):
        for purpose in RECORDED_PURPOSES:
            bucket = outputs["buckets"][purpose]
            writer = role_clients(endpoint_url, outputs["roleArns"][purpose]["writer"], region, "recorder")("s3")
            for call in planned[purpose]:
                key = recording_key(purpose, call)
                put = writer.put_object(
                    Bucket=bucket,
                    Key=key,
                    Body=tone_wav(300.0 + zlib.crc32(call.call_id.encode()) % 500),
                    ContentType="audio/wav",
                    Metadata=_metadata(call, purpose),
                    ServerSideEncryption="aws:kms",
                    SSEKMSKeyId=outputs["keyArns"][purpose],
                )
                result.recordings.append(Recording(purpose, bucket, key, str(put.get("VersionId", "")), call))
    return result
