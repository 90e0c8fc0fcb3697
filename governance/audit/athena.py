"""The Athena engine: the same audit SQL over the inventory as an Athena table, beyond one machine.

The table is the one AWS documents (S3 user guide, "Querying Amazon S3 Inventory with Amazon Athena"):
snake_case columns over the ``hive/`` symlink files, ``PARTITIONED BY (dt string)``. Its column types
are read first from the Glue Data Catalog (``GetTable``, read-only), because AWS's DDLs differ: the
current Parquet/ORC one types ``last_modified_date`` as ``timestamp`` and
``object_lock_retain_until_date`` as ``bigint`` (epoch milliseconds), the older one both as ``bigint``,
the CSV one every column as ``string`` (keys URL-encoded). :func:`athena_source` reads each typing into
the shape the shared SQL expects.

Each query reads one delivery: the partition ``dt`` its manifest's folder names
(``.../2025-06-01T01-00Z/manifest.json`` is ``dt = '2025-06-01-01-00'``), and within it the manifest's
own data files by Athena's ``"$path"`` pseudo-column, so other deliveries and other buckets' files never
mix in. A partition that does not hold the manifest's files reads no row, and the audit is refused.
The files are listed in as many statements as Athena's 256 KB query-string limit needs: findings and
registers of the batches merge as those of one scan. Athena reads the files in place; each is checked
first against the manifest by its ETag, which S3 computes from the content (an MD5 for files uploaded
in one part, as S3 Inventory writes them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance.audit.errors import AuditInputError, ChecksumError, ManifestError
from governance.audit.findings import BucketAudit
from governance.audit.manifest import REQUIRED_FIELDS, Manifest
from governance.audit.sql import (
    BOOLEANS,
    COLUMNS,
    TIMESTAMPS,
    AuditPlan,
    Dialect,
    Thresholds,
    athena_source,
    literal,
    typed_column,
)

POLL_SECONDS = 1.0
TIMEOUT_SECONDS = 1800.0
QUERY_BYTES_LIMIT = 262_144
"""Athena refuses a query string longer than 256 KB (262,144 bytes, a service quota that cannot be raised)."""
PARTITION = "dt"
"""The partition of AWS's inventory table: one per delivery, ``YYYY-MM-DD-HH-MM``."""
DELIVERY_FOLDER = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})Z$")
"""A delivery's folder, ``<prefix>/<source-bucket>/<config-id>/YYYY-MM-DDTHH-MMZ/``, beside ``hive/dt=…``."""


class AthenaQueryError(AuditInputError):
    """A query did not succeed; the report would be built on nothing."""


class AthenaTableError(AuditInputError):
    """The inventory table cannot be read, or its columns cannot carry the inventory's fields."""


@dataclass(frozen=True)
class AthenaTarget:
    """Where the inventory table lives and where Athena writes results."""

    database: str
    table: str
    workgroup: str = "primary"
    output_location: str | None = None

    @property
    def relation(self) -> str:
        """The quoted table name."""
        return f'"{self.database}"."{self.table}"'


@dataclass(frozen=True)
class TableShape:
    """What the Glue Data Catalog declares for the table: column types and partition keys, lower-case."""

    columns: Mapping[str, str]
    partitions: tuple[str, ...]


