"""Key layouts: each platform's keys yield call id and day; prefixes are checked before anything deploys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lifecycle.layouts import LAYOUTS, MAX_PREFIX, RecordingKey, layout, prefix_problems
from lifecycle.loader import load_policy
from lifecycle.policy import PolicyError

CONNECT = "connect/acme/CallRecordings"


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_each_layout_reads_its_own_example(name: str) -> None:
    kind = layout(name)
    prefix = kind.prefix(None, "quality") if name == "recgov" else kind.example_prefix
    parsed = kind.parse(kind.example(prefix), prefix)
    assert parsed is not None and parsed.year == 2025 and (parsed.month, parsed.day) == (3, 14)
    assert re.fullmatch(kind.valid_pattern(prefix), kind.example(prefix))


def test_connect_contact_id_is_what_comes_before_the_first_underscore() -> None:
    kind = layout("amazon-connect")
    key = f"{CONNECT}/2019/07/22/9a4b3c2d-1111-2222-3333-444455556666_20190722T23:23_UTC.wav"
    assert kind.parse(key, CONNECT) == RecordingKey("9a4b3c2d-1111-2222-3333-444455556666", 2019, 7, 22)
    assert kind.area(CONNECT) == f"{CONNECT}/"
    for wrong in (f"{CONNECT}/2019/07/22/abc.wav", f"{CONNECT}/2019/13/22/a_20190722T23:23_UTC.wav",
                  "other/2019/07/22/a_20190722T23:23_UTC.wav", f"{CONNECT}/2019/07/22/a_20190722T2323_UTC.wav"):
        assert kind.parse(wrong, CONNECT) is None, wrong


def test_genesys_metadata_belongs_to_its_conversation_and_is_no_recording() -> None:
    kind = layout("genesys-cloud")
    folder = "org-1/year=2025/month=3/day=4/hour=17/conversation_id=conv-9"
    assert kind.parse(f"{folder}/rec-1.opus", "") == RecordingKey("conv-9", 2025, 3, 4)
    assert kind.parse(f"{folder}/rec-1_metadata.json", "") == RecordingKey("conv-9", 2025, 3, 4)
    assert kind.is_recording(f"{folder}/rec-1.opus", "")
    assert not kind.is_recording(f"{folder}/rec-1_metadata.json", "")
    assert kind.parse(f"{folder}/rec-1.opus", "org-2") is None
    assert kind.area("") == "" and kind.area("org-1") == "org-1/"


def test_recgov_keys_are_the_purpose_and_the_day() -> None:
    kind = layout("recgov")
    assert kind.parse("quality/2025/03/14/C1.wav", "quality") == RecordingKey("C1", 2025, 3, 14)
    assert kind.parse("quality/2025/03/14/C1.wav", "proof") is None
    assert kind.area("quality") == ""


def test_a_prefix_is_matched_literally() -> None:
    kind = layout("amazon-connect")
    key = "a.b+c/2025/03/14/x_20250314T09:30_UTC.wav"
    assert kind.parse(key, "a.b+c") is not None
    assert kind.parse(key.replace("a.b+c", "aXb+c"), "a.b+c") is None


@pytest.mark.parametrize(("prefix", "problem"), [
    ("/connect/acme", "must not start with '/'"),
    ("connect/../other", "'..'"),
    ("x" * (MAX_PREFIX + 1), f"at most {MAX_PREFIX}"),
    ("connect//acme", "'//'"),
])
def test_bad_prefixes_are_refused(prefix: str, problem: str) -> None:
    assert any(problem in p for p in prefix_problems("quality", prefix))
    with pytest.raises(PolicyError, match=re.escape(problem)):
        load_policy(None, {"quality": {"layout": "amazon-connect", "keyPrefix": prefix}})


def test_layout_settings_are_validated_with_the_policy() -> None:
    policy = load_policy(None, {"quality": {"layout": "amazon-connect", "keyPrefix": CONNECT}})
    assert policy["quality"].recording_prefix == CONNECT and policy["proof"].recording_prefix == "proof"
    with pytest.raises(PolicyError, match="layout 'avaya' is unknown; use one of recgov, amazon-connect"):
        load_policy(None, {"proof": {"layout": "avaya"}})
    with pytest.raises(PolicyError, match="needs keyPrefix"):
        load_policy(None, {"quality": {"layout": "amazon-connect"}})
    with pytest.raises(PolicyError, match="apply only to buckets of call recordings"):
        load_policy(None, {"evaluations": {"layout": "genesys-cloud"}})
    assert load_policy(None, {"proof": {"layout": "genesys-cloud"}})["proof"].recording_prefix == ""


def test_the_platforms_doc_shows_each_layout_with_its_example_key() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "platforms.md").read_text(encoding="utf-8")
    for name, kind in LAYOUTS.items():
        assert f"| `{name}` | `{kind.example()}`" in doc, name
