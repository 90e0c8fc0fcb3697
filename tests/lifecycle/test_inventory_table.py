"""The inventories' Athena table: AWS's DDL, derived from the inventory the program configures."""

from __future__ import annotations

from pathlib import Path

from lifecycle.inventory_table import columns, create_table_ddl, hive_location, table_name
from lifecycle.legal import Purpose
from lifecycle.render import INVENTORY_FIELDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "athena.md"


def test_every_configured_field_is_a_column_typed_as_the_user_guide_types_it() -> None:
    declared = dict(columns())
    assert len(declared) == 5 + len(INVENTORY_FIELDS)
    assert declared["last_modified_date"] == "timestamp" and declared["object_lock_retain_until_date"] == "bigint"
    assert declared["is_delete_marker"] == "boolean" and declared["size"] == "bigint"
    assert declared["object_lock_mode"] == declared["e_tag"] == "string"
    assert [n for n, _ in columns()][:5] == ["bucket", "key", "version_id", "is_latest", "is_delete_marker"]


def test_the_docs_print_the_ddl_the_program_declares() -> None:
    location = hive_location("recgov-prod-access-logs-1a2b3c4", "recgov-prod-proof-5d6e7f8")
    assert location == "s3://recgov-prod-access-logs-1a2b3c4/inventory/recgov-prod-proof-5d6e7f8/recgov-daily/hive/"
    ddl = create_table_ddl("recgov_inventories", table_name(Purpose.PROOF), location)
    assert ddl in DOC.read_text(encoding="utf-8"), "docs/athena.md shows the statement create_table_ddl makes"
    assert "PARTITIONED BY (dt string)" in ddl and "'projection.dt.format' = 'yyyy-MM-dd-HH-mm'" in ddl
