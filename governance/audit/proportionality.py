"""Proportionality (R1-R3): quality recordings per agent and month against the calls handled, and
proof recordings against the transactions they must prove.

Recordings are counted from every version, current or not: recording every call and then deleting
some is still recording every call (CNIL SAN-2023-008). A recording is tied to its call by the call
id its key layout extracts (:mod:`lifecycle.layouts`); the platform's metadata beside a recording and
objects outside the layout are not recordings. Where the calls come from a platform's contact records
(:mod:`governance.audit.contact_records`), a recording is tied to the contact whose record names its
location first, and by its key only when no record does: the platform warns a file name does not
always carry the contact id.

A bucket that cannot be listed is unverifiable, as in the object audit: every check of its purpose is
an ERROR naming the bucket and the cause (never a pass, never a failure, never a usage error), and
the purpose is not judged from its other buckets, since a rate counted without some of its
recordings could pass wrongly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import duckdb

from governance.audit import catalog
from governance.audit.calls import CALLS
from governance.audit.engine import fetch_dicts
from governance.audit.findings import keys_of
from governance.audit.sql import literal
from governance.model import Result, Severity, Status
from governance.report.common import plural
from lifecycle.layouts import DEFAULT_LAYOUT, LAYOUTS, KeyLayout
from lifecycle.legal import MAX_SAMPLING_RATE, SYSTEMATIC_RECORDING_RATE, Purpose, cite
from lifecycle.policy import Policy
from lifecycle.purposes import Proportion, traits

TABLE = "agent_months"


@dataclass(frozen=True)
class UnlistedBucket:
    """A bucket named for the audit whose objects could not be listed, and why."""

    bucket: str
    purpose: Purpose
    reason: str


@dataclass(frozen=True)
class RecordingSource:
    """One bucket's objects as a DuckDB relation (inventory view or listing table), with its key layout."""

    bucket: str
    purpose: Purpose
    relation: str
    layout: KeyLayout = LAYOUTS[DEFAULT_LAYOUT]
    prefix: str = ""
    located: str | None = None
    """The relation of recordings located by contact records (call_id, bucket, key, day, deleted), if any."""

    @classmethod
    def of(cls, bucket: str, purpose: Purpose, relation: str, policy: Policy,
           located: str | None = None) -> RecordingSource:
        """A source whose layout and prefix are the policy's for the purpose."""
        p = policy[purpose]
        return cls(bucket, purpose, relation, p.key_layout, p.recording_prefix, located)


def recordings_sql(source: RecordingSource) -> str:
    """The recordings of one source (platform metadata and other objects left out): key, call id, UTC day.

    With located recordings, an object a contact record names is that contact's recording whatever its
    key says (its day from the key, else the contact's); the others are tied by the layout's call id.
    """
    pattern = literal(source.layout.recording_pattern(source.prefix))
    metadata = source.layout.metadata_pattern(source.prefix)
    not_metadata = f" AND NOT regexp_matches(o.key, {literal(metadata)})" if metadata else ""
    year, month, day, call = source.layout.groups

    def group(n: int) -> str:
        return f"regexp_extract(o.key, {pattern}, {n})"

    # An impossible date (2025/02/31) is no day, as the key check says, rather than an error.
    key_day = f"TRY_CAST(concat({group(year)}, '-', {group(month)}, '-', {group(day)}) AS DATE)"
    recording = f"regexp_matches(o.key, {pattern}){not_metadata}"
    live = "NOT coalesce(o.is_delete_marker, false)"
    if source.located is None:
        return (f"SELECT o.key, {group(call)} AS call_id, {key_day} AS day FROM {source.relation} o "
                f"WHERE {live} AND {recording}")
    located = (f"(SELECT key, any_value(call_id) AS call_id, any_value(day) AS day FROM {source.located} "
               f"WHERE bucket = {literal(source.bucket)} GROUP BY key)")
    return (
        f"SELECT o.key, coalesce(l.call_id, {group(call)}) AS call_id, coalesce({key_day}, l.day) AS day "
        f"FROM {source.relation} o LEFT JOIN {located} l ON l.key = o.key "
        f"WHERE {live} AND (l.call_id IS NOT NULL OR ({recording}))"
    )


def _recordings_sql(sources: Sequence[RecordingSource], purpose: Purpose) -> str:
    return " UNION ALL ".join(recordings_sql(s) for s in sources if s.purpose is purpose)


def _buckets(sources: Sequence[RecordingSource], purpose: Purpose) -> str:
    return ", ".join(f"s3://{s.bucket}" for s in sources if s.purpose is purpose)


