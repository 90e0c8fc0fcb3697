"""The audit's SQL, written once for both engines (DuckDB here, Athena/Trino beyond one machine).

Every finding is one aggregate over the inventory, so a single scan computes them all. The text is
standard SQL that DuckDB and Trino both run; the few functions they name differently are looked up
in :data:`FUNCTIONS`, and arrays leave Athena as JSON text because its result API returns strings.
The relation queried has AWS's snake_case inventory columns with typed values (booleans and
timestamps), as in the Athena table AWS documents for Parquet and ORC inventories.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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

KMS_STATUSES = ("SSE-KMS", "DSSE-KMS")
"""Inventory ``EncryptionStatus`` values that mean a KMS key protects the object."""


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


@dataclass(frozen=True)
class Fact:
    """A yes-or-no property of one inventory row (a NULL value counts as no); a bit of the row's ``flags``."""

    name: str
    condition: str


@dataclass(frozen=True)
class Aggregate:
    """One finding: the rows whose facts include every one of ``all_of`` and none of ``none_of``.

    Its count, and with ``keys`` its first offending keys, come from the groups of :func:`audit_query`.
    """

    name: str
    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    keys: bool = False


MARKER = "marker"
"""The fact every inventory has, first of all (bit 0): the row is a delete marker, not a version."""

FINDINGS = (
    Aggregate("versions", none_of=(MARKER,)),
    Aggregate("delete_markers", all_of=(MARKER,)),
    # A version under legal hold is kept for a live dispute (GDPR Art. 17(3)(e)); it is listed in the
    # register with its age instead of being counted as over-retained.
    Aggregate("aged_versions", all_of=("old",), none_of=(MARKER, "held"), keys=True),
    Aggregate("aged_markers", all_of=(MARKER, "old"), keys=True),
    Aggregate("lock_beyond_retention", all_of=("lock_beyond_limit",), none_of=(MARKER, "lock_beyond_legal"),
              keys=True),
    Aggregate("lock_beyond_legal", all_of=("lock_beyond_legal",), none_of=(MARKER,), keys=True),
    Aggregate("lock_beyond_legal_compliance", all_of=("lock_beyond_legal", "compliance"), none_of=(MARKER,)),
    Aggregate("legal_holds", all_of=("held",), none_of=(MARKER,)),
    Aggregate("legal_holds_aged", all_of=("held", "old"), none_of=(MARKER,)),
    Aggregate("not_kms", all_of=("not_kms",), none_of=(MARKER,), keys=True),
    Aggregate("bad_keys", all_of=("bad_key",), none_of=("derived",), keys=True),
    # Keys outside the layout's recording prefix (a platform's analysis output, for example) are counted
    # apart: the key convention does not speak of them, the age and encryption findings still do.
    Aggregate("outside_layout", all_of=("outside",), none_of=("derived",), keys=True),
    Aggregate("derived_objects", all_of=("derived",), none_of=(MARKER,)),
)
"""Every finding, as facts present and absent; :func:`aggregates` keeps those an inventory's fields allow."""


def facts(t: Thresholds, fields: Iterable[str], dialect: Dialect) -> list[Fact]:
    """The facts the inventory's fields allow, in bit order (a missing field: no fact)."""
    have = set(fields)
    out = [Fact(MARKER, "coalesce(is_delete_marker, false)"),
           Fact("old", f"last_modified_date < {timestamp(t.age_cutoff)}")]
    if "object_lock_legal_hold_status" in have:
        out.append(Fact("held", "object_lock_legal_hold_status = 'ON'"))
    if "object_lock_retain_until_date" in have:
        secs = FUNCTIONS[dialect]["seconds"]
        held_for = f"{secs}(object_lock_retain_until_date) - {secs}(last_modified_date)"
        out += [Fact("lock_beyond_limit", f"{held_for} > {t.lock_limit_days * 86400}"),
                Fact("lock_beyond_legal", f"{held_for} > {t.legal_max_days * 86400}")]
        if "object_lock_mode" in have:
            out.append(Fact("compliance", "object_lock_mode = 'COMPLIANCE'"))
    if "encryption_status" in have:
        statuses = ", ".join(literal(s) for s in KMS_STATUSES)
        out.append(Fact("not_kms", f"coalesce(encryption_status, '') NOT IN ({statuses})"))
    if t.checks_keys:
        regex = FUNCTIONS[dialect]["regex"]
        misnamed = f"NOT {regex}(key, {literal(t.key_pattern)})"
        if t.area:
            inside = f"starts_with(key, {literal(t.area)})"
            out += [Fact("bad_key", f"{inside} AND {misnamed}"), Fact("outside", f"NOT {inside}")]
        else:
            out.append(Fact("bad_key", misnamed))
        if t.derived:
            out.append(Fact("derived", derived_condition(t, dialect)))
    return out


