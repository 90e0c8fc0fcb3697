"""Synthetic Amazon Connect data: recordings under Connect's layout and the contact records it exports.

Quality recordings are written as Amazon Connect names them
(``<keyPrefix>/YYYY/MM/DD/<ContactId>_<YYYYMMDD>T<hh:mm>_UTC.wav``); proof recordings keep recgov's
layout, named by the ContactId. The contact records are what a Firehose delivery stream writes:
gzip JSON Lines under ``year=YYYY/month=MM/day=DD/`` (the day of ``InitiationTimestamp``), each
contact delivered when it disconnects and, for a recorded contact and some others, once more after
After Contact Work with a later ``LastUpdateTimestamp`` (the recording appears in the record only
then). One contact ended in the flow (``"Agent": null``) and one is a chat. With ``contact_lens``,
every quality recording has its Contact Lens output beside it (:mod:`sandbox.contact_lens`). Everything
is deterministic for a seed and a ``now``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.audio import tone_wav
from sandbox.calls import Call, proof_calls, quality_sample, synthetic_calls
from sandbox.contact_lens import erase_recording, write_contact_lens
from sandbox.deploy import emulator_clients
from sandbox.emulator import DEFAULT_REGION
from sandbox.seed import (
    DEFAULT_SAMPLING_RATE,
    Recording,
    SeedResult,
    bucket_policies_lifted,
    recording_key,
    role_clients,
)

ALIAS = "acme"
KEY_PREFIX = f"connect/{ALIAS}/CallRecordings"
"""Where console-created instances record: ``connect/<instance-alias>/CallRecordings``."""
RECORDS_PREFIX = f"connect/{ALIAS}/ContactRecords"
"""The contact records' prefix in their bucket, as a Firehose destination's prefix would be."""
ACCOUNT = "123456789012"
INSTANCE_ARN = f"arn:aws:connect:{DEFAULT_REGION}:{ACCOUNT}:instance/7f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
NAMESPACE = uuid.UUID("6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90")
REDELIVERED_EVERY = 4
"""Besides recorded contacts, every fourth contact is delivered twice (contact attributes updated)."""
OBJECTION = "Erased on the customer's objection (GDPR Art. 21)"
"""The ``DeletionReason`` of a recording erased through Amazon Connect."""


@dataclass(frozen=True)
class ContactRecordsWritten:
    """Where the contact records went, and how many."""

    folder: Path
    bucket: str
    prefix: str
    deliveries: int
    contacts: int

    @property
    def url(self) -> str:
        """The ``s3://`` location proportionality reads."""
        return f"s3://{self.bucket}/{self.prefix}"


def contact_id(call_id: str) -> str:
    """A stable ContactId (a UUID, as Connect's) for a synthetic call."""
    return str(uuid.uuid5(NAMESPACE, call_id))


def connect_key(prefix: str, call: Call) -> str:
    """``<prefix>/YYYY/MM/DD/<ContactId>_<YYYYMMDD>T<hh:mm>_UTC.wav``, dated by the call's start (UTC)."""
    day = call.started_at.astimezone(UTC)
    return f"{prefix}/{day:%Y/%m/%d}/{call.call_id}_{day:%Y%m%dT%H:%M}_UTC.wav"


