"""The audit's SQL, written once for both engines (DuckDB here, Athena/Trino beyond one machine).

One plan per bucket (:class:`AuditPlan`) writes every statement, and one scan computes every finding
(a second one matches derived objects to recordings). The text is
standard SQL that DuckDB and Trino both run; the few functions they name differently are looked up
in :data:`FUNCTIONS`, and arrays leave Athena as JSON text because its result API returns strings.
The relation queried has AWS's snake_case inventory columns with typed values (booleans and
timestamps): DuckDB's view gives them so, and on Athena :func:`athena_source` reads the table's own
typing (timestamp, epoch-millisecond bigint or text, as AWS's DDLs declare them) into that shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lifecycle.layouts import DEFAULT_LAYOUT, LAYOUTS, KeyLayout
from lifecycle.legal import Purpose
from lifecycle.purposes import traits


class Dialect(StrEnum):
    """Where the SQL runs."""

    DUCKDB = "duckdb"
    ATHENA = "athena"


FUNCTIONS: dict[Dialect, dict[str, str]] = {
    # Both are partial-match regular expression predicates (RE2 and Joni agree on the syntax used).
    # Seconds since the epoch as a double: cheaper per row than adding an interval to a timestamp.
    Dialect.DUCKDB: {"regex": "regexp_matches", "seconds": "epoch", "bitand": "({} & {})"},
    Dialect.ATHENA: {"regex": "regexp_like", "seconds": "to_unixtime", "bitand": "bitwise_and({}, {})"},
}

COLUMNS = (
    "key", "version_id", "is_latest", "is_delete_marker", "last_modified_date", "encryption_status",
    "object_lock_retain_until_date", "object_lock_mode", "object_lock_legal_hold_status",
)
"""The inventory columns the audit reads, by their snake_case names; no other field is ever decoded."""
BOOLEANS = {"is_latest", "is_delete_marker"}
TIMESTAMPS = {"last_modified_date", "object_lock_retain_until_date"}


def sql_type(column: str) -> str:
    """The SQL type of an audited column: booleans and timestamps are typed, the rest is text."""
    return "BOOLEAN" if column in BOOLEANS else "TIMESTAMP" if column in TIMESTAMPS else "VARCHAR"


EPOCH_MILLIS = "CAST(from_unixtime({} / 1000e0, 'UTC') AS TIMESTAMP)"
"""An Athena ``bigint`` of milliseconds since the epoch as the UTC timestamp it counts (AWS's DDL types
``object_lock_retain_until_date`` so, and its older DDL ``last_modified_date`` too)."""
ISO_8601 = "CAST(from_iso8601_timestamp(nullif({}, '')) AS TIMESTAMP)"
"""An Athena ``string`` such as ``2025-06-01T00:00:00.000Z`` (a CSV inventory's) as its UTC timestamp."""
URL_DECODED_KEY = "url_decode(replace(key, '+', '%20'))"
"""A CSV inventory's key, URL-encoded form style (a space is ``+``, a ``+`` is ``%2B``), decoded the
same way by Trino's ``url_decode`` (which reads ``+`` as a space) and DuckDB's (which does not)."""


def typed_column(column: str, table_type: str, url_encoded: bool = False) -> str | None:
    """The select item that reads ``column`` of an Athena table, declared ``table_type``, as the audit's type.

    Timestamps may be declared ``timestamp``, ``bigint`` (epoch milliseconds) or ``string`` (ISO 8601),
    booleans ``boolean`` or ``string``, text ``string``: every typing of AWS's DDLs for Parquet, ORC and
    CSV inventories. ``None`` for any other type. An empty CSV field is null, never a value; a boolean
    or timestamp text that does not parse fails the query (as the DuckDB engine refuses the file).
    """
    kind = table_type.strip().lower()
    text = kind == "string" or kind.startswith(("varchar", "char"))
    if column in TIMESTAMPS:
        expr = (column if kind.startswith("timestamp") else EPOCH_MILLIS.format(column) if kind == "bigint"
                else ISO_8601.format(column) if text else None)
    elif column in BOOLEANS:
        expr = column if kind == "boolean" else f"CAST(nullif({column}, '') AS BOOLEAN)" if text else None
    elif text:
        expr = URL_DECODED_KEY if column == "key" and url_encoded else column
    else:
        expr = None
    return None if expr is None else expr if expr == column else f"{expr} AS {column}"


def athena_source(relation: str, types: Mapping[str, str], fields: Iterable[str], where: str,
                  url_encoded: bool = False) -> str:
    """The Athena table as the relation the audit SQL reads: the audited columns with the types it expects
    (see :func:`typed_column`), restricted by ``where`` (the delivery's partition and files)."""
    have = set(fields)
    items = ", ".join(str(typed_column(c, types[c], url_encoded)) for c in COLUMNS if c in have)
    return f"(SELECT {items}\n  FROM {relation}\n  WHERE {where}) AS inventory"


KMS_STATUSES = ("SSE-KMS", "DSSE-KMS")
"""Inventory ``EncryptionStatus`` values that mean a KMS key protects the object."""


HELD = "upper(object_lock_legal_hold_status) = 'ON'"
COMPLIANCE = "upper(object_lock_mode) = 'COMPLIANCE'"
"""Lock values compared whatever their case: the API and the inventory files write ``ON`` and
``COMPLIANCE``, the user guide's prose "On" and "Compliance"; a held version read as not held would be
counted as over-retained, silently."""


def literal(text: str) -> str:
    """A SQL string literal (both dialects double the quote)."""
    return "'" + text.replace("'", "''") + "'"


def timestamp(value: datetime) -> str:
    """A timestamp literal in UTC, to the millisecond as the inventory stores it."""
    return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}'"


