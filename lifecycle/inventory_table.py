"""The Athena table over a governed bucket's S3 Inventory, declared as the S3 user guide's DDL does.

The guide ("Querying Amazon S3 Inventory with Amazon Athena") creates, for a Parquet or ORC inventory,
an external table over the delivery's Hive symlink files (``<config-id>/hive/dt=…/symlink.txt``),
``PARTITIONED BY (dt string)`` with the ``dt`` partitions projected by date. Its current column types
are kept as they are (``last_modified_date timestamp``, ``object_lock_retain_until_date bigint``): the
audit reads each typing AWS documents, so a table users created by hand and this one audit alike.

One place derives the table from the inventory the program configures: the program declares it in
the Glue Data Catalog (``recgov:athena`` in the stack config) and ``docs/athena.md`` prints the same
``CREATE EXTERNAL TABLE`` for those who create it themselves.
"""

from __future__ import annotations

import re

from lifecycle.legal import Purpose
from lifecycle.render import INVENTORY_FIELDS, INVENTORY_ID, INVENTORY_PREFIX

VERSION_FIELDS = ("Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker")
"""The fields every all-versions inventory lists before the optional ones."""
FIELD_ORDER = (
    *VERSION_FIELDS, "Size", "LastModifiedDate", "ETag", "StorageClass", "IsMultipartUploaded",
    "ReplicationStatus", "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode",
    "ObjectLockLegalHoldStatus", "IntelligentTieringAccessTier", "BucketKeyStatus", "ChecksumAlgorithm",
)
"""The order of the columns in the user guide's DDL."""
HIVE_TYPES = {
    "IsLatest": "boolean", "IsDeleteMarker": "boolean", "Size": "bigint", "LastModifiedDate": "timestamp",
    "IsMultipartUploaded": "boolean", "ObjectLockRetainUntilDate": "bigint",
}
"""The user guide's current Parquet/ORC types; every other field is a ``string``."""
PARTITION = "dt"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
SYMLINK_INPUT = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
IGNORE_KEY_OUTPUT = "org.apache.hadoop.hive.ql.io.IgnoreKeyTextOutputFormat"
DATABASE_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
"""Glue and Athena names: lower-case letters, digits and underscores (Athena lower-cases the rest)."""
SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_SINCE = "2025-01-01"
"""The first day the ``dt`` projection covers when the stack config names none."""
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def column_name(field: str) -> str:
    """The column S3 Inventory writes for a field in Parquet and ORC: ``LastModifiedDate`` -> ``last_modified_date``."""
    return _CAMEL.sub("_", field).lower()


def columns() -> list[tuple[str, str]]:
    """``(name, Hive type)`` of every field the program's inventories list, in the DDL's order."""
    listed = {*VERSION_FIELDS, *INVENTORY_FIELDS}
    return [(column_name(f), HIVE_TYPES.get(f, "string")) for f in FIELD_ORDER if f in listed]


def table_name(purpose: Purpose | str) -> str:
    """The table of one purpose's inventory: the purpose, with ``_`` for ``-``."""
    return str(purpose).replace("-", "_")


def hive_location(destination_bucket: str, source_bucket: str) -> str:
    """Where S3 Inventory writes the Hive symlink files of the program's inventory of ``source_bucket``."""
    return f"s3://{destination_bucket}/{INVENTORY_PREFIX}/{source_bucket}/{INVENTORY_ID}/hive/"


def table_parameters(since: str = DEFAULT_SINCE) -> dict[str, str]:
    """Partition projection of ``dt``: hourly from midnight of ``since`` (``YYYY-MM-DD``) until now."""
    return {
        "EXTERNAL": "TRUE",
        "projection.enabled": "true",
        f"projection.{PARTITION}.type": "date",
        f"projection.{PARTITION}.format": "yyyy-MM-dd-HH-mm",
        f"projection.{PARTITION}.range": f"{since}-00-00,NOW",
        f"projection.{PARTITION}.interval": "1",
        f"projection.{PARTITION}.interval.unit": "HOURS",
    }


def create_table_ddl(database: str, table: str, location: str, since: str = DEFAULT_SINCE) -> str:
    """The ``CREATE EXTERNAL TABLE`` statement of the same table, for Athena's query editor."""
    cols = ",\n".join(f"  {name} {kind}" for name, kind in columns())
    props = ",\n".join(f"  '{k}' = '{v}'" for k, v in table_parameters(since).items() if k != "EXTERNAL")
    return (
        f"CREATE EXTERNAL TABLE {database}.{table} (\n{cols}\n)\n"
        f"PARTITIONED BY ({PARTITION} string)\n"
        f"ROW FORMAT SERDE '{PARQUET_SERDE}'\n"
        f"STORED AS INPUTFORMAT '{SYMLINK_INPUT}'\n"
        f"  OUTPUTFORMAT '{IGNORE_KEY_OUTPUT}'\n"
        f"LOCATION '{location}'\n"
        f"TBLPROPERTIES (\n{props}\n);"
    )
