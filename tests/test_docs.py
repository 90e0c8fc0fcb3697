"""The README and docs/ lead somewhere: every relative link resolves, and the README's offline commands
run as written through the installed ``recgov``."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RECGOV = str(Path(sys.executable).with_name("recgov"))

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor on ``page`` (duplicates numbered as GitHub does)."""
    seen: dict[str, int] = {}
    out = set()
    for line in _FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        if m := re.match(r"#{1,6}\s+(.*)", line):
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(page: Path) -> list[str]:
    """Relative link targets on ``page``, outside code blocks."""
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    return [t for t in _LINK.findall(text) if not re.match(r"[a-z]+:", t)]


def test_the_slug_is_githubs() -> None:
    assert slug("What `make demo` shows, offline") == "what-make-demo-shows-offline"
    assert slug("Configuration keys (namespace `recgov:`)") == "configuration-keys-namespace-recgov"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    for target in links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name}: {target} names a missing file"
        if anchor:
            assert dest.suffix == ".md", f"{page.name}: {target}: an anchor into a file that is not Markdown"
            assert anchor in anchors(dest), f"{page.name}: {target}: no such heading in {dest.name}"


def test_the_readme_leads_to_every_page() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links(ROOT / "README.md")}
    assert {p.resolve() for p in PAGES[1:]} <= linked


def readme_commands() -> list[str]:
    """The README's ``recgov`` command lines that need no account: policy commands and help (outside
    the Pulumi walk-through, whose stack file ``pulumi config set`` writes first)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M) if "\npulumi " not in "\n" + b]
    lines = [line for block in blocks for line in block.splitlines()]
    commands = [re.sub(r"\s+#.*$", "", line).strip() for line in lines if line.startswith("recgov ")]
    return [c for c in commands if c.startswith("recgov policy") or c.endswith("--help")]


OFFLINE = readme_commands()


def test_the_readme_shows_the_offline_commands() -> None:
    shown = set(OFFLINE)
    assert {"recgov policy validate --stack-config Pulumi.dev.yaml", "recgov policy show"} <= shown
    for command in ("policy", "verify", "audit-objects", "proportionality", "sandbox deploy", "demo"):
        assert f"recgov {command} --help" in shown


@pytest.mark.parametrize("command", OFFLINE)
def test_a_readme_command_runs_as_written(command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    args = shlex.split(command)
    done = subprocess.run([RECGOV, *args[1:]], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and "Traceback" not in done.stderr
