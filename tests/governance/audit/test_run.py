"""The object audit's engines are declared once: the command line's choices and refusals come from them."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from governance.audit.athena import AthenaTarget
from governance.audit.errors import AuditInputError
from governance.audit.run import ENGINES, INVENTORY_ENGINES, InventoryTarget, Options, audit_objects
from governance.commands.audit import audit_objects_command
from governance.targets import Target
from lifecycle.legal import Purpose
from lifecycle.policy import Policy


def test_every_engine_is_declared_once_and_engine_offers_those_that_read_inventories() -> None:
    names = [e.name for e in ENGINES]
    assert len(names) == len(set(names))
    option = next(p for p in audit_objects_command.params if p.name == "engine")
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == [e.name for e in ENGINES if e.reads == "inventory"] == ["duckdb", "athena"]
    assert [e.name for e in ENGINES if e.reads == "bucket"] == ["listing"]
    assert all(e.description in str(option.help) for e in INVENTORY_ENGINES.values())


@pytest.mark.parametrize(("inventories", "buckets", "athena", "message"), [
    (["s3://b/m.json"], [Target("b", Purpose.QUALITY)], True, "audits exactly one --inventory s3://"),
    (["local/manifest.json"], [], True, "audits exactly one --inventory s3://"),
    (["s3://b/m.json", "s3://b/n.json"], [], True, "audits exactly one --inventory s3://"),
    (["s3://b/m.json"], [], False, "needs --athena-database and --athena-table"),
])
def test_the_library_refuses_what_the_athena_engine_cannot_run_before_reading_anything(
        default_policy: Policy, inventories: list[str], buckets: list[Target], athena: bool, message: str) -> None:
    options = Options(engine="athena", athena=AthenaTarget("db", "t") if athena else None)

    def no_client() -> None:
        raise AssertionError("nothing may be read before the refusal")

    with pytest.raises(AuditInputError, match=message):
        audit_objects(default_policy, [InventoryTarget(i) for i in inventories], buckets, options, no_client)


def test_an_unknown_engine_is_bad_input(default_policy: Policy) -> None:
    with pytest.raises(AuditInputError, match="--engine spark is not one of duckdb, athena"):
        audit_objects(default_policy, [InventoryTarget("m.json")], [], Options(engine="spark"))


def test_the_audit_library_does_not_load_click() -> None:
    """The command line draws progress bars; the library only tells a progress object it is given."""
    code = ("import sys\nimport governance.audit.run, governance.audit.live, governance.audit.engine\n"
            "print('click' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
