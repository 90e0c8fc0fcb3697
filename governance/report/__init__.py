"""Report formats: one judgement, several audiences, each format declared once in :data:`FORMATS`.

A :class:`Format` is the name ``--format`` takes, its renderer, the file extension a report is written
with (the demo's files, the archive's keys) and the content type it is stored with:

- ``text``: a table for a terminal or CI log, summary and verdict on the last line;
- ``json``: the machine contract of DESIGN section 6 (schema in ``governance/schemas``);
- ``markdown``: a pull-request comment, failures first, every value escaped;
- ``html``: a self-contained page for auditors, with charts and folded evidence, printable to PDF
  (:mod:`governance.report.html`, which also combines several reports into one page);
- ``junit``: one test case per check and resource, for CI test dashboards;
- ``sarif``: SARIF 2.1.0 for code scanning, with rule help and citations.

``render(report, fmt)`` turns a :class:`~governance.model.Report` into text in one of them. A report
with no results is never called compliant: every format says "no results".

Each renderer's module loads when a report is first rendered in it: every command declares its
``--format`` choices from these records, and one that renders no report (``policy validate`` in a
pre-commit hook) should not load the HTML report to start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from types import MappingProxyType

from governance.model import Report

Renderer = Callable[[Report], str]


@dataclass(frozen=True)
class Format:
    """A report format: ``--format`` name, renderer, file extension (no dot) and content type."""

    name: str
    render: Renderer
    extension: str
    content_type: str

    def file_name(self, stem: str) -> str:
        """``stem`` with this format's extension: ``verify`` -> ``verify.junit.xml``."""
        return f"{stem}.{self.extension}"


def _loaded(module: str, function: str) -> Renderer:
    """A renderer that imports ``governance.report.<module>`` when it first renders (see the module docstring)."""

    def render(report: Report) -> str:
        renderer: Renderer = getattr(import_module(f"governance.report.{module}"), function)
        return renderer(report)

    return render


TEXT = Format("text", _loaded("text", "render_text"), "txt", "text/plain; charset=utf-8")
JSON = Format("json", _loaded("json_report", "render_json"), "json", "application/json")
MARKDOWN = Format("markdown", _loaded("markdown", "render_markdown"), "md", "text/markdown; charset=utf-8")
HTML = Format("html", _loaded("html", "render_html"), "html", "text/html; charset=utf-8")
JUNIT = Format("junit", _loaded("junit", "render_junit"), "junit.xml", "application/xml")
"""``.junit.xml``: still XML to a tool matching ``*.xml``, and says which XML it is."""
SARIF = Format("sarif", _loaded("sarif", "render_sarif"), "sarif", "application/sarif+json")

FORMATS: Mapping[str, Format] = MappingProxyType({f.name: f for f in (TEXT, JSON, MARKDOWN, HTML, JUNIT, SARIF)})
"""Format name -> format, in the order the command line lists them."""


class UnknownFormatError(ValueError):
    """A report format that :data:`FORMATS` does not have."""


def format_named(fmt: str) -> Format:
    """The format called ``fmt``; :class:`UnknownFormatError` names the choices otherwise."""
    try:
        return FORMATS[fmt]
    except KeyError:
        raise UnknownFormatError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def render(report: Report, fmt: str) -> str:
    """``report`` rendered in format ``fmt`` (a key of :data:`FORMATS`)."""
    return format_named(fmt).render(report)


__all__ = ["FORMATS", "HTML", "JSON", "JUNIT", "MARKDOWN", "SARIF", "TEXT", "Format", "Renderer",
           "UnknownFormatError", "format_named", "render"]