def derived_condition(t: Thresholds, dialect: Dialect) -> str:
    """A row is a derived object: under a derived kind's prefix (cheap) and matching its pattern."""
    regex = FUNCTIONS[dialect]["regex"]
    return " OR ".join(f"(starts_with(key, {literal(prefix)}) AND {regex}(key, {literal(pattern)}))"
                       for prefix, pattern in t.derived)


def orphan_query(source: str, t: Thresholds, dialect: Dialect, where: str = "") -> str:
    """Derived objects (distinct keys with a version left) whose call has no recording version left,
    current or noncurrent: the orphans.

    A second scan, run only when the audit found derived objects (see :func:`complete_orphans`).
    """
    regex = FUNCTIONS[dialect]["regex"]
    clause = f"({where}) AND " if where else ""
    version = f"{clause}NOT coalesce(is_delete_marker, false)"
    recording = literal(t.key_layout.recording_pattern(t.recording_prefix))
    call = t.key_layout.groups[3]
    cases = " ".join(f"WHEN {regex}(key, {literal(p)}) THEN regexp_extract(key, {literal(p)}, 4)"
                     for _, p in t.derived)
    keys = _array(f"min(d.key, {t.sample})", dialect)
    return (
        f"SELECT count(*) AS n, {keys} AS first_keys\n"
        f"FROM (SELECT DISTINCT key, CASE {cases} END AS call_id FROM {source}\n"
        f"  WHERE {version} AND ({derived_condition(t, dialect)})) AS d\n"
        f"LEFT JOIN (SELECT DISTINCT regexp_extract(key, {recording}, {call}) AS call_id FROM {source}\n"
        f"  WHERE {version} AND {regex}(key, {recording})) AS r ON r.call_id = d.call_id\n"
        f"WHERE r.call_id IS NULL"
    )


def complete_orphans(found: dict[str, Any], run: Callable[[str], Sequence[Mapping[str, Any]]], source: str,
                     t: Thresholds, dialect: Dialect, listed: Callable[[Any], list[str]], where: str = "") -> None:
    """Add ``orphans_count`` and ``orphans_keys`` to ``found`` (from :func:`combine`) where derived objects exist."""
    if not t.derived:
        return
    if not int(found.get("derived_objects_count") or 0):
        found.update(orphans_count=0, orphans_keys=None)
        return
    row = run(orphan_query(source, t, dialect, where))[0]
    found.update(orphans_count=int(row["n"] or 0), orphans_keys=sorted(listed(row["first_keys"])) or None)


def bits(t: Thresholds, fields: Iterable[str], dialect: Dialect) -> dict[str, int]:
    """Each fact's bit in ``flags``."""
    return {f.name: 1 << i for i, f in enumerate(facts(t, fields, dialect))}


def aggregates(t: Thresholds, fields: Iterable[str], dialect: Dialect) -> list[Aggregate]:
    """The findings the inventory's fields allow: a fact that cannot be known is absent from every row,
    so a finding that needs it is dropped and one that excludes it no longer mentions it."""
    have = bits(t, fields, dialect)
    return [Aggregate(a.name, a.all_of, tuple(n for n in a.none_of if n in have), a.keys)
            for a in FINDINGS if all(n in have for n in a.all_of)]


def _array(expr: str, dialect: Dialect) -> str:
    if dialect is Dialect.ATHENA:
        return f"json_format(CAST({expr} AS JSON))"
    return expr


def masks(a: Aggregate, bit: Mapping[str, int]) -> tuple[int, int]:
    """``(mask, value)``: a row's flags are in the finding when ``flags & mask == value``."""
    value = sum(bit[n] for n in a.all_of)
    return value | sum(bit[n] for n in a.none_of), value


HELD_VERSION = "NOT coalesce(is_delete_marker, false) AND object_lock_legal_hold_status = 'ON'"
"""A version under legal hold: the legal-hold register's rows (the ``legal_holds`` aggregate's)."""


def register_aggregate(fields: Iterable[str], limit: int) -> str:
    """DuckDB only: the register's first ``limit`` rows, in its order, collected in the audit's scan.

    ``min_by`` with a count keeps the smallest rows by a struct of the register's ORDER BY columns
    (compared field by field, NULLs last as in ``ORDER BY``), so the register costs no second scan;
    :func:`merge_register` merges the groups' lists.
    """
    until = "object_lock_retain_until_date" if "object_lock_retain_until_date" in set(fields) else "NULL"
    row = (f"{{'key': key, 'version_id': version_id, 'last_modified_date': last_modified_date, "
           f"'retain_until': {until}}}")
    order = "{'m': last_modified_date, 'k': key, 'v': version_id}"
    return f"min_by({row}, {order}, {int(limit)}) FILTER (WHERE held)"