def max_rate(policy: Policy, purpose: Purpose) -> float:
    """The policy's sampling rate for a sampled purpose, else the R2 ceiling."""
    rate = policy[purpose].sampling_rate
    return rate if rate is not None else MAX_SAMPLING_RATE


def agent_months(con: duckdb.DuckDBPyConnection, sources: Sequence[RecordingSource],
                 purpose: Purpose) -> list[dict[str, Any]]:
    """Calls handled and calls with a recording of a sampled purpose, per agent and month (UTC)."""
    recorded = _recordings_sql(sources, purpose)
    return fetch_dicts(con, (
        f"WITH recorded AS (SELECT DISTINCT call_id FROM ({recorded})) "
        "SELECT c.agent_id, strftime(c.started_at, '%Y-%m') AS month, count(DISTINCT c.call_id) AS calls, "
        "count(DISTINCT r.call_id) AS recordings "
        # A contact no agent handled (contact records only) is in no agent's rate.
        f"FROM {CALLS} c LEFT JOIN recorded r ON r.call_id = c.call_id WHERE c.agent_id IS NOT NULL "
        "GROUP BY ALL ORDER BY 1, 2"
    ))


def _judge(row: dict[str, Any], ceiling: float) -> tuple[Status, Severity | None, str]:
    share = Fraction(int(row["recordings"]), int(row["calls"]))
    if share >= Fraction(str(SYSTEMATIC_RECORDING_RATE)):
        return Status.FAIL, Severity.CRITICAL, "systematic recording"
    if share > Fraction(str(ceiling)):
        return Status.FAIL, Severity.HIGH, "above the sampling rate"
    return Status.PASS, None, "within the sampling rate"


def rate_results(
    rows: Sequence[dict[str, Any]], ceiling: float, buckets: str, purpose: Purpose
) -> tuple[list[Result], list[dict[str, Any]]]:
    """One failing result per agent-month over the rate, one result for all the others, and the table."""
    results: list[Result] = []
    table: list[dict[str, Any]] = []
    passed = 0
    for row in rows:
        status, severity, verdict = _judge(row, ceiling)
        rate = int(row["recordings"]) / int(row["calls"])
        table.append({"agent_id": row["agent_id"], "month": row["month"], "calls": int(row["calls"]),
                      "recordings": int(row["recordings"]), "rate": round(rate, 4), "max_rate": ceiling,
                      "verdict": verdict})
        if status is Status.PASS:
            passed += 1
            continue
        systematic = severity is Severity.CRITICAL
        results.append(Result(
            catalog.PROP_RATE.id, f"agent {row['agent_id']} {row['month']}", str(purpose), status,
            severity or Severity.HIGH,
            f"Agent {row['agent_id']} had {row['recordings']} of {plural(int(row['calls']), 'call')} recorded for "
            f"quality in "
            f"{row['month']} ({rate:.0%}), " + (
                f"at or above {SYSTEMATIC_RECORDING_RATE:.0%}: recording (nearly) every call is systematic "
                "surveillance of the employee." if systematic else
                f"above the sampling rate of {ceiling:.0%}; quality recording must be an occasional random sample."),
            observed={"calls": int(row["calls"]), "recordings": int(row["recordings"]), "rate": round(rate, 4)},
            expected={"max_rate": ceiling},
            citations=cite("R1", "R2") if systematic else cite("R2", "R1"),
        ))
    if passed:
        results.append(Result(
            catalog.PROP_RATE.id, buckets, str(purpose), Status.PASS, catalog.PROP_RATE.severity,
            f"{plural(passed, 'agent-month')} recorded at or below the sampling rate of {ceiling:.0%}.",
            observed={"agent_months": passed}, expected={"max_rate": ceiling}, citations=cite("R2", "R1"),
        ))
    return results, table


def _period_filter() -> str:
    return (f"r.day BETWEEN (SELECT CAST(min(started_at) AS DATE) FROM {CALLS}) "
            f"AND (SELECT CAST(max(started_at) AS DATE) FROM {CALLS})")


