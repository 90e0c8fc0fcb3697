"""Report renderers: one judgement, several audiences.

``render(report, fmt)`` turns a :class:`~governance.model.Report` into text for one of ``FORMATS``:

- ``text``: a table for a terminal or CI log, summary and verdict on the last line;
- ``json``: the machine contract of DESIGN section 6 (schema in ``governance/schemas``);
- ``markdown``: a pull-request comment, failures first, every value escaped;
- ``html``: a self-contained page for auditors, with charts and folded evidence, printable to PDF
  (:mod:`governance.report.html`, which also combines several reports into one page);
- ``junit``: one test case per check and resource, for CI test dashboards;
- ``sarif``: SARIF 2.1.0 for code scanning, with rule help and citations.

A report with no results is never called compliant: every format says "no results".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from governance.model import Report
from governance.report.html import render_html
from governance.report.json_report import render_json
from governance.report.junit import render_junit
from governance.report.markdown import render_markdown
from governance.report.sarif import render_sarif
from governance.report.text import render_text

Renderer = Callable[[Report], str]

FORMATS: Mapping[str, Renderer] = MappingProxyType(
    {
        "text": render_text,
        "json": render_json,
        "markdown": render_markdown,
        "html": render_html,
        "junit": render_junit,
        "sarif": render_sarif,
    }
)
"""Format name -> renderer, in the order the command line lists them."""


class UnknownFormatError(ValueError):
    """A report format that :data:`FORMATS` does not have."""


def render(report: Report, fmt: str) -> str:
    """``report`` rendered in format ``fmt`` (a key of :data:`FORMATS`)."""
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise UnknownFormatError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    return renderer(report)


__all__ = ["FORMATS", "Renderer", "UnknownFormatError", "render"]
