"""``subject find --engine athena``: one statement over the inventory table finds what the DuckDB search finds.

Athena is the object audit's test double (:mod:`tests.governance.audit.athena_double`): every statement
sent runs, as sent, in DuckDB over the table as each of AWS's DDLs types it, and answers in Athena's
result shape.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.audit.athena import AthenaQueryError
from governance.audit.files import open_inventory
from governance.cli import main
from governance.subject.athena import find_in_athena
from governance.subject.inventory import find_in_inventory
from governance.subject.stored import Scope
from lifecycle.legal import Purpose
from lifecycle.loader import load_policy
from tests.governance.audit.athena_double import DT, TARGET, TYPINGS, DuckAthena, athena_table, format_of, glue_for
from tests.governance.audit.inventories import Row, write_inventory
from tests.governance.subject.test_inventory import ROWS, WHEN

CALLS = ["C1", "C10", "C2"]
EXTRA = [Row("quality/2026/11/01/C 2+%.wav", WHEN, "f"), Row("quality/2026/11/01/C2.wav", WHEN, "g")]


@pytest.mark.parametrize("typing", TYPINGS)
def test_one_statement_finds_what_duckdb_finds_in_every_typing(tmp_path: Path, typing: str) -> None:
    manifest = write_inventory(tmp_path, "recgov-x-quality", [*ROWS, *EXTRA], format_of(typing), files=3)
    policy = load_policy()
    local = find_in_inventory(str(manifest), policy, None, CALLS)
    with open_inventory(str(manifest)) as inv:
        client = DuckAthena(athena_table(tmp_path, {DT: inv.paths}, inv.manifest.fields, typing))
        remote = find_in_athena(client, glue_for(inv.manifest.fields, typing), TARGET, inv.manifest,
                                Scope("recgov-x-quality", policy[Purpose.QUALITY]), CALLS)
    assert remote.versions == local.versions
    assert {v.version_id for v in remote.versions} == {"a", "b", "m", "c", "g"}
    assert len(client.statements) == 1, "every call in one query"
    assert f"dt = '{DT}' AND \"$path\" IN (" in client.statements[0]


def test_a_table_that_misses_the_delivery_is_refused_not_empty(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, "recgov-x-quality", ROWS)
    with open_inventory(str(manifest)) as inv:
        client = DuckAthena(athena_table(tmp_path, {"2020-01-01-01-00": inv.paths}, inv.manifest.fields,
                                         TYPINGS[0]))
        with pytest.raises(AthenaQueryError, match="Athena read no row"):
            find_in_athena(client, glue_for(inv.manifest.fields, TYPINGS[0]), TARGET, inv.manifest,
                           Scope("recgov-x-quality", load_policy()[Purpose.QUALITY]), ["C1"])


@pytest.mark.parametrize(("args", "said"), [
    (["--engine", "athena", "--inventory", "s3://inv/m/manifest.json"], "needs --athena-database"),
    (["--engine", "athena", "--inventory", "local/manifest.json", "--athena-database", "d", "--athena-table", "t"],
     "exactly one --inventory s3://"),
    (["--engine", "athena", "--athena-database", "d", "--athena-table", "t"], "exactly one --inventory s3://"),
    (["--athena-table", "t", "--inventory", "s3://inv/m/manifest.json"], "go with --engine athena"),
])
def test_athena_options_are_checked_before_anything(args: list[str], said: str) -> None:
    result = CliRunner().invoke(main, ["subject", "find", "--call-id", "C1", *args])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and said in result.output, result.output


def test_beyond_the_query_limit_the_deliverys_partition_alone_is_read(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import governance.subject.athena as athena

    manifest = write_inventory(tmp_path, "recgov-x-quality", ROWS, files=3)
    monkeypatch.setattr(athena, "QUERY_BYTES_LIMIT", 1000)
    with open_inventory(str(manifest)) as inv:
        client = DuckAthena(athena_table(tmp_path, {DT: inv.paths}, inv.manifest.fields, TYPINGS[0]))
        found = find_in_athena(client, glue_for(inv.manifest.fields, TYPINGS[0]), TARGET, inv.manifest,
                               Scope("recgov-x-quality", load_policy()[Purpose.QUALITY]), ["C1"])
    assert [v.version_id for v in found.versions] == ["a", "b", "m"]
    assert '"$path"' not in client.statements[0] and f"dt = '{DT}'" in client.statements[0]


def test_beyond_the_query_limit_without_a_partition_the_search_is_refused(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import governance.subject.athena as athena

    manifest = write_inventory(tmp_path, "recgov-x-quality", ROWS, files=3)
    monkeypatch.setattr(athena, "QUERY_BYTES_LIMIT", 1000)
    with open_inventory(str(manifest)) as inv:
        client = DuckAthena(athena_table(tmp_path, {DT: inv.paths}, inv.manifest.fields, TYPINGS[0]))
        with pytest.raises(AthenaQueryError, match=r"finding the calls over 3 data files needs one statement beyond "
                                                   r"Athena's 1000-byte limit; partition table .* by dt"):
            find_in_athena(client, glue_for(inv.manifest.fields, TYPINGS[0], partitions=()), TARGET, inv.manifest,
                           Scope("recgov-x-quality", load_policy()[Purpose.QUALITY]), ["C1"])
    assert client.statements == [], "nothing is sent"
