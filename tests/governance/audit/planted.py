"""A quality bucket's inventory with one planted violation of each kind, and what must be found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.governance.audit.inventories import Row

AS_OF = datetime(2025, 6, 1)
BUCKET = "recgov-dev-quality-0a1b2c3"


def ago(days: float) -> datetime:
    """``days`` before the audit date, in UTC."""
    return (AS_OF - timedelta(days=days)).replace(tzinfo=UTC)


def planted_rows() -> list[Row]:
    """Compliant rows, edge cases that must not be flagged, and one or more violations per check."""
    return [
        # Compliant: recent, KMS, a GOVERNANCE lock of exactly the longest allowed 89 days.
        Row("quality/2025/05/01/CALL-OK1.wav", ago(31), retain_until=ago(31) + timedelta(days=89),
            lock_mode="GOVERNANCE"),
        # Exactly at the 90-day limit: not older than it.
        Row("quality/2025/03/03/CALL-EDGE.wav", ago(90)),
        # RG-OBJ-AGE: a noncurrent version the lifecycle left behind, and its (old) delete marker.
        Row("quality/2025/01/10/CALL-OLD.wav", ago(142), is_latest=False),
        Row("quality/2025/01/10/CALL-OLD.wav", ago(100), delete_marker=True),
        # A recent delete marker is not a finding.
        Row("quality/2025/05/27/CALL-GONE.wav", ago(5), delete_marker=True),
        # RG-OBJ-LOCK-RETENTION and RG-OBJ-LOCK-LEGAL-MAX.
        Row("quality/2025/05/22/CALL-LOCK1.wav", ago(10), retain_until=ago(10) + timedelta(days=120),
            lock_mode="GOVERNANCE"),
        Row("quality/2025/05/22/CALL-LOCK2.wav", ago(10), retain_until=ago(10) + timedelta(days=400),
            lock_mode="COMPLIANCE"),
        # Legal hold, older than the limit: in the register, not counted as over-retained.
        Row("quality/2025/01/02/CALL-HOLD.wav", ago(150), legal_hold="ON"),
        # RG-OBJ-KMS: SSE-S3, no encryption, and a key that needs URL decoding in CSV.
        Row("quality/2025/05/29/CALL-SSE.wav", ago(3), encryption="SSE-S3"),
        Row("quality/2025/05/29/CALL-PLAIN.wav", ago(3), encryption="NOT-SSE"),
        Row("quality/2025/05/29/CALL 7+8%.wav", ago(3), encryption="SSE-S3"),
        # RG-OBJ-KEY-NAME: month 13, another prefix, a sub-folder.
        Row("quality/2025/13/01/CALL-X.wav", ago(2)),
        Row("recordings/CALL-Y.mp3", ago(2)),
        Row("quality/2025/05/30/extra/CALL-Z.wav", ago(2)),
        # RG-OBJ-DERIVED-ORPHAN: a redacted copy and a transcript whose recording was erased (no version left),
        # beside a transcript whose recording is still there and one of a recording left only as a delete marker.
        Row("derived/redacted/2025/05/20/CALL-ERASED.wav", ago(12)),
        Row("derived/transcripts/2025/05/20/CALL-ERASED.json", ago(12)),
        Row("derived/transcripts/2025/05/01/CALL-OK1.json", ago(31)),
        Row("derived/transcripts/2025/05/27/CALL-GONE.json", ago(5)),
    ]


EXPECTED = {
    "RG-OBJ-AGE": ("fail", ["quality/2025/01/10/CALL-OLD.wav"]),
    "RG-OBJ-MARKER-AGE": ("fail", ["quality/2025/01/10/CALL-OLD.wav"]),
    "RG-OBJ-LOCK-RETENTION": ("fail", ["quality/2025/05/22/CALL-LOCK1.wav"]),
    "RG-OBJ-LOCK-LEGAL-MAX": ("fail", ["quality/2025/05/22/CALL-LOCK2.wav"]),
    "RG-OBJ-LEGAL-HOLD": ("pass", None),
    "RG-OBJ-KMS": ("fail", ["quality/2025/05/29/CALL 7+8%.wav", "quality/2025/05/29/CALL-PLAIN.wav",
                            "quality/2025/05/29/CALL-SSE.wav"]),
    "RG-OBJ-KEY-NAME": ("fail", ["quality/2025/05/30/extra/CALL-Z.wav", "quality/2025/13/01/CALL-X.wav",
                                 "recordings/CALL-Y.mp3"]),
    "RG-OBJ-DERIVED-ORPHAN": ("fail", ["derived/redacted/2025/05/20/CALL-ERASED.wav",
                                       "derived/transcripts/2025/05/20/CALL-ERASED.json",
                                       "derived/transcripts/2025/05/27/CALL-GONE.json"]),
}
"""Check id -> (status, the offending keys in key order)."""


def versions_filling_the_sample() -> list[Row]:
    """Twenty aged versions of one recording, then three other aged recordings, all in the same week:
    with ``--sample 3`` the first keys are A, B and C, not A alone."""
    many = [Row("quality/2025/01/05/A.wav", AS_OF - timedelta(days=146, minutes=i), is_latest=i == 0)
            for i in range(20)]
    return [*many, *(Row(f"quality/2025/01/05/{k}.wav", AS_OF - timedelta(days=146)) for k in "BCD")]
