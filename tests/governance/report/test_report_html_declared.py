"""The HTML report's section on declared speech analytics and derived data, drawn from the register's data."""

from __future__ import annotations

import dataclasses

from governance.model import Report
from governance.register import DECLARED_ANALYTICS, DERIVED_DATA, declared_processing, register_entries
from governance.report.html import render_combined, render_html
from governance.targets import Target
from governance.verify import verify
from lifecycle.analytics import TRAINING_ONLY_CONDITION
from lifecycle.legal import Purpose
from lifecycle.loader import default_policy_text, load_policy
from lifecycle.policy import Policy
from tests.governance.support import REGION, Account

QUALITY_LINE = "    samplingRate: 0.25         # R2: record 20-30 % of calls, at random\n"
DECLARED = ("    analytics: {transcription: true, sentiment: [customer, agent], agentUse: training-only, "
            "emotionFromVoice: [customer], customerNotice: true, redaction: true}\n"
            "    derived: {transcript: {retentionDays: 30}, recording-redacted: {prefix: redacted-audio}}\n"
            "    objectLockDays: 29\n")


def declaring_policy() -> Policy:
    return load_policy(default_policy_text().replace(QUALITY_LINE, QUALITY_LINE + DECLARED))


def section(out: str) -> str:
    start = out.index("Declared speech analytics and derived data")
    return out[start:out.index("<h2>", start)]


def test_the_section_lists_per_purpose_the_declared_analytics_and_the_derived_kinds(sample_report: Report) -> None:
    policy = declaring_policy()
    out = section(render_html(dataclasses.replace(sample_report, tables=declared_processing(policy))))
    quality = out[out.index("<h3>quality</h3>"):out.index("<h3>proof</h3>")]
    for label, value in (("Transcription", "yes"), ("Sentiment scored of", "agent, customer"),
                         ("Emotion inferred from the voice of", "customer"), ("Agents&#x27; scores used for",
                                                                               "training-only"),
                         ("Analysis output redacted", "yes")):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in quality, label
    assert "Callers told of emotion recognition (R14" in quality and "</dt><dd>yes</dd>" in quality
    # The training-only condition is repeated with the declaration, as in the register.
    assert TRAINING_ONLY_CONDITION.replace("'", "&#x27;") in quality
    # Derived kinds with prefix and retention: the shorter transcript, the moved redacted audio.
    assert "<td>transcript</td><td>derived/transcripts/</td><td>30</td>" in quality
    assert "<td>recording-redacted</td><td>redacted-audio/</td><td>90</td>" in quality
    proof = out[out.index("<h3>proof</h3>"):]
    assert "No speech analytics declared." in proof and "<td>derived/analysis/</td><td>365</td>" in proof


def test_the_section_states_what_the_register_states(sample_report: Report) -> None:
    policy = declaring_policy()
    tables = declared_processing(policy)
    entry = next(e for e in register_entries(policy) if e["purpose"] == "quality")
    for row in (r for r in tables[DERIVED_DATA] if r["purpose"] == "quality"):
        assert f"{row['kind']} under {row['prefix']} ({row['retention_days']} days" in entry["derived_data"]
    assert [r["purpose"] for r in tables[DECLARED_ANALYTICS]] == ["quality"]
    assert TRAINING_ONLY_CONDITION in entry["analytics"] and tables[DECLARED_ANALYTICS][0]["conditions"] == [
        TRAINING_ONLY_CONDITION]


def test_the_declarations_are_shown_once_not_again_under_data_tables(sample_report: Report,
                                                                      default_policy: Policy) -> None:
    tables = declared_processing(default_policy)
    assert DECLARED_ANALYTICS not in tables  # nothing declared: no empty table
    out = render_html(dataclasses.replace(sample_report, tables=tables))
    assert "Declared speech analytics and derived data" in out and "No speech analytics declared." in out
    assert "Data tables" not in out and "derived_data (" not in out


def test_no_section_without_the_declarations(sample_report: Report) -> None:
    assert "Declared speech analytics" not in render_html(sample_report)


def test_the_combined_page_has_the_section_under_its_report(sample_report: Report) -> None:
    report = dataclasses.replace(sample_report, tables=declared_processing(declaring_policy()))
    out = render_combined([report])
    assert "<h3>Declared speech analytics and derived data</h3>" in out and "<h4>quality</h4>" in out


def test_the_verify_report_carries_the_declarations_to_its_html_page(account: Account) -> None:
    report = verify([Target(account.bucket("quality"), Purpose.QUALITY)], account.policy, region=REGION)
    assert report.tables[DERIVED_DATA] == declared_processing(account.policy)[DERIVED_DATA]
    out = render_html(report)
    assert "Declared speech analytics and derived data" in out
    assert "<td>transcript</td><td>derived/transcripts/</td><td>90</td>" in out