def unmatched_result(con: duckdb.DuckDBPyConnection, sources: Sequence[RecordingSource], purpose: Purpose,
                     sample: int) -> Result:
    """Recordings dated within the export's period whose call the export does not list: unattributable."""
    count, keys = con.execute(
        f"SELECT count(*), min(r.key, {int(sample)}) FROM ({_recordings_sql(sources, purpose)}) r "
        f"LEFT JOIN {CALLS} c ON c.call_id = r.call_id WHERE c.call_id IS NULL AND {_period_filter()}"
    ).fetchone() or (0, None)
    buckets = _buckets(sources, purpose)
    first = keys_of(keys)
    observed = {"count": int(count), "first_keys": first}
    if count:
        return Result(catalog.PROP_UNMATCHED.id, buckets, str(purpose), Status.ERROR, catalog.PROP_UNMATCHED.severity,
                      f"{plural(int(count), f'{purpose} recording')} dated within the calls export's period "
                      f"{'matches' if count == 1 else 'match'} no call in it, so "
                      f"{'its' if count == 1 else 'their'} proportionality cannot be verified. "
                      f"First: {', '.join(first[:3])}.",
                      observed=observed, citations=cite("R1", "R3"))
    return Result(catalog.PROP_UNMATCHED.id, buckets, str(purpose), Status.PASS, catalog.PROP_UNMATCHED.severity,
                  f"Every {purpose} recording dated within the calls export's period matches a call.",
                  observed=observed, citations=cite("R1", "R3"))


def proof_result(con: duckdb.DuckDBPyConnection, sources: Sequence[RecordingSource], purpose: Purpose,
                 sample: int) -> Result:
    """Recordings of a transaction purpose whose call concluded no transaction (R3)."""
    count, keys = con.execute(
        f"SELECT count(*), min(r.key, {int(sample)}) FROM ({_recordings_sql(sources, purpose)}) r "
        f"JOIN {CALLS} c ON c.call_id = r.call_id WHERE c.transaction_id IS NULL"
    ).fetchone() or (0, None)
    buckets = _buckets(sources, purpose)
    first = keys_of(keys)
    observed = {"count": int(count), "first_keys": first}
    meta = catalog.PROOF_TX
    if count:
        return Result(meta.id, buckets, str(purpose), Status.FAIL, meta.severity,
                      f"{plural(int(count), f'{purpose} recording')} in {buckets} {'is' if count == 1 else 'are'} "
                      "of calls that concluded no transaction; only "
                      f"calls containing the transaction may be recorded as proof. "
                      f"First: {', '.join(first[:3])}.",
                      observed=observed, expected="every proof recording's call has a transaction_id",
                      citations=cite("R3"))
    return Result(meta.id, buckets, str(purpose), Status.PASS, meta.severity,
                  f"Every {purpose} recording in {buckets} matched to a call is of a call with a transaction.",
                  observed=observed, citations=cite("R3"))


def _objects_sql(sources: Sequence[RecordingSource]) -> str:
    return " UNION ALL ".join(
        f"SELECT {literal(s.bucket)} AS bucket, key FROM {s.relation} WHERE NOT coalesce(is_delete_marker, false)"
        for s in sources
    )


def missing_result(con: duckdb.DuckDBPyConnection, sources: Sequence[RecordingSource], policy: Policy,
                   purpose: Purpose, as_of: date, sample: int) -> Result | None:
    """Recordings the contact records place in a bucket of ``purpose`` that holds no version of them.

    Only contacts younger than the purpose's retention count: older recordings are gone by the
    lifecycle, as they must be, while their records live on. A recording the platform marks DELETED
    is expected to be gone.
    """
    chosen = [s for s in sources if s.purpose is purpose and s.located]
    if not chosen:
        return None
    located = chosen[0].located
    since = as_of - timedelta(days=policy[purpose].retention_days)
    buckets = ", ".join(literal(s.bucket) for s in chosen)
    count, first = con.execute(
        f"SELECT count(*), min('s3://' || l.bucket || '/' || l.key, {int(sample)}) FROM {located} l "
        f"WHERE l.bucket IN ({buckets}) AND NOT l.deleted AND l.day > DATE {literal(since.isoformat())} "
        f"AND NOT EXISTS (SELECT 1 FROM ({_objects_sql(chosen)}) o WHERE o.bucket = l.bucket AND o.key = l.key)"
    ).fetchone() or (0, None)
    meta = catalog.PROP_LOCATION_MISSING
    where = _buckets(chosen, purpose)
    observed = {"count": int(count), "first_keys": keys_of(first), "since": since.isoformat()}
    if count:
        return Result(meta.id, where, str(purpose), Status.FAIL, meta.severity,
                      f"{count} {purpose} recordings that contact records of the last "
                      f"{policy[purpose].retention_days} days place in {where} are not there (no version, not "
                      f"marked DELETED by the platform): recorded, then moved or erased outside the lifecycle. "
                      f"First: {', '.join(keys_of(first)[:3])}.",
                      observed=observed, expected="every located recording within the retention is in the bucket",
                      citations=cite(*meta.rules))
    return Result(meta.id, where, str(purpose), Status.PASS, meta.severity,
                  f"Every {purpose} recording the contact records of the last {policy[purpose].retention_days} "
                  f"days place in {where} is there.", observed=observed, citations=cite(*meta.rules))


