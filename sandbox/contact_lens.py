"""Synthetic Contact Lens output beside the demo's Amazon Connect recordings.

Contact Lens writes, for each analysed call, into the recordings' own bucket (admin guide, "Example
Contact Lens output locations"): the analysis JSON under ``Analysis/Voice/YYYY/MM/DD/``, and under
``Analysis/Voice/Redacted/YYYY/MM/DD/`` its redacted copy and the redacted audio. The keys are built
from the ``amazon-connect`` layout's derived kinds (:mod:`lifecycle.layouts`), so the object audit
and ``audit-analytics`` find them where the layout says they are.

The analysis documents have the shape of the guide's example output (``Participants``,
``CustomerMetadata``, ``ContentMetadata.Output``, ``ConversationCharacteristics.Sentiment``,
``Transcript``), which :mod:`governance.analytics.parse` reads. The demo's purpose declares customer
sentiment only (:data:`ANALYTICS`), so its documents score the customer's sentiment and nothing of
the agent. They carry no ``LoudnessScore``: Contact Lens writes it in every turn, and an agent's is a
measurement of the employee's voice (see docs/analytics.md), so output kept under this declaration
has it removed. An analysis that scores the agent (:func:`analysis_document` with
``agent_scored=True``) is the drift ``audit-analytics`` must catch.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from datetime import UTC, timedelta
from typing import Any

from lifecycle.layouts import layout
from sandbox.audio import tone_wav
from sandbox.calls import Call

ANALYTICS: Mapping[str, Any] = {"transcription": True, "sentiment": ["customer"], "redaction": True}
"""What the demo's quality purpose declares under ``analytics:``: transcripts and the customer's
sentiment, with redacted output; nothing scored of the agent."""
LAYOUT = "amazon-connect"
ANALYSIS = "analysis"
ANALYSIS_REDACTED = "analysis-redacted"
RECORDING_REDACTED = "recording-redacted"
KINDS = (ANALYSIS, ANALYSIS_REDACTED, RECORDING_REDACTED)
"""What Contact Lens writes per analysed call, as the layout names the kinds."""
ANALYSED_AFTER = timedelta(minutes=7)
"""When the analysis is stamped: after the call (five minutes long in the demo) and After Contact Work."""
AGENT_PARTICIPANT = "agent-1"
CUSTOMER_PARTICIPANT = "customer-1"
_TAIL = {ANALYSIS: "_analysis_{stamp}.json", ANALYSIS_REDACTED: "_analysis_redacted_{stamp}.json",
         RECORDING_REDACTED: "_call_recording_redacted_{stamp}.wav"}


def stamp(call: Call) -> str:
    """The ISO 8601 time (UTC, ``Z``) Contact Lens puts in the names of a call's output."""
    return (call.started_at + ANALYSED_AFTER).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def output_keys(call: Call) -> dict[str, str]:
    """Each kind's key for a call: ``<kind's prefix>/YYYY/MM/DD/<ContactId>_<name>_<ISO8601>Z.<ext>``,
    the prefix being the layout's default for the kind (the demo's policy moves none)."""
    day = call.started_at.astimezone(UTC)
    kinds = layout(LAYOUT)
    keys = {}
    for kind in KINDS:
        derived = kinds.derived_kind(kind)
        assert derived is not None, f"the {LAYOUT} layout declares no {kind}"
        keys[kind] = (f"{derived.default_prefix}/{day:%Y/%m/%d}/{call.call_id}"
                      + _TAIL[kind].format(stamp=stamp(call)))
    return keys


