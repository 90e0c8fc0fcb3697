"""The HTML report: self-contained, complete, inert whatever the account holds, and sound in a browser."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from governance.model import Report, Result, Severity, Status, Summary
from governance.register import declared_processing
from governance.report import render
from governance.report.charts import FAIL_COLOUR, OK_COLOUR
from governance.report.digest import evidence_digest
from governance.report.html import render_combined, render_html
from governance.report.html_sections import esc
from governance.report.html_style import CSP
from governance.report.json_report import render_json
from lifecycle.legal import RULES, cite
from lifecycle.loader import default_policy_text, load_policy
from tests.governance.report import browser

SCRIPT_KEY = "quality/2025/01/02/<script>document.title='PWNED'</script>.wav"
IMG_KEY = "quality/<img src=x onerror=\"document.title='PWNED'\">.wav"
TAG_KEY = '<b id="injected">bold</b>'
HOSTILE_KEYS = (SCRIPT_KEY, IMG_KEY, TAG_KEY)

EMITTED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "div", "section", "nav", "footer", "p", "h1", "h2",
    "h3", "h4", "ul", "ol", "li", "dl", "dt", "dd", "b", "small", "code", "pre", "br", "a", "table", "colgroup",
    "col", "thead", "tbody", "tr", "th", "td", "details", "summary", "figure", "figcaption", "svg", "line",
    "rect", "text", "desc", "span",
}
"""Every element the renderer writes; any other element in the output came from a value."""


class Page(HTMLParser):
    """The elements, attributes and text of a rendered page."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, name, value) for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def values(self, attribute: str) -> list[str | None]:
        """Every value of ``attribute`` on any element."""
        return [v for _, name, v in self.attrs if name == attribute]


def tables() -> dict[str, list[dict[str, object]]]:
    """The object audit's register, an age distribution, proportionality's agent months and the policy's
    declared analytics (agent sentiment for training only) and derived data."""
    ages = [{"bucket": "acme-rec-quality", "purpose": "quality", "age_days": age, "versions": n, "limit_days": 181}
            for age, n in ((0, 40), (30, 55), (90, 61), (150, 47), (180, 30), (181, 4), (200, 3))]
    months = [
        {"agent_id": agent, "month": month, "calls": 400, "recordings": rec, "rate": rec / 400, "max_rate": 0.3}
        for agent, month, rec in (("agent-001", "2025-01", 80), ("agent-001", "2025-02", 96),
                                  ("agent-002", "2025-01", 380), ("agent-003", "2025-01", 40))
    ]
    holds = [{"bucket": "acme-rec-proof", "key": "proof/2019/03/01/CALL-9.wav", "version_id": "v1",
              "last_modified": "2019-03-01T10:00:00+00:00", "age_days": 2145, "retain_until": None}]
    declaring = load_policy(default_policy_text().replace(
        "  quality:\n", "  quality:\n    analytics: {sentiment: [customer, agent], agentUse: training-only}\n", 1))
    return {"age_distribution": ages, "agent_months": months, "legal_holds": holds,
            **declared_processing(declaring)}


@pytest.fixture
def rich_report(sample_report: Report) -> Report:
    """The sample report with every table the page draws from."""
    return dataclasses.replace(sample_report, tables=tables())


def hostile_key_report(build_report: Callable[..., Report]) -> Report:
    """Markup in object keys, as a resource, a message, evidence, a register row, a chart label and a target."""
    results = tuple(
        Result("RG-OBJ-AGE", key, "quality", Status.FAIL, Severity.HIGH, f"Version {key} is older than 181 days.",
               observed={"first_keys": [key]}, expected=f"none older than 181 days ({key})", citations=cite("R4"))
        for key in HOSTILE_KEYS
    )
    return build_report(
        results,
        target={"bucket": TAG_KEY, "note": SCRIPT_KEY},
        tables={
            "legal_holds": [{"bucket": "acme-rec-proof", "key": k, "age_days": 3} for k in HOSTILE_KEYS],
            "agent_months": [{"agent_id": IMG_KEY, "month": SCRIPT_KEY, "calls": 10, "recordings": 9}],
            "age_distribution": [{"bucket": TAG_KEY, "purpose": "quality", "age_days": 200, "versions": 2}],
            TAG_KEY: [{SCRIPT_KEY: IMG_KEY}],
        },
    )