def unaudited_result(con: duckdb.DuckDBPyConnection, sources: Sequence[RecordingSource],
                     sample: int, unlisted: Sequence[UnlistedBucket] = ()) -> Result | None:
    """Recordings the contact records place in buckets that are not being audited: never dropped. A
    bucket named but not listable is audited, unsuccessfully: its own errors say so."""
    located = next((s.located for s in sources if s.located), None)
    if located is None:
        return None
    audited = ", ".join(literal(b) for b in sorted({s.bucket for s in sources} | {u.bucket for u in unlisted}))
    rows = con.execute(
        f"SELECT bucket, count(*) AS n, count(DISTINCT call_id) FROM {located} WHERE bucket NOT IN ({audited}) "
        f"GROUP BY bucket ORDER BY n DESC, bucket LIMIT {int(sample)}"
    ).fetchall()
    total = con.execute(f"SELECT count(*) FROM {located} WHERE bucket NOT IN ({audited})").fetchone() or (0,)
    meta = catalog.PROP_LOCATION_UNAUDITED
    observed = {"count": int(total[0]), "buckets": {str(b): int(n) for b, n, _ in rows}}
    if total[0]:
        named = ", ".join(f"{b} ({n})" for b, n, _ in rows)
        return Result(meta.id, "contact records", "", Status.ERROR, meta.severity,
                      f"{total[0]} recordings named by the contact records lie in buckets not audited here: {named}; "
                      "their calls' rates cannot be verified: audit those buckets too (--bucket NAME=PURPOSE or "
                      "--inventory).", observed=observed, citations=cite(*meta.rules))
    return Result(meta.id, "contact records", "", Status.PASS, meta.severity,
                  "Every recording named by the contact records lies in an audited bucket.",
                  observed=observed, citations=cite(*meta.rules))


def unlisted_results(unlisted: UnlistedBucket, located: bool) -> list[Result]:
    """A bucket that could not be listed: each check of its purpose is ERROR, naming the bucket and why."""
    proportion = traits(unlisted.purpose).proportion
    checks = [catalog.PROP_RATE] if proportion is Proportion.SAMPLE else []
    checks += [catalog.PROOF_TX] if proportion is Proportion.TRANSACTION else []
    if proportion is not None:
        checks += [catalog.PROP_UNMATCHED, *([catalog.PROP_LOCATION_MISSING] if located else [])]
    where = f"s3://{unlisted.bucket}"
    return [Result(m.id, where, str(unlisted.purpose), Status.ERROR, m.severity,
                   f"{where} could not be listed ({unlisted.reason}), so {m.id} cannot be verified for "
                   f"{unlisted.purpose}: its recordings are unknown.", citations=cite(*m.rules))
            for m in checks]


def judge_recordings_against_calls(
    con: duckdb.DuckDBPyConnection, sources: Sequence[RecordingSource], policy: Policy, sample: int = 10,
    as_of: date | None = None, unlisted: Sequence[UnlistedBucket] = (),
) -> tuple[list[Result], dict[str, list[dict[str, Any]]]]:
    """Every proportionality result: the recordings of each purpose judged against the calls handled
    (rates per agent and month, proof against transactions, recordings no call explains, located
    recordings missing), and the per-agent, per-month table. A purpose with an ``unlisted`` bucket gets
    that bucket's errors instead of judgements."""
    today = as_of or datetime.now(UTC).date()
    results: list[Result] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    located = any(s.located for s in sources)
    for u in unlisted:
        results += unlisted_results(u, located)
    unverifiable = {u.purpose for u in unlisted}
    for purpose in sorted({s.purpose for s in sources} - unverifiable, key=list(Purpose).index):
        proportion = traits(purpose).proportion
        if proportion is Proportion.SAMPLE:
            rate_res, rows = rate_results(agent_months(con, sources, purpose), max_rate(policy, purpose),
                                          _buckets(sources, purpose), purpose)
            results += rate_res
            tables[TABLE] = rows
        elif proportion is Proportion.TRANSACTION:
            results.append(proof_result(con, sources, purpose, sample))
        if proportion is not None:
            results.append(unmatched_result(con, sources, purpose, sample))
            missing = missing_result(con, sources, policy, purpose, today, sample)
            results += [missing] if missing else []
    unaudited = unaudited_result(con, sources, sample, unlisted)
    return results + ([unaudited] if unaudited else []), tables
