"""The record of processing follows the policy."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from click.testing import CliRunner

from governance.cli import main
from governance.register import register_entries, render_register
from lifecycle.loader import load_policy


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
