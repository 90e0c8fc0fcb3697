"""Meta: every check and object finding has metadata, a citation, read-only permissions, and an entry in
docs/checks.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from governance.analytics import catalog as analytics_catalog
from governance.audit import catalog
from governance.check_docs import current_section, main, render_catalogue, replace_section
from governance.checks import CHECKS, Check
from governance.checks.base import unknown_principals
from governance.checks.bucket_policy import GROUPS
from governance.model import CheckMeta
from lifecycle.access import AUDITOR_ACTIONS, Principals, deny_requirements
from lifecycle.legal import RULES, Purpose, cite

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.meta.id)
def test_each_check_is_described(check: Check) -> None:
    m = check.meta
    assert re.fullmatch(r"RG-[A-Z0-9]+(-[A-Z0-9]+)+", m.id)
    assert m.title and m.description and m.remediation
    assert m.rules and all(r in RULES for r in m.rules) and cite(*m.rules)
    assert m.permissions
    for permission in m.permissions:
        # Read-only, and granted to the auditor role the program deploys.
        assert permission.split(":")[1].startswith(("Get", "List", "Describe")), permission
        assert permission in AUDITOR_ACTIONS, permission
    assert f"`{m.id}`" in CATALOGUE.read_text(encoding="utf-8")


FINDINGS = (*catalog.OBJECT_CHECKS, *catalog.PROPORTIONALITY_CHECKS, *analytics_catalog.ANALYTICS_CHECKS)


@pytest.mark.parametrize("meta", FINDINGS, ids=lambda m: m.id)
def test_each_object_finding_is_described_and_catalogued(meta: CheckMeta) -> None:
    assert re.fullmatch(r"RG-(OBJ|PROP|ANALYTICS)(-[A-Z0-9]+)+", meta.id)
    assert meta.title and meta.description and meta.remediation
    assert meta.rules and all(r in RULES for r in meta.rules)
    assert meta.permissions and all(p.split(":")[1].startswith(("Get", "List")) for p in meta.permissions)
    assert f"| `{meta.id}` | {meta.severity} |" in CATALOGUE.read_text(encoding="utf-8")


def test_ids_are_unique() -> None:
    ids = [c.meta.id for c in CHECKS] + [m.id for m in FINDINGS]
    assert len(ids) == len(set(ids))


def test_every_bucket_policy_requirement_belongs_to_a_check() -> None:
    grouped = {sid for sids in GROUPS.values() for sid in sids}
    for purpose in Purpose:
        for principals in (unknown_principals(purpose), Principals(deployer=("d",))):
            for req in deny_requirements(purpose, principals, "arn:aws:kms:eu-west-3:1:key/k", 30):
                assert req.sid in grouped, req.sid
    assert set(GROUPS) <= {c.meta.id for c in CHECKS}


def test_the_catalogue_is_generated_from_the_registry() -> None:
    assert current_section(CATALOGUE.read_text(encoding="utf-8")) == render_catalogue(), (
        "run: python -m governance.check_docs --write docs/checks.md")
    assert main(["--check", str(CATALOGUE)]) == 0


def test_a_stale_catalogue_is_detected(tmp_path: Path) -> None:
    stale = tmp_path / "checks.md"
    stale.write_text(replace_section(CATALOGUE.read_text(encoding="utf-8"), "old\n"), encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert main(["--write", str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0