@dataclass(frozen=True)
class Thresholds:
    """What one bucket's objects are judged against, all derived from the policy."""

    purpose: Purpose
    as_of: datetime
    age_limit_days: int
    """The purpose's effective limit: no version may be older at ``as_of``."""
    lock_limit_days: int
    """The longest lock whose worst case (retain-until plus the lifecycle's next run) fits the limit."""
    legal_max_days: int
    multipart_limit_days: int
    sample: int = 10
    layout: str = DEFAULT_LAYOUT
    """The key layout of the purpose's recordings (:mod:`lifecycle.layouts`)."""
    key_prefix: str | None = None
    derived: tuple[tuple[str, str], ...] = ()
    """Each derived kind the purpose keeps: (literal key prefix ending in '/', full-match pattern whose
    group 4 is the call id)."""

    @property
    def age_cutoff(self) -> datetime:
        """Versions last modified before this are older than the limit."""
        return self.as_of - timedelta(days=self.age_limit_days)

    @property
    def checks_keys(self) -> bool:
        """Whether the naming convention applies to this purpose's keys."""
        return traits(self.purpose).recordings

    @property
    def key_layout(self) -> KeyLayout:
        """The layout the recording keys follow."""
        return LAYOUTS[self.layout]

    @property
    def recording_prefix(self) -> str:
        """The key prefix recordings are written under."""
        return self.key_layout.prefix(self.key_prefix, str(self.purpose))

    @property
    def key_pattern(self) -> str:
        """What the key check accepts: a recording key, or the platform's metadata beside one."""
        return self.key_layout.valid_pattern(self.recording_prefix)

    @property
    def area(self) -> str:
        """The literal prefix of the keys the key check judges ('' for every key)."""
        return self.key_layout.area(self.recording_prefix)


REGISTER_LIMIT = 1000
"""Legal holds listed in the register; the result carries the full count."""

AGE_BIN_DAYS = 7
"""Width of the age histogram's bins: a week keeps a five-year proof bucket to 261 bins at most."""

Run = Callable[[str], Sequence[Mapping[str, Any]]]
"""Runs one statement and returns its rows as dicts (typed values from DuckDB, text from Athena)."""


@dataclass(frozen=True)
class Fact:
    """A yes-or-no property of one inventory row (NULL counts as no): a bit of the row's ``flags`` in the
    audit's scan, a boolean column in a finding's own first-keys query."""

    name: str
    condition: str