def analysis_document(call: Call, recording_uri: str, instance_id: str, *, redacted: bool,
                      agent_scored: bool = False) -> dict[str, Any]:
    """One call's analysis as Contact Lens writes it: the customer's sentiment overall, by quarter and
    per turn; with ``agent_scored``, the agent's too (what the demo's declaration does not allow)."""
    scored = ["CUSTOMER", "AGENT"] if agent_scored else ["CUSTOMER"]
    turns: list[dict[str, Any]] = []
    lines = ((AGENT_PARTICIPANT, "Thank you for calling, how can I help?"),
             (CUSTOMER_PARTICIPANT, "I would like to change my contract, my number is [PII]." if redacted else
              "I would like to change my contract, my number is 0612345678."),
             (AGENT_PARTICIPANT, "Of course, let me look at it."))
    for i, (speaker, text) in enumerate(lines):
        turn: dict[str, Any] = {"Id": f"{call.call_id}-{i}", "ParticipantId": speaker, "Content": text,
                                "BeginOffsetMillis": i * 4000, "EndOffsetMillis": i * 4000 + 3500}
        if speaker == CUSTOMER_PARTICIPANT or agent_scored:
            turn["Sentiment"] = "NEUTRAL"
        turns.append(turn)
    periods = [{"BeginOffsetMillis": 0, "EndOffsetMillis": 6000, "Score": 1.0},
               {"BeginOffsetMillis": 6000, "EndOffsetMillis": 12000, "Score": 2.5}]
    return {
        "Version": "1.1.0",
        "AccountId": "123456789012",
        "Channel": "VOICE",
        "ContentMetadata": {"Output": "Redacted" if redacted else "Raw",
                            **({"RedactionTypes": ["PII"]} if redacted else {})},
        "JobStatus": "COMPLETED",
        "LanguageCode": "en-US",
        "Participants": [{"ParticipantId": CUSTOMER_PARTICIPANT, "ParticipantRole": "CUSTOMER"},
                         {"ParticipantId": AGENT_PARTICIPANT, "ParticipantRole": "AGENT"}],
        "Categories": {"MatchedCategories": [], "MatchedDetails": {}},
        "ConversationCharacteristics": {
            "TotalConversationDurationMillis": 12000,
            "Sentiment": {"OverallSentiment": {role: 1.8 for role in scored},
                          "SentimentByPeriod": {"QUARTER": {role: periods for role in scored}}},
            "Interruptions": {"InterruptionsByInterrupter": {}, "TotalCount": 0, "TotalTimeMillis": 0},
            "NonTalkTime": {"Instances": [], "TotalTimeMillis": 0},
        },
        "CustomerMetadata": {"ContactId": call.call_id, "InputS3Uri": recording_uri, "InstanceId": instance_id},
        "Transcript": turns,
    }


def write_contact_lens(s3: Any, bucket: str, key_arn: str, call: Call, recording_key: str, instance_id: str, *,
                       agent_scored: bool = False) -> list[str]:
    """Write a call's analysis, its redacted copy and the redacted audio beside its recording, encrypted
    with the purpose's key as every object of the bucket; returns the keys written."""
    uri = f"s3://{bucket}/{recording_key}"
    keys = output_keys(call)
    bodies = {
        ANALYSIS: json.dumps(analysis_document(call, uri, instance_id, redacted=False,
                                               agent_scored=agent_scored)).encode(),
        ANALYSIS_REDACTED: json.dumps(analysis_document(call, uri, instance_id, redacted=True,
                                                        agent_scored=agent_scored)).encode(),
        # The redacted audio: the recording with the spoken personal data silenced, another tone here.
        RECORDING_REDACTED: tone_wav(200.0 + zlib.crc32(call.call_id.encode()) % 100),
    }
    for kind in KINDS:
        s3.put_object(Bucket=bucket, Key=keys[kind], Body=bodies[kind],
                      ContentType="audio/wav" if kind == RECORDING_REDACTED else "application/json",
                      ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    return [keys[kind] for kind in KINDS]


def erase_recording(s3: Any, bucket: str, key: str) -> int:
    """Remove every version of one recording, as the purpose's erasure role does on an objection (GDPR
    Art. 21), bypassing the governance-mode lock; returns the versions removed."""
    page = s3.list_object_versions(Bucket=bucket, Prefix=key)
    versions = [v for v in (*page.get("Versions", []), *page.get("DeleteMarkers", [])) if v["Key"] == key]
    for v in versions:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=v["VersionId"], BypassGovernanceRetention=True)
    return len(versions)