def flags_sql(t: Thresholds, fields: Iterable[str], dialect: Dialect) -> str:
    """A row's facts as the bits of one integer (a NULL condition is a clear bit)."""
    return " + ".join(f"CASE WHEN {f.condition} THEN {1 << i} ELSE 0 END"
                      for i, f in enumerate(facts(t, fields, dialect)))


AGE_BIN_DAYS = 7
"""Width of the age histogram's bins: a week keeps a five-year proof bucket to 261 groups at most."""


def audit_query(source: str, t: Thresholds, fields: Iterable[str], dialect: Dialect, where: str = "",
                register: int = 0, age_bins: bool = False) -> str:
    """One query, one scan: rows grouped by which facts hold for them.

    Each row gets a bit per fact (:func:`facts`); grouping by that bitmask costs one small hash lookup
    per row, and the first keys are kept once per group rather than once per finding. Every finding
    is a set of facts present and absent (:data:`FINDINGS`), so :func:`combine` turns the few groups
    back into a count (and first keys) per finding: eight facts cost fewer evaluations a row than the
    eleven findings made of them. Only rows in a finding that lists keys feed the key lists. With
    ``register`` (DuckDB), each group also carries its first rows of the legal-hold register (column
    ``holds``), so :func:`legal_hold_query` is not needed.
    With ``age_bins`` (DuckDB), groups are also split by week of age at ``as_of`` (column ``age_bin``)
    for the age histogram; :func:`combine` adds groups up whatever splits them.
    """
    fields = tuple(fields)
    flags = flags_sql(t, fields, dialect)
    # A row feeds the key lists when it is in a finding that lists keys: bit tests on the flags, not a
    # second evaluation of the facts (the key-convention regex alone is most of a row's cost).
    bit = bits(t, fields, dialect)
    bitand = FUNCTIONS[dialect]["bitand"]
    keyed = " OR ".join(f"{bitand.format('flags', mask)} = {value}"
                        for mask, value in (masks(a, bit) for a in aggregates(t, fields, dialect) if a.keys))
    keys = _array(f"min(key, {t.sample}) FILTER (WHERE {keyed})", dialect)
    clause = f" WHERE {where}" if where else ""
    holds = inner = ""
    if register > 0 and dialect is Dialect.DUCKDB and "object_lock_legal_hold_status" in fields:
        version = "version_id" if "version_id" in fields else "CAST(NULL AS VARCHAR) AS version_id"
        until = ", object_lock_retain_until_date" if "object_lock_retain_until_date" in fields else ""
        inner = f"last_modified_date, {version}{until}, {HELD_VERSION} AS held, "
        holds = f", {register_aggregate(fields, register)} AS holds"
    group = "flags"
    if age_bins and dialect is Dialect.DUCKDB:
        seconds = f"epoch({timestamp(t.as_of)}) - epoch(last_modified_date)"
        inner += f"CAST(floor(({seconds}) / {AGE_BIN_DAYS * 86400}) AS BIGINT) AS age_bin, "
        group = "flags, age_bin"
    return (
        f"SELECT {group}, count(*) AS n, {keys} AS first_keys{holds}\n"
        f"FROM (SELECT key, {inner}{flags} AS flags\n  FROM {source}{clause}) AS flagged\n"
        f"GROUP BY {group}"
    )


def age_histogram(groups: Iterable[Mapping[str, Any]]) -> list[dict[str, int]]:
    """Versions (not delete markers) per week of age, from :func:`audit_query`'s ``age_bin`` groups.

    A version is a row without the delete-marker fact (bit 0 of ``flags``); ``age_days`` is the bin's
    lower bound.
    """
    bins: dict[int, int] = {}
    for g in groups:
        if not int(g["flags"]) & 1 and g.get("age_bin") is not None:
            bins[int(g["age_bin"])] = bins.get(int(g["age_bin"]), 0) + int(g["n"])
    return [{"age_days": b * AGE_BIN_DAYS, "versions": n} for b, n in sorted(bins.items())]


def _register_order(row: Mapping[str, Any]) -> tuple[Any, ...]:
    # ORDER BY last_modified_date, key, version_id with DuckDB's default NULLS LAST.
    return tuple((row[c] is None, row[c] if row[c] is not None else "")
                 for c in ("last_modified_date", "key", "version_id"))