@dataclass(frozen=True)
class Finding:
    """One finding: the rows whose facts include every one of ``all_of`` and none of ``none_of``.

    Its count, and with ``keys`` its first offending keys, come from the groups of the audit's scan.
    """

    name: str
    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    keys: bool = False

    @property
    def condition(self) -> str:
        """The finding as a predicate over the fact columns."""
        return " AND ".join([*self.all_of, *(f"NOT {n}" for n in self.none_of)]) or "true"


MARKER = "marker"
"""The fact every inventory has: the row is a delete marker, not a version."""

FINDINGS = (
    Finding("versions", none_of=(MARKER,)),
    Finding("delete_markers", all_of=(MARKER,)),
    # A version under legal hold is kept for a live dispute (GDPR Art. 17(3)(e)); it is listed in the
    # register with its age instead of being counted as over-retained.
    Finding("aged_versions", all_of=("old",), none_of=(MARKER, "held"), keys=True),
    Finding("aged_markers", all_of=(MARKER, "old"), keys=True),
    Finding("lock_beyond_retention", all_of=("lock_beyond_limit",), none_of=(MARKER, "lock_beyond_legal"),
            keys=True),
    Finding("lock_beyond_legal", all_of=("lock_beyond_legal",), none_of=(MARKER,), keys=True),
    Finding("lock_beyond_legal_compliance", all_of=("lock_beyond_legal", "compliance"), none_of=(MARKER,)),
    Finding("legal_holds", all_of=("held",), none_of=(MARKER,)),
    Finding("legal_holds_aged", all_of=("held", "old"), none_of=(MARKER,)),
    Finding("not_kms", all_of=("not_kms",), none_of=(MARKER,), keys=True),
    Finding("bad_keys", all_of=("bad_key",), none_of=("derived",), keys=True),
    # Keys outside the layout's recording prefix (a platform's analysis output, for example) are counted
    # apart: the key convention does not speak of them, the age and encryption findings still do.
    Finding("outside_layout", all_of=("outside",), none_of=("derived",), keys=True),
    Finding("derived_objects", all_of=("derived",), none_of=(MARKER,)),
)
"""Every finding, as facts present and absent; a plan keeps those its inventory's fields allow."""

HELD_VERSION = f"NOT coalesce(is_delete_marker, false) AND {HELD}"
"""A version under legal hold: the legal-hold register's rows (the ``legal_holds`` finding's)."""


def listed_keys(value: Any) -> list[str]:
    """Keys as either engine lists them (a list from DuckDB, JSON text from Athena), repeats included."""
    if value is None:
        return []
    if isinstance(value, str):
        value = json.loads(value)
    return [str(k) for k in value]


