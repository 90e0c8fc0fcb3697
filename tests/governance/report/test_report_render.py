"""``render`` and ``FORMATS``: every format is listed, renders, and never calls an empty run compliant."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from governance.model import Report
from governance.report import FORMATS, UnknownFormatError, render


def test_formats_are_the_documented_six_in_order() -> None:
    assert list(FORMATS) == ["text", "json", "markdown", "html", "junit", "sarif"]


def test_formats_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        FORMATS["html"] = FORMATS["text"]  # type: ignore[index]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_render_dispatches_to_the_format(sample_report: Report, fmt: str) -> None:
    out = render(sample_report, fmt)
    assert out == FORMATS[fmt].render(sample_report)
    assert out.endswith("\n")
    assert "acme-rec-quality" in out


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_renders_an_empty_report_as_no_results(empty_report: Report, fmt: str) -> None:
    out = render(empty_report, fmt)
    if fmt == "json":
        doc = json.loads(out)
        assert doc["results"] == [] and doc["summary"] == {"pass": 0, "fail": 0, "error": 0}
        return
    if fmt == "junit":
        ET.fromstring(out.encode("utf-8"))
    assert "NO RESULTS" in out
    assert "COMPLIANT" not in out.replace("NON-COMPLIANT", "")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_renders_hostile_values_without_raw_control_characters(hostile_report: Report, fmt: str) -> None:
    out = render(hostile_report, fmt)
    assert not any(c in out for c in "\x00\x1b\r\u202e")
    out.encode("utf-8")  # writable as UTF-8


def test_unknown_format_is_a_clear_error(sample_report: Report) -> None:
    with pytest.raises(UnknownFormatError, match="unknown report format 'pdf'; choose one of text, json"):
        render(sample_report, "pdf")


def test_each_format_has_one_extension_and_content_type() -> None:
    extensions = [f.extension for f in FORMATS.values()]
    assert len(set(extensions)) == len(extensions)
    assert FORMATS["junit"].file_name("verify") == "verify.junit.xml"
    assert all(f.content_type for f in FORMATS.values())