def merge_register(groups: Iterable[Mapping[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The register's first ``limit`` rows from the groups' ``holds`` lists, in the register's order."""
    rows = [dict(h) for g in groups for h in (g.get("holds") or ())]
    return sorted(rows, key=_register_order)[:limit]


def _memberships(rows: Iterable[Mapping[str, Any]], t: Thresholds, fields: Iterable[str],
                 dialect: Dialect) -> Iterator[tuple[Mapping[str, Any], Aggregate]]:
    """Each group of :func:`audit_query` with each finding its facts put it in."""
    bit = bits(t, fields, dialect)
    tests = [(a, *masks(a, bit)) for a in aggregates(t, fields, dialect)]
    for row in rows:
        flags = int(row["flags"])
        for a, mask, value in tests:
            if flags & mask == value:
                yield row, a


def combine(rows: Sequence[Mapping[str, Any]], t: Thresholds, fields: Iterable[str], dialect: Dialect,
            listed: Callable[[Any], list[str]]) -> dict[str, Any]:
    """Counts and first keys per finding from :func:`audit_query`'s groups (values may be text; ``listed``
    reads a group's key list).

    A finding listed by :func:`cut_short` may miss some of its first keys: see :func:`complete_first_keys`.
    """
    out: dict[str, Any] = {f"{a.name}_count": 0 for a in aggregates(t, fields, dialect)}
    pooled: dict[str, list[str]] = {a.name: [] for a in aggregates(t, fields, dialect) if a.keys}
    for row, a in _memberships(rows, t, fields, dialect):
        out[f"{a.name}_count"] += int(row["n"])
        if a.keys:
            pooled[a.name] += listed(row["first_keys"])
    # Each group kept its own smallest keys, so the smallest of their union are the finding's.
    for name, keys in pooled.items():
        out[f"{name}_keys"] = sorted(set(keys))[: t.sample] or None
    return out


def cut_short(rows: Sequence[Mapping[str, Any]], t: Thresholds, fields: Iterable[str], dialect: Dialect,
              listed: Callable[[Any], list[str]]) -> list[str]:
    """Findings whose first keys :func:`combine` may have cut short (``listed`` keeps repeated keys).

    A group keeps its ``sample`` smallest keys row by row, so several versions of one object take
    several places: when a full list repeats a key, a next distinct key of that group may be missing.
    """
    out: list[str] = []
    for row, a in _memberships(rows, t, fields, dialect):
        keys = listed(row["first_keys"]) if a.keys else []
        if len(keys) >= t.sample and len(set(keys)) < len(keys) and a.name not in out:
            out.append(a.name)
    return out


def first_keys_query(source: str, t: Thresholds, fields: Iterable[str], dialect: Dialect, name: str, rows: int,
                     where: str = "") -> str:
    """The keys of the first ``rows`` rows of one finding, in key order (a scan of its own)."""
    finding = next(a for a in aggregates(t, fields, dialect) if a.name == name)
    mask, value = masks(finding, bits(t, fields, dialect))
    clause = f" WHERE {where}" if where else ""
    flags = flags_sql(t, fields, dialect)
    bitand = FUNCTIONS[dialect]["bitand"].format("flags", mask)
    return (
        f"SELECT key\nFROM (SELECT key, {flags} AS flags\n  FROM {source}{clause}) AS flagged\n"
        f"WHERE {bitand} = {value} AND key IS NOT NULL\nORDER BY key\nLIMIT {int(rows)}"
    )


def complete_first_keys(found: dict[str, Any], rows: Sequence[Mapping[str, Any]], run: Callable[[str], list[str]],
                        source: str, t: Thresholds, fields: Iterable[str], dialect: Dialect,
                        listed: Callable[[Any], list[str]], where: str = "") -> None:
    """Replace in ``found`` (from :func:`combine`) the key lists :func:`cut_short` names by exact ones."""
    for name in cut_short(rows, t, fields, dialect, listed):
        found[f"{name}_keys"] = first_distinct_keys(run, source, t, fields, dialect, name, where)


def first_distinct_keys(run: Callable[[str], list[str]], source: str, t: Thresholds, fields: Iterable[str],
                        dialect: Dialect, name: str, where: str = "") -> list[str] | None:
    """The first ``sample`` distinct keys of a finding that :func:`cut_short` names, exactly.

    ``run`` executes a query and returns its keys. The smallest rows are read in a bounded top-N (four
    times the sample, then four times more while repeated keys fill them), never every offending key.
    """
    rows = 4 * t.sample
    while True:
        keys = run(first_keys_query(source, t, fields, dialect, name, rows, where))
        distinct = sorted(set(keys))
        if len(distinct) >= t.sample or len(keys) < rows:
            return distinct[: t.sample] or None
        rows *= 4


def legal_hold_query(source: str, limit: int, fields: Iterable[str], where: str = "") -> str:
    """The legal-hold register: held versions, oldest first (the longest-held are the ones to review)."""
    extra = f" AND ({where})" if where else ""
    until = "object_lock_retain_until_date" if "object_lock_retain_until_date" in set(fields) else "NULL"
    return (
        f"SELECT key, version_id, last_modified_date, {until} AS retain_until\n"
        f"FROM {source}\n"
        f"WHERE {HELD_VERSION}"
        f"{extra}\nORDER BY last_modified_date, key, version_id\nLIMIT {int(limit)}"
    )