@dataclass(frozen=True)
class AuditPlan:
    """One bucket's audit, built once: what its objects are judged against (thresholds, layout, derived
    kinds, sample size), the inventory fields it can read and the dialect it is written in; from those,
    the facts each row is given and the findings counted from them. Every statement an engine sends
    for the bucket is written here.

    A fact that the fields cannot tell is absent from every row: a finding that needs it is dropped, and
    one that excludes it no longer mentions it.
    """

    thresholds: Thresholds
    fields: frozenset[str]
    dialect: Dialect
    register_limit: int = REGISTER_LIMIT
    facts: tuple[Fact, ...] = field(init=False)
    findings: tuple[Finding, ...] = field(init=False)

    def __post_init__(self) -> None:
        facts = tuple(self._facts())
        have = {f.name for f in facts}
        findings = tuple(Finding(f.name, f.all_of, tuple(n for n in f.none_of if n in have), f.keys)
                         for f in FINDINGS if all(n in have for n in f.all_of))
        object.__setattr__(self, "facts", facts)
        object.__setattr__(self, "findings", findings)

    @property
    def sample(self) -> int:
        """How many first keys a finding lists."""
        return self.thresholds.sample

    def _fn(self, name: str) -> str:
        return FUNCTIONS[self.dialect][name]

    def _facts(self) -> list[Fact]:
        t, have = self.thresholds, self.fields
        out = [Fact(MARKER, "is_delete_marker"), Fact("old", f"last_modified_date < {timestamp(t.age_cutoff)}")]
        if "object_lock_legal_hold_status" in have:
            out.append(Fact("held", HELD))
        if "object_lock_retain_until_date" in have:
            secs = self._fn("seconds")
            held_for = f"{secs}(object_lock_retain_until_date) - {secs}(last_modified_date)"
            out += [Fact("lock_beyond_limit", f"{held_for} > {t.lock_limit_days * 86400}"),
                    Fact("lock_beyond_legal", f"{held_for} > {t.legal_max_days * 86400}")]
            if "object_lock_mode" in have:
                out.append(Fact("compliance", COMPLIANCE))
        if "encryption_status" in have:
            statuses = ", ".join(literal(s) for s in KMS_STATUSES)
            out.append(Fact("not_kms", f"coalesce(encryption_status, '') NOT IN ({statuses})"))
        if t.checks_keys:
            misnamed = f"NOT {self._fn('regex')}(key, {literal(t.key_pattern)})"
            if t.area:
                inside = f"starts_with(key, {literal(t.area)})"
                out += [Fact("bad_key", f"{inside} AND {misnamed}"), Fact("outside", f"NOT {inside}")]
            else:
                out.append(Fact("bad_key", misnamed))
            if t.derived:
                out.append(Fact("derived", self._derived_condition()))
        return out

    def _derived_condition(self) -> str:
        """A row is a derived object: under a derived kind's prefix (cheap) and matching its pattern."""
        regex = self._fn("regex")
        return " OR ".join(f"(starts_with(key, {literal(prefix)}) AND {regex}(key, {literal(pattern)}))"
                           for prefix, pattern in self.thresholds.derived)

    def finding(self, name: str) -> Finding:
        """One of the plan's findings by name."""
        return next(f for f in self.findings if f.name == name)

    def _array(self, expr: str) -> str:
        return f"json_format(CAST({expr} AS JSON))" if self.dialect is Dialect.ATHENA else expr

    def _with_facts(self, relation: str) -> str:
        """``relation`` with each row's facts as boolean columns beside its key.

        A finding's first keys are read apart only when the audit's groups cannot tell them (see
        :meth:`summarize`): this plain form serves there.
        """
        facts = ", ".join(f"coalesce({f.condition}, false) AS {f.name}" for f in self.facts)
        return f"(SELECT key, {facts}\n  FROM {relation}) AS facts"

    @property
    def _register_in_scan(self) -> bool:
        # Athena returns the register by a query of its own: its result API is text, and a list of
        # structs would come back as one string.
        return (self.dialect is Dialect.DUCKDB and self.register_limit > 0
                and "object_lock_legal_hold_status" in self.fields)

    def mask(self, finding: Finding) -> tuple[int, int]:
        """``(mask, value)``: a row's ``flags`` are in ``finding`` when ``flags & mask == value``."""
        bit = {f.name: 1 << i for i, f in enumerate(self.facts)}
        value = sum(bit[n] for n in finding.all_of)
        return value | sum(bit[n] for n in finding.none_of), value

    def audit_query(self, relation: str) -> str:
        """One scan of ``relation``: rows grouped by which facts hold for them (``flags``, a bit per fact).

        Why not one filtered aggregate per finding, the plainer query: each of those twenty aggregates is
        updated for every row, where grouping costs one hash lookup a row and three aggregates, and the
        difference takes the command beyond 1.5x of a hand-written query (see docs/performance.md). The
        few groups serve every finding: :meth:`summarize` reads each from the groups whose flags it admits.
        Only rows in a finding that lists keys feed the groups' key lists. On DuckDB the groups are also
        split by week of age at ``as_of`` (column ``age_bin``, the age histogram), and carry the legal-hold
        register's first rows (column ``holds``): the register costs no second scan.
        """
        bitand = self._fn("bitand")
        keyed = " OR ".join(f"{bitand.format('flags', mask)} = {value}"
                            for mask, value in (self.mask(f) for f in self.findings if f.keys))
        flags = " + ".join(f"CASE WHEN {f.condition} THEN {1 << i} ELSE 0 END" for i, f in enumerate(self.facts))
        keys = self._array(f"min(key, {self.sample}) FILTER (WHERE {keyed})")
        columns, items, group = "", ["flags", "count(*) AS n", f"{keys} AS first_keys"], "flags"
        if self._register_in_scan:
            version = "version_id" if "version_id" in self.fields else "CAST(NULL AS VARCHAR) AS version_id"
            has_until = "object_lock_retain_until_date" in self.fields
            columns += (f"last_modified_date, {version}, {'object_lock_retain_until_date, ' if has_until else ''}"
                        f"{HELD_VERSION} AS held, ")
            until = "object_lock_retain_until_date" if has_until else "NULL"
            row = (f"{{'key': key, 'version_id': version_id, 'last_modified_date': last_modified_date, "
                   f"'retain_until': {until}}}")
            # min_by with a count keeps the smallest rows by the register's ORDER BY columns, compared
            # field by field with NULLs last as ORDER BY puts them; :meth:`register` merges the groups'.
            order = "{'m': last_modified_date, 'k': key, 'v': version_id}"
            items.append(f"min_by({row}, {order}, {int(self.register_limit)}) FILTER (WHERE held) AS holds")
        if self.dialect is Dialect.DUCKDB:
            seconds = f"epoch({timestamp(self.thresholds.as_of)}) - epoch(last_modified_date)"
            columns += f"CAST(floor(({seconds}) / {AGE_BIN_DAYS * 86400}) AS BIGINT) AS age_bin, "
            items.insert(1, "age_bin")
            group = "flags, age_bin"
        return (f"SELECT {', '.join(items)}\nFROM (SELECT key, {columns}{flags} AS flags\n  FROM {relation}) "
                f"AS flagged\nGROUP BY {group}")

    def first_keys_query(self, relation: str, finding: Finding) -> str:
        """The first ``sample`` distinct keys of one finding, in key order (a scan of its own)."""
        return (f"SELECT DISTINCT key\nFROM {self._with_facts(relation)}\n"
                f"WHERE {finding.condition} AND key IS NOT NULL\nORDER BY key\nLIMIT {self.sample}")

    def summarize(self, rows: Sequence[Mapping[str, Any]], run: Run, relation: str) -> dict[str, Any]:
        """Each finding's count and first distinct keys from :meth:`audit_query`'s groups over ``relation``.

        A group keeps its ``sample`` smallest keys row by row, so several versions of one object take
        several places: a list that is full and repeats a key may miss the finding's next keys, and the
        finding is then asked :meth:`first_keys_query` (``run`` executes it). Asking for distinct keys in
        the scan itself (``min(DISTINCT key, n)``) would hash every offending key, millions in a bucket
        whose lifecycle stopped; repeats that fill a list are rare and cost one scan.
        """
        out: dict[str, Any] = {}
        for f in self.findings:
            mask, value = self.mask(f)
            members = [r for r in rows if int(r["flags"]) & mask == value]
            out[f"{f.name}_count"] = sum(int(r["n"]) for r in members)
            if not f.keys:
                continue
            lists = [listed_keys(r["first_keys"]) for r in members]
            if any(len(keys) >= self.sample and len(set(keys)) < len(keys) for keys in lists):
                lists = [[str(r["key"]) for r in run(self.first_keys_query(relation, f))]]
            # Each group kept its own smallest keys, so the smallest of their union are the finding's.
            out[f"{f.name}_keys"] = sorted({k for keys in lists for k in keys})[: self.sample] or None
        return out

    def ages(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, int]]:
        """Versions (not delete markers) per week of age, from :meth:`audit_query`'s DuckDB rows;
        ``age_days`` is the bin's lower bound."""
        marker, _ = self.mask(Finding(MARKER, all_of=(MARKER,)))
        bins: dict[int, int] = {}
        for r in rows:
            if not int(r["flags"]) & marker and r.get("age_bin") is not None:
                bins[int(r["age_bin"])] = bins.get(int(r["age_bin"]), 0) + int(r["n"])
        return [{"age_days": b * AGE_BIN_DAYS, "versions": n} for b, n in sorted(bins.items())]

    def register(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The register's first rows, in its order, from the rows' ``holds`` lists (those of
        :meth:`audit_query`'s groups, or of :meth:`legal_hold_query`'s batches).

        A null-versioned object's empty version id (``''`` in Parquet, an empty CSV field, either on
        Athena) is null: one spelling whatever the format and the engine.
        """
        held = [{**h, "version_id": h.get("version_id") or None} for r in rows for h in (r.get("holds") or ())]
        return sorted(held, key=_register_order)[: self.register_limit]

    def legal_hold_query(self, relation: str) -> str:
        """The legal-hold register: held versions, oldest first (the longest-held are the ones to review)."""
        until = "object_lock_retain_until_date" if "object_lock_retain_until_date" in self.fields else "NULL"
        return (
            f"SELECT key, version_id, last_modified_date, {until} AS retain_until\n"
            f"FROM {relation}\n"
            f"WHERE {HELD_VERSION}\nORDER BY last_modified_date, key, version_id\nLIMIT {int(self.register_limit)}"
        )

    def orphan_query(self, relation: str) -> str:
        """Derived objects (distinct keys with a version left) whose call has no recording version left,
        current or noncurrent: the orphans.

        Extracting every recording's call id by regular expression would cost more than the whole audit, so
        recordings are first narrowed by a cheap key (:attr:`lifecycle.layouts.KeyLayout.call_separator`):
        the text of the call id up to its first separator, cut from the key with plain string functions.
        Only recordings whose cheap key is a derived call's are matched exactly.
        """
        t, regex = self.thresholds, self._fn("regex")
        version = "NOT coalesce(is_delete_marker, false)"
        layout = t.key_layout
        recording = literal(layout.recording_pattern(t.recording_prefix))
        separator = literal(layout.call_separator)
        if layout.call_marker:
            segment = f"substr(key, strpos(key, {literal(layout.call_marker)}) + {len(layout.call_marker)})"
        else:  # <prefix>/YYYY/MM/DD/ is the prefix and eleven characters
            segment = f"substr(key, {len(t.recording_prefix) + 13})"
        area = t.area or (f"{t.recording_prefix}/" if t.recording_prefix else "")
        inside = f" AND starts_with(key, {literal(area)})" if area else ""
        cases = " ".join(f"WHEN {regex}(key, {literal(p)}) THEN regexp_extract(key, {literal(p)}, 4)"
                         for _, p in t.derived)
        keys = self._array(f"min(d.key, {self.sample})")
        return (
            f"WITH d AS (SELECT DISTINCT key, CASE {cases} END AS call_id FROM {relation}\n"
            f"  WHERE {version} AND ({self._derived_condition()})),\n"
            f"cheap AS (SELECT DISTINCT split_part(call_id, {separator}, 1) AS part FROM d),\n"
            f"candidates AS (SELECT key FROM {relation} JOIN cheap ON split_part({segment}, {separator}, 1) = "
            f"cheap.part\n  WHERE {version}{inside}),\n"
            f"r AS (SELECT DISTINCT regexp_extract(key, {recording}, {layout.groups[3]}) AS call_id FROM candidates\n"
            f"  WHERE {regex}(key, {recording}))\n"
            f"SELECT count(*) AS n, {keys} AS first_keys\n"
            f"FROM d LEFT JOIN r ON r.call_id = d.call_id\n"
            f"WHERE r.call_id IS NULL"
        )

    def add_orphans(self, found: dict[str, Any], run: Run, relation: str) -> None:
        """Add ``orphans_count`` and ``orphans_keys`` to ``found`` (from :meth:`summarize`) when the purpose
        keeps derived data; the matching scan runs only when the audit found derived objects."""
        if not self.thresholds.derived:
            return
        if not int(found.get("derived_objects_count") or 0):
            found.update(orphans_count=0, orphans_keys=None)
            return
        row = run(self.orphan_query(relation))[0]
        found.update(orphans_count=int(row["n"] or 0), orphans_keys=sorted(listed_keys(row["first_keys"])) or None)


def _register_order(row: Mapping[str, Any]) -> tuple[Any, ...]:
    # ORDER BY last_modified_date, key, version_id with DuckDB's default NULLS LAST.
    return tuple((row[c] is None, row[c] if row[c] is not None else "")
                 for c in ("last_modified_date", "key", "version_id"))
