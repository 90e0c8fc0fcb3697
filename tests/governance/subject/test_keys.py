"""Keys belong to a call exactly as the layout extracts its id; derived copies too."""

from __future__ import annotations

from dataclasses import replace

import pytest

from governance.subject.keys import KeyMatcher, Kind
from lifecycle.loader import load_policy
from lifecycle.policy import PurposePolicy

QUALITY = load_policy()["quality"]
CONNECT = replace(QUALITY, layout="amazon-connect", key_prefix="connect/acme/CallRecordings")
GENESYS = replace(QUALITY, layout="genesys-cloud", key_prefix="org-1")


@pytest.mark.parametrize(("policy", "key", "expected"), [
    (QUALITY, "quality/2025/03/14/C1.wav", ("C1", Kind.RECORDING)),
    (QUALITY, "quality/2025/03/14/C10.wav", ("C10", Kind.RECORDING)),
    (QUALITY, "quality/2025/03/14/x/C1.wav", None),
    (QUALITY, "proof/2025/03/14/C1.wav", None),
    (CONNECT, "connect/acme/CallRecordings/2025/03/14/C1_20250314T09:30_UTC.wav", ("C1", Kind.RECORDING)),
    (CONNECT, "Analysis/Voice/2025/03/14/C1_analysis_2025-03-14T09:40:00Z.json", ("C1", Kind.DERIVED)),
    (CONNECT, "Analysis/Voice/Redacted/2025/03/14/C1_call_recording_redacted_2025-03-14T09:40:00Z.wav",
     ("C1", Kind.DERIVED)),
    (CONNECT, "Analysis/Chat/2025/03/14/C10_analysis_2025-03-14T09:40:00Z.json", ("C10", Kind.DERIVED)),
    (CONNECT, "Analysis/Chat/Redacted/2025/03/14/C1_analysis_redacted_2025-03-14T09:40:00Z.json",
     ("C1", Kind.DERIVED)),
    (CONNECT, "Analysis/Email/2026/03/10/C1_analysis_20260310T22:35_UTC.json", ("C1", Kind.DERIVED)),
    (CONNECT, "Analysis/Email/Redacted/2026/03/10/C1_analysis_redacted_20260310T22:35_UTC.json", ("C1", Kind.DERIVED)),
    (CONNECT, "Analysis/Voice/2025/03/14/C1_notes.txt", None),
    (QUALITY, "derived/transcripts/2025/03/14/C1.json", ("C1", Kind.DERIVED)),
    (QUALITY, "derived/redacted/2025/03/14/C1.wav", ("C1", Kind.DERIVED)),
    (QUALITY, "derived/transcripts/2025/03/14/C1.wav", None),
    (GENESYS, "org-1/year=2025/month=3/day=14/hour=9/conversation_id=C1/r1.opus", ("C1", Kind.RECORDING)),
    (GENESYS, "org-1/year=2025/month=3/day=14/hour=9/conversation_id=C1/r1_metadata.json", ("C1", Kind.METADATA)),
])
def test_match(policy: PurposePolicy, key: str, expected: tuple[str, Kind] | None) -> None:
    assert KeyMatcher(policy).match(key) == expected


def test_c1_never_matches_c10() -> None:
    matcher = KeyMatcher(QUALITY)
    assert matcher.call_of("quality/2025/03/14/C10.wav", frozenset({"C1"})) is None
    assert matcher.call_of("quality/2025/03/14/C1.wav", frozenset({"C1"})) == ("C1", Kind.RECORDING)


def test_prefixes_narrow_to_the_layout_areas() -> None:
    assert KeyMatcher(QUALITY).prefixes == ("quality/", "derived/transcripts/", "derived/analysis/",
                                            "derived/redacted/")
    assert KeyMatcher(CONNECT).prefixes == ("connect/acme/CallRecordings/", "Analysis/Voice/", "Analysis/Chat/",
                                            "Analysis/Email/")
    assert KeyMatcher(replace(GENESYS, key_prefix=None)).prefixes == ("",)


def test_every_kind_the_layouts_declare_is_matched_where_the_policy_places_it() -> None:
    from lifecycle.layouts import LAYOUTS
    from lifecycle.policy import DerivedPolicy

    for name, layout in LAYOUTS.items():
        policy = replace(QUALITY, layout=name, key_prefix="p")
        for kind in (*layout.derived, *layout.contact_outputs):
            assert KeyMatcher(policy).match(kind.example()) == (kind.call_id(kind.example()), Kind.DERIVED), kind
    moved = replace(QUALITY, derived=(DerivedPolicy("transcript", None, "elsewhere/text"),))
    assert KeyMatcher(moved).match("elsewhere/text/2025/03/14/C1.json") == ("C1", Kind.DERIVED)
    assert KeyMatcher(moved).match("derived/transcripts/2025/03/14/C1.json") is None