def read_table(glue: Any, target: AthenaTarget) -> TableShape:
    """The table's declared columns and partition keys (Glue ``GetTable``; nothing is written)."""
    try:
        table = glue.get_table(DatabaseName=target.database, Name=target.table)["Table"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise AthenaTableError(
            f"Glue table {target.database}.{target.table} cannot be read ({error.get('Code', 'error')}: "
            f"{str(error.get('Message', '')).rstrip('.')}); create it as docs/athena.md shows, or name yours "
            "with --athena-database and --athena-table."
        ) from None
    except BotoCoreError as exc:
        raise AthenaTableError(f"Glue table {target.database}.{target.table} cannot be read ({exc}).") from None
    columns = {str(c["Name"]).lower(): str(c.get("Type", "")).lower()
               for c in table.get("StorageDescriptor", {}).get("Columns", [])}
    partitions = tuple(str(k["Name"]).lower() for k in table.get("PartitionKeys", []))
    return TableShape(columns, partitions)


def _expected_types(column: str) -> str:
    if column in TIMESTAMPS:
        return "timestamp, bigint (epoch milliseconds) or string (ISO 8601)"
    return "boolean or string" if column in BOOLEANS else "string"


def audited_fields(manifest: Manifest, shape: TableShape, target: AthenaTarget) -> frozenset[str]:
    """The audited fields the inventory carries; the table must declare each with a type the audit reads."""
    fields = [f for f in COLUMNS if f in manifest.fields]
    missing = [f for f in fields if f not in shape.columns]
    if missing:
        required = [f for f in missing if f in REQUIRED_FIELDS]
        raise AthenaTableError(
            f"table {target.relation} has no column {', '.join(missing)} although the inventory carries "
            f"{'it' if len(missing) == 1 else 'them'}; declare every field of the inventory "
            f"({'the audit cannot run without ' + ', '.join(required) if required else 'see docs/athena.md'})."
        )
    for f in fields:
        if typed_column(f, shape.columns[f]) is None:
            raise AthenaTableError(
                f"table {target.relation} declares {f} as {shape.columns[f]}; the audit reads it as "
                f"{_expected_types(f)}, as AWS's DDLs declare it (see docs/athena.md)."
            )
    return frozenset(fields)


def delivery_partition(manifest: Manifest) -> str:
    """The ``dt`` partition of the manifest's delivery: its folder ``2025-06-01T01-00Z`` is ``2025-06-01-01-00``.

    S3 Inventory writes ``<prefix>/<source-bucket>/<config-id>/<YYYY-MM-DDTHH-MMZ>/manifest.json`` and the
    same delivery's ``hive/dt=<YYYY-MM-DD-HH-MM>/symlink.txt``: a manifest read elsewhere names no partition.
    """
    parts = manifest.location.split("/")
    found = DELIVERY_FOLDER.match(parts[-2]) if len(parts) >= 6 else None
    if found is None or parts[-4] != manifest.source_bucket:
        raise ManifestError(
            f"{manifest.location}: the manifest is not in its delivery folder "
            f"<source-bucket>/<config-id>/YYYY-MM-DDTHH-MMZ/, so the table's dt partition of this delivery is "
            "unknown; give the manifest's location as S3 Inventory delivered it."
        )
    return f"{found[1]}-{found[2]}-{found[3]}"


def _paths_predicate(paths: Sequence[str]) -> str:
    return f'"$path" IN ({", ".join(literal(p) for p in paths)})' if paths else "false"


def delivery_filter(partition: str | None, paths: Sequence[str]) -> str:
    """The delivery's rows: its ``dt`` partition (when the table has one) and its data files."""
    where = _paths_predicate(paths)
    return f"{PARTITION} = {literal(partition)} AND {where}" if partition is not None else where


def whole_delivery(manifest: Manifest, target: AthenaTarget, shape: TableShape, fields: frozenset[str],
                   statement: Callable[[str], str], doing: str, limit: int = QUERY_BYTES_LIMIT) -> str:
    """The relation over the manifest's whole delivery for one ``statement``: by its data files where the
    statement naming them fits Athena's query ``limit``, else by its ``dt`` partition alone (which holds the
    delivery's files and no other); refused when the table has no partition. ``doing`` says, in the
    refusal, what the statement is for."""
    partition = delivery_partition(manifest) if PARTITION in shape.partitions else None
    url_encoded = manifest.file_format == "CSV"
    paths = [f"s3://{manifest.destination_bucket}/{f.key}" for f in manifest.files]
    by_files = athena_source(target.relation, shape.columns, fields, delivery_filter(partition, paths), url_encoded)
    if len(statement(by_files).encode("utf-8")) <= limit:
        return by_files
    if partition is None:
        raise AthenaQueryError(
            f"{manifest.location}: {doing} over {len(paths)} data files needs one statement beyond Athena's "
            f"{limit}-byte limit; partition table {target.relation} by dt as AWS documents (see docs/athena.md).")
    return athena_source(target.relation, shape.columns, fields, f"{PARTITION} = {literal(partition)}", url_encoded)


def refuse_unread(manifest: Manifest, target: AthenaTarget, partition: str | None, files: int, listed: int,
                  read: int) -> None:
    """Raise :class:`AthenaQueryError` when ``files`` data files of ``listed`` bytes gave no row: a table or
    partition that misses the delivery reads nothing, and that is not an empty, compliant bucket."""
    if listed and not read:
        where = f" in partition dt = '{partition}'" if partition is not None else ""
        raise AthenaQueryError(
            f"{manifest.location}: Athena read no row from the {files} data files the manifest lists "
            f"({listed} bytes){where}; table {target.relation} does not cover them (check its LOCATION, and "
            "that the partition named by the manifest's folder is this delivery's)."
        )


def verify_etags(s3: Any, manifest: Manifest) -> None:
    """Each data file's ETag equals the manifest's MD5checksum (HEAD only: Athena reads the bytes)."""
    for f in manifest.files:
        etag = str(s3.head_object(Bucket=manifest.destination_bucket, Key=f.key)["ETag"]).strip('"').lower()
        if etag != f.md5:
            raise ChecksumError(
                f"s3://{manifest.destination_bucket}/{f.key}: ETag {etag} differs from the manifest's {f.md5}; "
                "the inventory is not trusted."
            )


def run_query(client: Any, sql: str, target: AthenaTarget, poll: float = POLL_SECONDS,
              timeout: float = TIMEOUT_SECONDS) -> list[dict[str, str | None]]:
    """Start a query, wait for it, and return its rows as text (Athena's result API is all strings)."""
    size = len(sql.encode("utf-8"))
    if size > QUERY_BYTES_LIMIT:
        # The batches are sized so this never happens; Athena would refuse the statement unread.
        raise AthenaQueryError(f"a statement of {size} bytes exceeds Athena's {QUERY_BYTES_LIMIT}-byte query limit.")
    args: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": target.database},
        "WorkGroup": target.workgroup,
    }
    if target.output_location:
        args["ResultConfiguration"] = {"OutputLocation": target.output_location}
    qid = client.start_query_execution(**args)["QueryExecutionId"]
    deadline = time.monotonic() + timeout
    while True:
        status = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        state = status["State"]
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            reason = status.get("StateChangeReason", "no reason given")
            raise AthenaQueryError(f"Athena query {qid} {state.lower()}: {reason}.")
        if time.monotonic() > deadline:
            raise AthenaQueryError(f"Athena query {qid} did not finish within {timeout:.0f} s.")
        time.sleep(poll)
    return list(_rows(client, qid))


