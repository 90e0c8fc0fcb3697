"""Analytics and derived data declared in the policy: what the AI Act forbids is refused before deploy."""

from __future__ import annotations

import re

import pytest

from lifecycle.analytics import AgentUse, Analytics, Participant
from lifecycle.loader import default_policy_text, load_policy
from lifecycle.policy import PolicyError
from lifecycle.render import render_bucket

QUALITY_LINE = "    samplingRate: 0.25         # R2: record 20-30 % of calls, at random\n"


def with_quality(extra: str, overrides: dict[str, object] | None = None) -> object:
    text = default_policy_text()
    assert QUALITY_LINE in text
    return load_policy(text.replace(QUALITY_LINE, QUALITY_LINE + extra), overrides)


@pytest.mark.parametrize(("analytics", "fragments"), [
    ("{emotionFromVoice: [agent], agentUse: training-only}", ["emotionFromVoice includes agent", "R11",
                                                            "Art. 5(1)(f)"]),
    ("{sentiment: [agent]}", ["sentiment includes agent with agentUse none", "training-only", "R11"]),
    ("{sentiment: [agent], agentUse: none}", ["agentUse none", "R11"]),
    ("{emotionFromVoice: [customer]}", ["without customerNotice: true", "R14", "Art. 50(3)"]),
    ("{sentiment: [boss]}", ["'boss' is not a participant"]),
    ("{agentUse: always}", ["agentUse 'always' must be none or training-only"]),
    ("{transcription: yes please}", ["transcription must be true or false"]),
    ("{moods: [agent]}", ["unknown key 'moods'"]),
])
def test_unlawful_or_malformed_analytics_are_refused(analytics: str, fragments: list[str]) -> None:
    with pytest.raises(PolicyError) as err:
        with_quality(f"    analytics: {analytics}\n")
    text = str(err.value)
    assert all(f in text for f in fragments), text


def test_lawful_analytics_are_kept_with_their_condition() -> None:
    policy = with_quality("    analytics: {transcription: true, sentiment: [customer, agent], agentUse: training-only,"
                          " emotionFromVoice: [customer], customerNotice: true, redaction: true}\n")
    analytics = policy["quality"].analytics  # type: ignore[index]
    assert analytics == Analytics(True, frozenset(Participant), frozenset({Participant.CUSTOMER}),
                                  AgentUse.TRAINING_ONLY, True, True)
    assert analytics.conditions() and "never shared with HR" in analytics.conditions()[0]
    assert policy.as_dict()["quality"]["analytics"]["agentUse"] == "training-only"  # type: ignore[attr-defined]


def test_analytics_apply_only_to_recordings() -> None:
    text = default_policy_text().replace("    writers: \"Evaluation tool\"\n",
                                         "    writers: \"Evaluation tool\"\n    analytics: {transcription: true}\n")
    with pytest.raises(PolicyError, match="evaluations: derived and analytics apply only to buckets of call"):
        load_policy(text)


def test_derived_kinds_default_to_the_layouts_and_to_the_recordings_retention() -> None:
    policy = load_policy(None, {"quality": {"layout": "amazon-connect", "keyPrefix": "connect/a/CallRecordings"}})
    quality = policy["quality"]
    assert [d.kind for d in quality.derived] == ["analysis", "analysis-redacted", "recording-redacted"]
    assert {quality.derived_retention(d) for d in quality.derived} == {quality.retention_days}
    assert policy["evaluations"].derived == ()


@pytest.mark.parametrize(("derived", "fragment"), [
    ("{transcript: {retentionDays: 120}}", "longer than the recordings' 90 days"),
    ("{transcript: {retentionDays: 30}}", "shorter than the 90 days the bucket's default Object Lock"),
    ("{sentiment: {}}", "derived kind 'sentiment' is unknown to the recgov layout"),
    ("{transcript: {prefix: /abs}}", "must not start with '/'"),
    ("{transcript: {keep: forever}}", "unknown key 'keep'"),
])
def test_derived_settings_are_refused_with_the_reason(derived: str, fragment: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(fragment)):
        with_quality(f"    derived: {derived}\n")


def test_a_shorter_derived_retention_is_deployed_as_its_own_expiry() -> None:
    policy = with_quality("    objectLockDays: 29\n    derived: {transcript: {retentionDays: 30}, analysis: {}}\n")
    spec = render_bucket(policy["quality"])  # type: ignore[index]
    extra = [r for r in spec.lifecycle["Rules"] if r["ID"].startswith("expire-derived")]
    assert extra == [{"ID": "expire-derived-1", "Status": "Enabled", "Filter": {"Prefix": "derived/transcripts/"},
                      "Expiration": {"Days": 27}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]
    assert spec.worst_case.days == 90


def test_the_derived_data_doc_shows_each_kind_with_an_example_it_matches() -> None:
    from pathlib import Path

    from lifecycle.layouts import LAYOUTS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "derived-data.md").read_text(encoding="utf-8")
    for name, layout in LAYOUTS.items():
        for kind in layout.derived:
            row = f"| `{name}` | `{kind.kind}` | `{kind.example()}` |"
            assert row in doc, row
            assert kind.call_id(kind.example()) is not None
