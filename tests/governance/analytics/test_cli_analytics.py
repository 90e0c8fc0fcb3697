"""``recgov audit-analytics`` through the real command: exit codes, formats, bad input in one sentence."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from governance.analytics import catalog
from governance.report import FORMATS
from tests.governance.analytics.contact_lens import CUSTOMER_ONLY, TRAINING, policy_text, write
from tests.governance.cli_runner import recgov
from tests.governance.report.test_report_json import validate as validate_json
from tests.governance.report.test_report_sarif import validate as validate_sarif


def policy_file(tmp_path: Path, analytics: str | None) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(policy_text(analytics), encoding="utf-8")
    return str(path)


def directory(tmp_path: Path) -> Path:
    root = tmp_path / "analysis"
    root.mkdir()
    return root


def test_lawful_training_only_analytics_exit_0_and_say_the_condition(tmp_path: Path) -> None:
    root = directory(tmp_path)
    for contact in ("c1", "c2"):
        write(root, contact, loudness=False)
        write(root, contact, redacted=True, loudness=False)
    code, out, err = recgov("audit-analytics", str(root), "--purpose", "quality",
                            "--policy", policy_file(tmp_path, TRAINING))
    assert code == 0, out + err
    assert "Verdict: COMPLIANT" in out and "never shared with HR" in out
    assert "analytics_contacts (2 rows)" in out


def test_agent_scores_exit_1_naming_the_contacts(tmp_path: Path) -> None:
    root = directory(tmp_path)
    write(root, "scored-agent", loudness=False)
    write(root, "customer-only", agent=False, loudness=False)
    code, out, _ = recgov("audit-analytics", str(root), "--purpose", "quality",
                          "--policy", policy_file(tmp_path, CUSTOMER_ONLY),
                          "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["kind"] == "audit-analytics"
    agent = next(r for r in doc["results"] if r["check"] == catalog.AGENT_SCORES.id)
    assert agent["status"] == "fail" and agent["severity"] == "high"
    assert agent["observed"]["contacts"] == ["scored-agent"]
    assert [r["contact_id"] for r in doc["tables"]["analytics_contacts"]] == ["customer-only", "scored-agent"]
    # The declaration judged against travels with the report (the HTML report's declared analytics).
    assert [(r["purpose"], r["sentiment"]) for r in doc["tables"]["declared_analytics"]] == [("quality", ["customer"])]
    assert {r["kind"] for r in doc["tables"]["derived_data"] if r["purpose"] == "quality"} == {
        "analysis", "analysis-redacted", "recording-redacted"}


def test_a_bad_file_is_an_error_by_name_and_the_rest_is_still_judged(tmp_path: Path) -> None:
    root = directory(tmp_path)
    write(root, "scored-agent", loudness=False)
    bad = root / "Analysis/Voice/2025/03/14/broken_analysis_2025-03-14T09:41:07Z.json"
    bad.write_text("{ truncated", encoding="utf-8")
    code, out, _ = recgov("audit-analytics", str(root), "--purpose", "quality",
                          "--policy", policy_file(tmp_path, CUSTOMER_ONLY),
                          "--format", "json")
    doc = json.loads(out)
    assert code == 1, "the failure of the readable file wins"
    errors = [r for r in doc["results"] if r["status"] == "error"]
    assert [(r["check"], r["resource"]) for r in errors] == [(catalog.READABLE.id, str(bad))]
    assert "is not JSON" in errors[0]["message"]


def test_only_errors_exit_3(tmp_path: Path) -> None:
    root = directory(tmp_path)
    (root / "no-participants.json").write_text(json.dumps({"Transcript": []}), encoding="utf-8")
    (root / "garbage.json").write_bytes(b"\x00\x01")
    code, out, _ = recgov("audit-analytics", str(root), "--purpose", "quality",
                          "--policy", policy_file(tmp_path, CUSTOMER_ONLY))
    assert code == 3, out
    words = " ".join(out.split())  # the text report wraps messages between words
    assert "no-participants.json has no Participants" in words and "garbage.json is not JSON" in words
    assert "INCOMPLETE" in out


def test_analysis_without_any_declaration_fails(tmp_path: Path) -> None:
    root = directory(tmp_path)
    write(root, "c1", agent=False, loudness=False)
    code, out, _ = recgov("audit-analytics", str(root), "--purpose", "quality", "--policy", policy_file(tmp_path, None))
    assert code == 1 and catalog.DECLARED.id in out


def test_missing_redacted_counterpart_fails(tmp_path: Path) -> None:
    root = directory(tmp_path)
    write(root, "c1", loudness=False)
    write(root, "c1", redacted=True, loudness=False)
    write(root, "c2", loudness=False)
    code, out, _ = recgov("audit-analytics", str(root), "--purpose", "quality",
                          "--policy", policy_file(tmp_path, TRAINING),
                          "--format", "json")
    redaction = next(r for r in json.loads(out)["results"] if r["check"] == catalog.REDACTION.id)
    assert code == 1 and redaction["observed"] == {"contacts": ["c2"]}


def test_sample_limits_the_contacts_judged_per_day(tmp_path: Path) -> None:
    root = directory(tmp_path)
    for n in range(6):
        write(root, f"c{n}", agent=False, loudness=False, day="2025/03/14")
        write(root, f"d{n}", agent=False, loudness=False, day="2025/03/15")
    args = (str(root), "--purpose", "quality", "--policy", policy_file(tmp_path, CUSTOMER_ONLY), "--format", "json")
    code, out, _ = recgov("audit-analytics", *args, "--sample", "2")
    doc = json.loads(out)
    assert code == 0 and len(doc["tables"]["analytics_contacts"]) == 4
    assert doc["target"]["sample_per_day"] == 2 and doc["target"]["sources"][0]["listed"] == 12
    assert json.loads(recgov("audit-analytics", *args, "--sample", "2")[1])["tables"] == doc["tables"], "deterministic"


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_renders_and_output_writes_a_file(tmp_path: Path, fmt: str) -> None:
    root = directory(tmp_path)
    write(root, "scored-agent")
    target = tmp_path / f"report.{fmt}"
    code, out, err = recgov("audit-analytics", str(root), "--purpose", "quality",
                            "--policy", policy_file(tmp_path, CUSTOMER_ONLY),
                            "--format", fmt, "--output", str(target))
    assert code == 1 and out == "" and f"wrote {target}" in err
    text = target.read_text(encoding="utf-8")
    assert catalog.AGENT_SCORES.id in text
    if fmt == "json":
        validate_json(json.loads(text))
    if fmt == "sarif":
        validate_sarif(json.loads(text))
    if fmt in ("junit", "html"):
        assert "scored-agent" in text
    if fmt == "junit":
        ET.fromstring(text)


@pytest.mark.parametrize(("args", "words"), [
    ((), "give a DIRECTORY, an s3://BUCKET/PREFIX or --bucket NAME=PURPOSE"),
    (("ANALYSIS",), "cannot be told from its name; give it with --purpose"),
    (("nowhere/at/all", "--purpose", "quality"), "does not exist"),
    (("http://x/y", "--purpose", "quality"), "is neither a local directory nor an s3://"),
    (("s3:///x", "--purpose", "quality"), "is not an s3://BUCKET/PREFIX URL"),
    (("s3:///x",), "is not an s3://BUCKET/PREFIX URL"),
    (("--bucket", "nameonly"), "expected NAME=PURPOSE"),
    (("--bucket", "b=evidence"), "keeps no analysis files for evidence"),
    (("--bucket", "b=quality", "--purpose", "quality"), "--purpose applies to DIRECTORY and s3:// sources"),
])
def test_usage_errors_exit_2_in_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             args: tuple[str, ...], words: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ANALYSIS").mkdir()
    code, out, err = recgov("audit-analytics", *args)
    assert code == 2 and out == ""
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_help_has_an_example() -> None:
    code, out, _ = recgov("audit-analytics", "--help")
    assert code == 0 and "Example: recgov audit-analytics" in out


def test_a_local_audit_does_not_load_the_aws_sdk(tmp_path: Path) -> None:
    root = directory(tmp_path)
    write(root, "c1", agent=False, loudness=False)
    code = (
        "import sys\n"
        "from governance.cli import main\n"
        "try:\n"
        f"    main(['audit-analytics', {str(root)!r}, '--purpose', 'quality', '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('boto3' in sys.modules, 'duckdb' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False"
