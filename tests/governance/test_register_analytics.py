"""The register and `policy validate` show declared analytics and derived data, with their conditions."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from governance.cli import main
from governance.register import register_entries, render_register
from lifecycle.loader import default_policy_text, load_policy

QUALITY_LINE = "    samplingRate: 0.25         # R2: record 20-30 % of calls, at random\n"
ANALYTICS = ("    analytics: {transcription: true, sentiment: [customer, agent], agentUse: training-only}\n"
             "    derived: {transcript: {}, analysis: {}}\n")


def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(default_policy_text().replace(QUALITY_LINE, QUALITY_LINE + ANALYTICS), encoding="utf-8")
    return path


def test_the_register_lists_analytics_with_the_training_only_condition(tmp_path: Path) -> None:
    policy = load_policy(policy_file(tmp_path).read_text(encoding="utf-8"))
    quality = next(e for e in register_entries(policy) if e["purpose"] == "quality")
    assert quality["derived_data"] == ("transcript under derived/transcripts/ (90 days, never beyond its recording); "
                                       "analysis under derived/analysis/ (90 days, never beyond its recording)")
    assert "sentiment of agent and customer" in quality["analytics"]
    assert "never shared with HR" in quality["analytics"]
    assert any(c.startswith("R11 ") for c in quality["citations"])
    proof = next(e for e in register_entries(policy) if e["purpose"] == "proof")
    assert proof["analytics"] is None and "derived/transcripts/" in proof["derived_data"]
    for fmt in ("markdown", "html"):
        text = render_register(policy, fmt)
        assert "Speech analytics" in text and "Derived data kept" in text


def test_policy_validate_repeats_the_condition(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["policy", "validate", "--policy", str(policy_file(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "condition: quality: agent sentiment scores serve the agent's own training only" in result.output