def _ts(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def contact_record(call: Call, updated: datetime, location: str | None, *, channel: str = "VOICE",
                   agent: bool = True, deletion_reason: str | None = None) -> dict[str, Any]:
    """One contact record with the fields Amazon Connect writes that matter here (ctr-data-model); with
    ``deletion_reason``, its recording is marked DELETED for that reason."""
    start = call.started_at
    recording = None if location is None else {
        "DeletionReason": deletion_reason, "Location": location,
        "Status": "AVAILABLE" if deletion_reason is None else "DELETED", "Type": "AUDIO"}
    return {
        "AWSAccountId": ACCOUNT,
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "Agent": {
            "ARN": f"{INSTANCE_ARN}/agent/{uuid.uuid5(NAMESPACE, call.agent_id)}",
            "Username": call.agent_id,
            "ConnectedToAgentTimestamp": _ts(start + timedelta(seconds=20)),
            "HierarchyGroups": None,
        } if agent else None,
        "Attributes": {"transaction_id": call.transaction_id} if call.transaction_id else {},
        "Channel": channel,
        "ContactId": call.call_id,
        "CustomerEndpoint": {"Address": f"+3361{zlib.crc32(call.call_id.encode()) % 10**7:07d}",
                             "Type": "TELEPHONE_NUMBER"},
        "DisconnectTimestamp": _ts(start + timedelta(minutes=5)),
        "InitialContactId": None,
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": _ts(start),
        "InstanceARN": INSTANCE_ARN,
        "LastUpdateTimestamp": _ts(updated),
        "PreviousContactId": None,
        "Recording": recording,
        "Recordings": None if recording is None else [{
            **recording, "MediaStreamType": "AUDIO", "ParticipantType": "AGENT", "StorageType": "S3",
            "StartTimestamp": _ts(start + timedelta(seconds=20)), "StopTimestamp": _ts(start + timedelta(minutes=5))}],
        "SystemEndpoint": {"Address": "+33180000000", "Type": "TELEPHONE_NUMBER"},
    }


def contact_deliveries(calls: Sequence[Call], located: Mapping[str, str], others: Sequence[Call],
                       erased: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Every delivery, in the order a stream would write them: at disconnect, then after After Contact Work,
    then, for the contacts in ``erased``, once more when their recording was deleted through Connect."""
    first = [contact_record(c, c.started_at + timedelta(minutes=6), None) for c in calls]
    first += [contact_record(others[0], others[0].started_at + timedelta(minutes=2), None, agent=False),
              contact_record(others[1], others[1].started_at + timedelta(minutes=9), None, channel="CHAT")]
    again = [contact_record(c, c.started_at + timedelta(minutes=12), located.get(c.call_id))
             for n, c in enumerate(calls) if c.call_id in located or n % REDELIVERED_EVERY == 0]
    deleted = [contact_record(c, c.started_at + timedelta(minutes=30), located[c.call_id], deletion_reason=OBJECTION)
               for c in calls if c.call_id in erased]
    return first + again + deleted


def write_contact_records(deliveries: Sequence[dict[str, Any]], folder: Path) -> list[Path]:
    """Gzip JSON Lines files under ``year=/month=/day=`` folders: one file per day and delivery round
    (a redelivery lands in a later file, as a later Firehose buffer)."""
    files: dict[tuple[str, int], list[dict[str, Any]]] = {}
    seen: set[str] = set()
    for record in deliveries:
        day = record["InitiationTimestamp"][:10]
        round_ = 1 if record["ContactId"] in seen else 0
        seen.add(record["ContactId"])
        files.setdefault((day, round_), []).append(record)
    written = []
    for (day, round_), records in sorted(files.items()):
        y, m, d = day.split("-")
        path = folder / f"year={y}" / f"month={m}" / f"day={d}" / f"recgov-ctr-{round_ + 1}-{y}-{m}-{d}.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode(), mtime=0))
        written.append(path)
    return written


def upload_contact_records(s3: Any, bucket: str, prefix: str, folder: Path, files: Sequence[Path],
                           region: str) -> None:
    """Create the contact records' bucket (the stream's destination) and copy the files under ``prefix``."""
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    for path in files:
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{path.relative_to(folder).as_posix()}", Body=path.read_bytes(),
                      ContentType="application/octet-stream")


def _seed_contact_lens(endpoint_url: str, outputs: Mapping[str, Any], result: SeedResult, *, drift: bool,
                       spared_agent: str | None, region: str) -> None:
    """Contact Lens output for every quality recording and, with ``drift``, the orphan and the agent
    scored (see :func:`seed_connect`), both on calls of agents other than ``spared_agent`` so that each
    finding has one cause."""
    bucket, key_arn = outputs["buckets"]["quality"], outputs["keyArns"]["quality"]
    writer = role_clients(endpoint_url, outputs["roleArns"]["quality"]["writer"], region, "contact-lens")("s3")
    quality = [r for r in result.recordings if r.purpose == "quality"]
    drifted = [r for r in quality if r.call.agent_id != spared_agent][:2] if drift else []
    scored = drifted[1].call.call_id if len(drifted) > 1 else None
    instance_id = INSTANCE_ARN.rsplit("/", 1)[-1]
    for r in quality:
        for key in write_contact_lens(writer, bucket, key_arn, r.call, r.key, instance_id,
                                      agent_scored=r.call.call_id == scored):
            result.derived.append(Recording("quality", bucket, key, "", r.call))
    if drifted:
        erasure = role_clients(endpoint_url, outputs["roleArns"]["quality"]["erasure"], region, "objection")("s3")
        erase_recording(erasure, bucket, drifted[0].key)
        result.erased.append(drifted[0])


def seed_connect(
    endpoint_url: str,
    outputs: Mapping[str, Any],
    out_dir: Path,
    *,
    records_bucket: str,
    key_prefix: str = KEY_PREFIX,
    seed: int = 7,
    calls: int = 80,
    sampling_rate: float = DEFAULT_SAMPLING_RATE,
    over_recorded: str | None = None,
    contact_lens: bool = False,
    contact_lens_drift: bool = False,
    now: datetime | None = None,
    region: str = DEFAULT_REGION,
) -> tuple[SeedResult, ContactRecordsWritten]:
    """Write Connect-layout quality recordings, proof recordings and the contact records.

    ``over_recorded`` names an agent every one of whose calls is recorded for quality (the drift a
    proportionality audit must catch). ``contact_lens`` writes each quality recording's Contact Lens
    output beside it (in ``SeedResult.derived``). ``contact_lens_drift`` adds two drifts of another
    agent's calls: one recording erased through Connect (every version removed, its record marked
    DELETED) while its Contact Lens output stays behind, an orphan the object audit must catch; and
    one analysis that scores the agent's sentiment, which ``audit-analytics`` must catch. The contact
    records go to ``out_dir/contact-records`` and to ``s3://records_bucket/<RECORDS_PREFIX>/``.
    """
    moment = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    handled = [replace(c, call_id=contact_id(c.call_id)) for c in synthetic_calls(calls + 2, seed=seed, now=moment)]
    handled, others = handled[:calls], handled[calls:]
    sampled = quality_sample(handled, sampling_rate, seed=seed)
    if over_recorded:
        sampled = [c for c in handled if c in sampled or c.agent_id == over_recorded]
    planned = {"quality": sampled, "proof": proof_calls(handled)}
    result = SeedResult(calls=handled, calls_export=out_dir / "contact-records")
    deployer_s3 = emulator_clients(endpoint_url, region)("s3")
    located: dict[str, str] = {}
    with bucket_policies_lifted(deployer_s3, [outputs["buckets"][p] for p in planned]):
        for purpose, chosen in planned.items():
            bucket = outputs["buckets"][purpose]
            writer = role_clients(endpoint_url, outputs["roleArns"][purpose]["writer"], region, "recorder")("s3")
            for call in chosen:
                key = connect_key(key_prefix, call) if purpose == "quality" else recording_key(purpose, call)
                put = writer.put_object(
                    Bucket=bucket, Key=key, Body=tone_wav(300.0 + zlib.crc32(call.call_id.encode()) % 500),
                    ContentType="audio/wav", ServerSideEncryption="aws:kms", SSEKMSKeyId=outputs["keyArns"][purpose],
                )
                result.recordings.append(Recording(purpose, bucket, key, str(put.get("VersionId", "")), call))
                if purpose == "quality":
                    located[call.call_id] = f"{bucket}/{key}"
        if contact_lens:
            _seed_contact_lens(endpoint_url, outputs, result, drift=contact_lens_drift, spared_agent=over_recorded,
                               region=region)
    deliveries = contact_deliveries(handled, located, others, [r.call.call_id for r in result.erased])
    folder = out_dir / "contact-records"
    files = write_contact_records(deliveries, folder)
    upload_contact_records(deployer_s3, records_bucket, RECORDS_PREFIX, folder, files, region)
    written = ContactRecordsWritten(folder, records_bucket, RECORDS_PREFIX, len(deliveries),
                                    len({d["ContactId"] for d in deliveries}))
    return result, written