def _rows(client: Any, qid: str) -> Iterator[dict[str, str | None]]:
    token: str | None = None
    first_page = True
    while True:
        kwargs: dict[str, Any] = {"QueryExecutionId": qid}
        if token:
            kwargs["NextToken"] = token
        page = client.get_query_results(**kwargs)
        names = [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
        rows = page["ResultSet"]["Rows"]
        # The first row of a SELECT's first page repeats the column names.
        for row in rows[1:] if first_page else rows:
            yield {n: cell.get("VarCharValue") for n, cell in zip(names, row["Data"], strict=True)}
        first_page = False
        token = page.get("NextToken")
        if not token:
            return


def _timestamp(text: str | None) -> datetime | None:
    # The source gives every timestamp as a TIMESTAMP, which Athena prints "2025-06-01 00:00:00.000".
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise AthenaQueryError(f"Athena returned {text!r} where the register expects a timestamp.") from None


def statements(plan: AuditPlan, relation: str) -> list[str]:
    """Every statement the audit may send over ``relation``, each at its longest."""
    out = [plan.audit_query(relation)]
    if "object_lock_legal_hold_status" in plan.fields:
        out.append(plan.legal_hold_query(relation))
    out += [plan.first_keys_query(relation, f) for f in plan.findings if f.keys]
    return out


def path_batches(paths: Sequence[str], fixed_bytes: int, limit: int = QUERY_BYTES_LIMIT) -> list[list[str]]:
    """The data files' paths in consecutive batches whose statements stay within ``limit`` bytes.

    ``fixed_bytes`` is the longest statement with no path listed; each path adds its literal and a
    separator. A manifest without data files is one empty batch (its statements read nothing).
    """
    budget = limit - fixed_bytes
    batches: list[list[str]] = [[]]
    used = 0
    for path in paths:
        cost = len(literal(path).encode("utf-8")) + len(", ")
        if cost > budget:
            raise AthenaQueryError(f"{path}: a path this long leaves no room in Athena's {limit}-byte query limit.")
        if used + cost > budget and batches[-1]:
            batches.append([])
            used = 0
        batches[-1].append(path)
        used += cost
    return batches


def merge_batches(found: Sequence[Mapping[str, Any]], sample: int) -> dict[str, Any]:
    """One bucket's findings from those of its batches: counts add up, first keys are the union's smallest."""
    out: dict[str, Any] = {}
    for name in found[0]:
        if name.endswith("_count"):
            out[name] = sum(int(f[name] or 0) for f in found)
        else:
            keys = sorted({k for f in found for k in (f[name] or ())})
            out[name] = keys[:sample] or None
    return out


def audit_athena(client: Any, target: AthenaTarget, manifest: Manifest, t: Thresholds, register_limit: int,
                 glue: Any) -> BucketAudit:
    """Run the audit plan (Athena dialect) over the manifest's delivery, in the table's own typing."""
    if not manifest.destination_bucket:
        raise ManifestError(f"{manifest.location}: destinationBucket is missing; Athena needs the files' S3 paths.")
    shape = read_table(glue, target)
    plan = AuditPlan(t, audited_fields(manifest, shape, target), Dialect.ATHENA, register_limit)
    partition = delivery_partition(manifest) if PARTITION in shape.partitions else None
    url_encoded = manifest.file_format == "CSV"

    def source(paths: Sequence[str]) -> str:
        return athena_source(target.relation, shape.columns, plan.fields, delivery_filter(partition, paths),
                             url_encoded)

    def run(sql: str) -> list[dict[str, str | None]]:
        return run_query(client, sql, target)

    paths = [f"s3://{manifest.destination_bucket}/{f.key}" for f in manifest.files]
    fixed = max(len(s.encode("utf-8")) for s in statements(plan, source([""])))
    sizes = {f"s3://{manifest.destination_bucket}/{f.key}": f.size for f in manifest.files}
    found: list[dict[str, Any]] = []
    holds: list[dict[str, Any]] = []
    for batch in path_batches(paths, fixed):
        relation = source(batch)
        rows = run(plan.audit_query(relation))
        listed = sum(sizes[p] for p in batch)
        refuse_unread(manifest, target, partition, len(batch), listed, sum(int(r["n"] or 0) for r in rows))
        found.append(plan.summarize(rows, run, relation))
        if "object_lock_legal_hold_status" in plan.fields:
            held = run(plan.legal_hold_query(relation))
            holds.append({"holds": [{**h, "last_modified_date": _timestamp(h["last_modified_date"]),
                                     "retain_until": _timestamp(h.get("retain_until"))} for h in held]})
    merged = merge_batches(found, t.sample)
    # A derived object's recording may be in another batch's files: orphans are matched over the whole
    # delivery at once.
    if t.derived:
        whole = whole_delivery(manifest, target, shape, plan.fields, plan.orphan_query,
                               "matching derived objects to their recordings")
        plan.add_orphans(merged, run, whole)
    return BucketAudit(manifest.source_bucket, t, plan.fields, merged, plan.register(holds), source="inventory")
