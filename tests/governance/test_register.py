"""The record of processing follows the policy."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from governance.cli import main
from governance.register import register_entries, render_register
from lifecycle.loader import default_policy_text, load_policy


def test_every_purpose_has_an_entry_with_every_art30_field() -> None:
    entries = register_entries(load_policy())
    assert [e["purpose"] for e in entries] == ["quality", "proof", "evaluations", "access-logs", "evidence"]
    for e in entries:
        for field in ("description", "legal_basis", "categories_of_data", "categories_of_persons", "recipients",
                      "erasure_time_limit", "security_measures"):
            assert e[field], f"{e['purpose']}: {field} empty"
        assert any("GDPR Art. 30(1)" in c for c in e["citations"])


def test_changing_a_retention_changes_the_register() -> None:
    before = render_register(load_policy(), "markdown")
    after = render_register(load_policy(None, {"quality": {"retentionDays": 45}}), "markdown")
    assert "gone within 90 days" in before and "gone within 45 days" in after
    assert before != after


def test_formats_parse() -> None:
    doc = json.loads(render_register(load_policy(), "json"))
    assert doc["policy_digest"].startswith("sha256:") and len(doc["entries"]) == 5
    page = render_register(load_policy(), "html")
    HTMLParser().feed(page)
    assert page.startswith("<!doctype html>") and "<h2>proof</h2>" in page


def test_command_writes_a_file(tmp_path: object) -> None:
    target = f"{tmp_path}/register.md"
    result = CliRunner().invoke(main, ["policy", "register", "--output", target])
    assert result.exit_code == 0
    with open(target, encoding="utf-8") as fh:
        assert fh.read().startswith("# Record of processing activities")


def _policy_with(tmp_path: Path, controller: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(controller + default_policy_text(), encoding="utf-8")
    return path


def test_the_controller_comes_from_the_policy_file_and_what_is_missing_is_shown(tmp_path: Path) -> None:
    path = _policy_with(tmp_path, "controller:\n  name: Example SAS\n  contact: privacy@example.com\n"
                                  "  dpo: dpo@example.com\n")
    result = CliRunner().invoke(main, ["policy", "register", "--policy", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["controller"] == {"name": "Example SAS", "contact": "privacy@example.com", "dpo": "dpo@example.com",
                                 "transfers": None}
    assert doc["missing"] == ["Transfers outside the EU"]
    assert "Transfers outside the EU" in result.stderr and len(result.stderr.splitlines()) == 1
    markdown = CliRunner().invoke(main, ["policy", "register", "--policy", str(path)]).stdout
    assert "| Controller | Example SAS |" in markdown
    assert "| Transfers outside the EU | not configured" in markdown
    packaged = render_register(load_policy(), "html")
    assert packaged.count("not configured") == 4


def test_an_unknown_controller_key_is_refused(tmp_path: Path) -> None:
    path = _policy_with(tmp_path, "controller:\n  name: Example SAS\n  phone: 5\n")
    result = CliRunner().invoke(main, ["policy", "validate", "--policy", str(path)])
    assert result.exit_code == 2 and "controller: unknown key 'phone'" in result.stderr