# -- structure --------------------------------------------------------------------------------------


def test_page_is_self_contained_and_locked_down(rich_report: Report) -> None:
    out = render_html(rich_report)
    page = Page(out)
    assert out.startswith("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
    assert ("http-equiv", "Content-Security-Policy") in [(n, v) for _, n, v in page.attrs]
    assert CSP in page.values("content")
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert set(page.tags) <= EMITTED_TAGS, set(page.tags) - EMITTED_TAGS
    assert "script" not in page.tags and not page.values("src")
    assert all(href and href.startswith("#") for href in page.values("href")), page.values("href")
    assert not [name for _, name, _ in page.attrs if name.startswith("on")]
    assert "url(" not in out and "@import" not in out, "a style sheet must not fetch anything"


def test_verdict_counts_and_provenance_come_first(sample_report: Report) -> None:
    out = render_html(sample_report)
    assert "<title>recgov verify: NON-COMPLIANT</title>" in out
    assert '<div class="banner v-bad">' in out and '<h1 class="word">NON-COMPLIANT</h1>' in out
    assert "4 results: 2 pass, 1 fail, 1 error." in out
    for value in ("2025-01-15T08:30:00+00:00", "recgov 0.1.0", "sha256:3f5a0c9e1b7d", "eu-west-3", "outputs.json",
                  evidence_digest(sample_report)):
        assert value in out, value
    assert out.index("NON-COMPLIANT") < out.index("Provenance") < out.index("Controls by purpose")


@pytest.mark.parametrize(
    ("statuses", "word", "style"),
    [
        ((Status.PASS,), "COMPLIANT", "v-ok"),
        ((Status.PASS, Status.ERROR), "INCOMPLETE", "v-warn"),
        ((Status.PASS, Status.FAIL, Status.ERROR), "NON-COMPLIANT", "v-bad"),
        ((), "NO RESULTS", "v-none"),
    ],
)
def test_verdict_follows_the_common_rule(build_report: Callable[..., Report], statuses: tuple[Status, ...],
                                         word: str, style: str) -> None:
    results = tuple(Result("c", f"b{i}", "quality", s, Severity.LOW, "m") for i, s in enumerate(statuses))
    out = render_html(build_report(results))
    assert f'<div class="banner {style}">' in out and f'<h1 class="word">{word}</h1>' in out


def test_every_control_shows_status_sentence_values_and_the_rules_sources(sample_report: Report) -> None:
    out = render_html(sample_report)
    for r in sample_report.results:
        for value in (r.check, r.resource, r.message, str(r.status).upper()):
            assert esc(value) in out, value
        for citation in r.citations:
            rule = RULES[citation.split()[0]]
            assert f'<b>{rule.id}</b> <small>{esc("; ".join(rule.sources))}</small>' in out, rule.id
            assert f"<td>{esc(rule.title)}</td>" in out, f"{rule.id} missing from the rules cited"
    # Observed and required values as key: value lines, not JSON cut short.
    assert "expiration_days: 90\nnoncurrent_expiration_days: none" in out
    assert "Recordings are gone by the legal maximum" in out  # the control's title from its metadata
    assert "Legal maximum: <b>181 days</b> (6 months)" in out


def test_purposes_in_policy_order_failures_first_and_evidence_folded_per_result(sample_report: Report) -> None:
    out = render_html(sample_report)
    quality, proof, evaluations = (out.index(f"<h3>Purpose: {p}</h3>") for p in ("quality", "proof", "evaluations"))
    assert quality < proof < evaluations
    quality_section = out[quality:proof]
    assert quality_section.index("b-fail") < quality_section.index("b-pass")
    assert out.count("<details><summary>Raw evidence</summary><pre>") == len(sample_report.results)
    assert esc('"error": "AccessDenied"') in out  # the raw JSON, indented, inside the fold


def test_print_style_expands_evidence_and_keeps_rows_whole(sample_report: Report) -> None:
    style = render_html(sample_report).split("@media print", 1)[1]
    assert "details::details-content { content-visibility: visible" in style
    assert "thead { display: table-header-group; }" in style and "break-inside: avoid" in style


def test_empty_report_says_nothing_was_verified(empty_report: Report) -> None:
    out = render_html(empty_report)
    assert '<h1 class="word">NO RESULTS</h1>' in out and "Nothing was verified." in out
    assert "COMPLIANT" not in out.replace("NON-COMPLIANT", "")


def test_html_is_a_registered_format(sample_report: Report) -> None:
    assert render(sample_report, "html") == render_html(sample_report)


# -- escaping ---------------------------------------------------------------------------------------


def test_markup_from_the_account_is_shown_as_text(build_report: Callable[..., Report]) -> None:
    out = render_html(hostile_key_report(build_report))
    page = Page(out)
    assert set(page.tags) <= EMITTED_TAGS, set(page.tags) - EMITTED_TAGS
    assert not [name for _, name, _ in page.attrs if name.startswith("on")]
    assert "injected" not in page.values("id")
    text = "".join(page.text)
    for key in HOSTILE_KEYS:
        # As the resource, in the sentence, in the required value and in the legal-hold register.
        assert text.count(key) >= 4, f"{key!r} is not shown as text everywhere it appears"
    assert "&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;" in out


def test_hostile_fixture_renders_without_raw_markup(hostile_report: Report) -> None:
    out = render_html(hostile_report)
    page = Page(out)
    assert set(page.tags) <= EMITTED_TAGS
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "\\u202eevil\\u202c" in out and "\\x1b[31mred" in out  # shown as escapes, not obeyed


# -- evidence digest --------------------------------------------------------------------------------


def test_evidence_digest_changes_when_a_result_changes(sample_report: Report) -> None:
    first = sample_report.results[0]
    changed = dataclasses.replace(first, observed={**first.observed, "expiration_days": 91})
    other = dataclasses.replace(sample_report, results=(changed, *sample_report.results[1:]))
    assert evidence_digest(sample_report) == evidence_digest(dataclasses.replace(sample_report))
    assert evidence_digest(other) != evidence_digest(sample_report)
    assert evidence_digest(other) in render_html(other) and evidence_digest(sample_report) not in render_html(other)
    with_tables = dataclasses.replace(sample_report, tables=tables())
    assert evidence_digest(with_tables) != evidence_digest(sample_report)


def test_evidence_digest_can_be_recomputed_from_the_json_report(rich_report: Report) -> None:
    doc = json.loads(render_json(rich_report))
    evidence = {"results": doc["results"], "tables": doc.get("tables", {})}
    canonical = json.dumps(evidence, sort_keys=True, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(canonical).hexdigest()
    assert digest == evidence_digest(rich_report)
    assert f"<code>{digest}</code>" in render_html(rich_report)


# -- charts and tables ------------------------------------------------------------------------------


def test_no_chart_without_the_tables_that_feed_it(sample_report: Report) -> None:
    out = render_html(sample_report)
    assert "<svg" not in out and "Legal-hold register" not in out and "Data tables" not in out


def test_charts_register_and_data_tables_when_tables_are_present(rich_report: Report) -> None:
    out = render_html(rich_report)
    assert out.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    histogram, rates = re.findall(r"<svg .*?</svg>", out)
    assert "limit 181 days" in histogram and "240 versions; 7 are 181 days old or older" in histogram
    assert f'fill="{FAIL_COLOUR}"' in histogram and f'fill="{OK_COLOUR}"' in histogram
    assert "ceiling 30%" in rates and "3 agents shown; 1 above the 30% ceiling" in rates
    # agent-002 recorded 95 % of its calls: its bar is red, drawn first; agent-001's worst month is shown.
    assert rates.index("agent-002") < rates.index("agent-001") and "24% (2025-02)" in rates
    assert re.search(rf'fill="{FAIL_COLOUR}"><title>agent-002: 380 of 400', rates)
    assert "Legal-hold register" in out and "proof/2019/03/01/CALL-9.wav" in out and "2145" in out
    assert "<summary>age_distribution (7 rows)</summary>" in out and "<summary>agent_months (4 rows)</summary>" in out


def test_rate_chart_shows_the_legal_ceiling_when_the_policy_is_stricter(rich_report: Report) -> None:
    months = [{**row, "max_rate": 0.2} for row in rich_report.tables["agent_months"]]
    out = render_html(dataclasses.replace(rich_report, tables={"agent_months": months}))
    assert "ceiling 20%" in out and "R2 30%" in out and "2 above the 20% ceiling" in out


def test_age_limit_defaults_to_the_purposes_legal_maximum(sample_report: Report) -> None:
    ages = [{"bucket": "p", "purpose": "proof", "age_days": 2000}, {"bucket": "p", "purpose": "proof", "age_days": 5}]
    out = render_html(dataclasses.replace(sample_report, tables={"age_distribution": ages}))
    assert "limit 1825 days" in out and "2 versions, <b>1</b> of them 1825 days old or older" in out


# -- combined report --------------------------------------------------------------------------------


def test_combined_report_has_a_section_per_report_and_an_overall_verdict(
    rich_report: Report, build_report: Callable[..., Report]
) -> None:
    passing = build_report((Result("c", "b", "quality", Status.PASS, Severity.LOW, "ok"),), kind="audit-objects")
    empty = build_report((), kind="proportionality", checks=())
    out = render_combined([rich_report, passing, empty])
    assert '<h1 class="word">NON-COMPLIANT</h1>' in out
    for i, title in enumerate(("Storage controls (recgov verify)", "Stored objects (recgov audit-objects)",
                               "Proportionality (recgov proportionality)")):
        assert f'<section class="report" id="r{i}"><h2>{title}</h2>' in out
    ids = Page(out).values("id")
    assert len(ids) == len(set(ids)), "an anchor is defined twice"
    assert '<h1 class="word">INCOMPLETE</h1>' in render_combined([passing, empty]), "a part judged nothing"
    assert '<h1 class="word">COMPLIANT</h1>' in render_combined([passing, passing])
    assert '<h1 class="word">NO RESULTS</h1>' in render_combined([])


# -- in a browser -----------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, markup: str) -> Path:
    path = tmp_path / name
    path.write_text(markup, encoding="utf-8")
    return path


def test_browser_renders_the_report_without_console_errors(rich_report: Report, tmp_path: Path) -> None:
    page = _write(tmp_path, "report.html", render_html(rich_report))
    shot = tmp_path / "report.png"
    run = browser.run(page, tmp_path / "profile", f"--screenshot={shot}")
    assert run.console == [], run.console
    data = shot.read_bytes()
    assert len(data) > 20_000, f"screenshot of {len(data)} bytes"
    image = browser.read_png(data)
    assert (image.width, image.height) == browser.WINDOW
    colours = image.colours()
    assert len(colours) > 50, f"only {len(colours)} colours: the page looks blank"
    # The NON-COMPLIANT banner's background: the style sheet applied and the verdict was drawn.
    assert colours[bytes.fromhex("fdecea")] > 10_000
    dom = browser.run(page, tmp_path / "profile-dom", "--dump-dom").stdout
    assert "Declared speech analytics and derived data" in dom and "never shared with HR" in dom


def test_browser_shows_hostile_keys_as_text_and_runs_nothing(
    build_report: Callable[..., Report], tmp_path: Path
) -> None:
    markup = render_html(hostile_key_report(build_report))
    # Without the CSP as well: escaping alone must keep the markup inert, the policy is a second wall.
    for name, page_markup in (("with-csp.html", markup), ("without-csp.html", _strip_csp(markup))):
        run = browser.run(_write(tmp_path, name, page_markup), tmp_path / f"profile-{name}", "--dump-dom")
        assert run.console == [], (name, run.console)
        assert "<title>recgov verify: NON-COMPLIANT</title>" in run.stdout, name
        dom = Page(run.stdout)
        assert set(dom.tags) <= EMITTED_TAGS, (name, set(dom.tags) - EMITTED_TAGS)
        assert "injected" not in dom.values("id") and not [a for _, a, _ in dom.attrs if a.startswith("on")]
        assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in run.stdout, name
        assert "&lt;img src=x onerror=\"document.title='PWNED'\"&gt;" in run.stdout, name


def test_browser_probe_detects_executed_markup_and_console_errors(tmp_path: Path) -> None:
    """The two probes above can fail: raw markup does run, and a blocked script is reported."""
    raw = f"<!DOCTYPE html><html><head><title>t</title></head><body><p>{IMG_KEY}</p></body></html>"
    run = browser.run(_write(tmp_path, "raw.html", raw), tmp_path / "p1", "--dump-dom")
    assert "<title>PWNED</title>" in run.stdout
    blocked = (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}">'
               f"<title>t</title></head><body>{SCRIPT_KEY}</body></html>")
    run = browser.run(_write(tmp_path, "blocked.html", blocked), tmp_path / "p2", "--dump-dom")
    assert "<title>t</title>" in run.stdout and run.console, "a CSP violation must reach the console log"


def _strip_csp(markup: str) -> str:
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    assert meta in markup
    return markup.replace(meta, "")


def test_browser_renders_the_combined_report_without_console_errors(
    rich_report: Report, empty_report: Report, tmp_path: Path
) -> None:
    page = _write(tmp_path, "combined.html", render_combined([rich_report, empty_report]))
    run = browser.run(page, tmp_path / "profile", "--dump-dom")
    assert run.console == [], run.console
    assert "<title>recgov: NON-COMPLIANT</title>" in run.stdout and 'id="r1"' in run.stdout


def test_failures_come_first_each_linking_to_its_row(sample_report: Report) -> None:
    out = render_html(sample_report)
    problems = [r for r in sample_report.results if r.status is not Status.PASS]
    summary = out[out.index('id="r0-problems"'):out.index("<h2>Provenance</h2>")]
    assert f"Failures and errors ({len(problems)})" in summary
    page = Page(out)
    targets = {h[1:] for h in page.values("href")}
    for i, r in enumerate(sample_report.results):
        linked = f"r0-x{i}" in targets
        assert linked == (r.status is not Status.PASS), r
        if linked:
            assert f'<tbody class="result s-{r.status}" id="r0-x{i}">' in out
    assert summary.index("b-fail") < summary.index("b-error")


def test_the_contents_count_each_purpose(sample_report: Report) -> None:
    nav = render_html(sample_report).split("<nav>", 1)[1].split("</nav>", 1)[0]
    for purpose in {r.purpose for r in sample_report.results}:
        s = Summary.of([r for r in sample_report.results if r.purpose == purpose])
        entry = nav.split(f"Purpose: {purpose}</a>", 1)[1].split("</li>", 1)[0]
        assert f"{s.passed} pass" in entry
        assert (f"{s.failed} fail" in entry) == bool(s.failed)


def test_a_control_cites_its_own_purposes_retention_rule(build_report: Callable[..., Report]) -> None:
    cites = ("R4 (x)", "R5 (y)", "R6 (z)", "R8 (w)")
    out = render_html(build_report((Result("c", "b", "quality", Status.FAIL, Severity.HIGH, "m", citations=cites),)))
    row = out.split('<tbody class="result', 1)[1].split("</tbody>", 1)[0]
    assert "<b>R4</b>" in row and "<b>R8</b>" in row
    assert "<b>R5</b>" not in row and "<b>R6</b>" not in row


def test_long_evidence_is_readable_and_points_to_the_fold(build_report: Callable[..., Report]) -> None:
    observed = {f"rule{i}": {"days": i} for i in range(20)}
    out = render_html(build_report((Result("c", "b", "quality", Status.FAIL, Severity.HIGH, "m", observed=observed),)))
    assert "rule0:\n  days: 0" in out and "more lines in the raw evidence" in out and "…" not in out


def test_browser_shows_the_failures_first_with_working_links(rich_report: Report, tmp_path: Path) -> None:
    run = browser.run(_write(tmp_path, "report.html", render_html(rich_report)), tmp_path / "profile", "--dump-dom")
    assert run.console == [], run.console
    dom = Page(run.stdout)
    assert run.stdout.index("Failures and errors (") < run.stdout.index(">Provenance<")
    ids = set(dom.values("id"))
    links = [h[1:] for h in dom.values("href")]
    assert links and all(target in ids for target in links), set(links) - ids
    problems = sum(r.status is not Status.PASS for r in rich_report.results)
    assert sum(1 for t in links if "-x" in t) == problems
