"""The audit as a library: build the Report of ``audit-objects`` and ``proportionality``.

The command line is a thin layer over these functions. Input errors raise :class:`AuditInputError`
(or ``TargetError``) before any result exists, so nothing is half-reported.

The modules that load DuckDB are imported by the functions that use them, once a local inventory's
checksums are running: the import then runs on one core while the hashing uses the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from governance import __version__
from governance.audit import catalog
from governance.audit.athena import AthenaTarget, audit_athena, verify_etags
from governance.audit.errors import AccountUnreachableError, AuditInputError
from governance.audit.files import open_inventory, read_s3_manifest, s3_client
from governance.audit.findings import BucketAudit, hold_rows, object_results
from governance.audit.limits import thresholds_for
from governance.audit.sql import REGISTER_LIMIT
from governance.model import Report, Result, Status
from governance.targets import Target
from lifecycle.legal import Purpose
from lifecycle.policy import Policy
from lifecycle.purposes import RECORDING_PURPOSES

if TYPE_CHECKING:
    from governance.audit.live import Progress


@dataclass(frozen=True)
class InventoryTarget:
    """An inventory manifest and, when given, the purpose of the bucket it describes."""

    location: str
    purpose: Purpose | None = None


@dataclass(frozen=True)
class Options:
    """How to audit: the audit date, how many keys to show, resources to use, the inventory engine."""

    as_of: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    sample: int = 10
    register_limit: int = REGISTER_LIMIT
    workers: int = 16
    memory_limit: str = "768MB"
    threads: int | None = None
    engine: str = "duckdb"
    """The name of the engine that reads inventories (:data:`ENGINES`)."""
    athena: AthenaTarget | None = None
    progress: Progress | None = None
    """Told how live listings advance (the command line draws a bar on a terminal)."""


def infer_purpose(bucket: str) -> Purpose | None:
    """The purpose a bucket's name states as a whole word (``recgov-prod-quality-1a2b``), if exactly one."""
    found = [p for p in Purpose if re.search(rf"(^|[-_.]){re.escape(str(p))}($|[-_.])", bucket)]
    return found[0] if len(found) == 1 else None


def _purpose(target: InventoryTarget, source_bucket: str) -> Purpose:
    purpose = target.purpose or infer_purpose(source_bucket)
    if purpose is None:
        raise AuditInputError(
            f"{target.location}: the purpose of bucket {source_bucket} cannot be told from its name; "
            "give it with --purpose."
        )
    return purpose


def _as_of_text(options: Options) -> str:
    return options.as_of.strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unreadable_results(bucket: str, purpose: Purpose, reason: str) -> list[Result]:
    """A bucket that could not be listed: every object check is ERROR (never pass, never fail)."""
    checks = [m for m in catalog.OBJECT_CHECKS if m is not catalog.KEY_NAME or purpose in RECORDING_PURPOSES]
    return [
        Result(m.id, f"s3://{bucket}", str(purpose), Status.ERROR, m.severity,
               f"s3://{bucket} could not be listed ({reason}), so {m.id} cannot be verified.")
        for m in checks
    ]


def age_rows(audit: BucketAudit) -> list[dict[str, Any]]:
    """The bucket's age histogram as rows of the ``age_distribution`` table (see governance.report.html_data)."""
    return [{"bucket": audit.bucket, "purpose": str(audit.thresholds.purpose), **row,
             "limit_days": audit.thresholds.age_limit_days} for row in audit.ages]


@dataclass(frozen=True)
class Outcome:
    """One source audited: its results, register and histogram rows, and the report's description of it
    (None when it could not be read)."""

    results: list[Result]
    holds: list[dict[str, Any]] = field(default_factory=list)
    ages: list[dict[str, Any]] = field(default_factory=list)
    source: dict[str, Any] | None = None


def _outcome(audit: BucketAudit, options: Options, described: dict[str, Any]) -> Outcome:
    return Outcome(object_results(audit, _as_of_text(options)), hold_rows(audit, options.as_of), age_rows(audit),
                   {"bucket": audit.bucket, "purpose": str(audit.thresholds.purpose), **described})


def _counted(audit: BucketAudit, name: str) -> int:
    return int(audit.aggregates.get(f"{name}_count") or 0)


def _inventory_outcome(audit: BucketAudit, target: InventoryTarget, file_format: str, files: int,
                       options: Options) -> Outcome:
    return _outcome(audit, options, {"manifest": target.location, "format": file_format, "files": files,
                                     "versions": _counted(audit, "versions"),
                                     "delete_markers": _counted(audit, "delete_markers")})


def _audit_with_duckdb(target: InventoryTarget, policy: Policy, options: Options,
                       s3_factory: Callable[[], Any]) -> Outcome:
    with open_inventory(target.location, background=True) as inv:
        # DuckDB is imported once the checksums have started: its tenth of a second of loading then
        # overlaps with hashing instead of delaying it (see the module docstring).
        from governance.audit.engine import audit_inventory

        t = thresholds_for(policy, _purpose(target, inv.manifest.source_bucket), options.as_of, options.sample)
        audit = audit_inventory(inv, t, options.register_limit, options.memory_limit, options.threads)
        return _inventory_outcome(audit, target, inv.manifest.file_format, len(inv.paths), options)


def _athena_refusal(inventories: Sequence[InventoryTarget], buckets: Sequence[Target], options: Options) -> str | None:
    if buckets or len(inventories) != 1 or not inventories[0].location.startswith("s3://"):
        return "--engine athena audits exactly one --inventory s3://.../manifest.json (no --bucket)."
    if options.athena is None:
        return "--engine athena needs --athena-database and --athena-table."
    return None


def _audit_with_athena(target: InventoryTarget, policy: Policy, options: Options,
                       s3_factory: Callable[[], Any]) -> Outcome:
    import boto3

    assert options.athena is not None  # refused before: see _athena_refusal
    s3 = s3_client()
    manifest = read_s3_manifest(target.location, s3)
    verify_etags(s3, manifest)
    t = thresholds_for(policy, _purpose(target, manifest.source_bucket), options.as_of, options.sample)
    audit = audit_athena(boto3.client("athena"), options.athena, manifest, t, options.register_limit,
                         boto3.client("glue"))
    return _inventory_outcome(audit, target, manifest.file_format, len(manifest.files), options)


def _audit_listing(target: Target, policy: Policy, options: Options, s3_factory: Callable[[], Any]) -> Outcome:
    from governance.audit.live import audit_listing, list_bucket
    from governance.audit.source import connect

    t = thresholds_for(policy, target.purpose, options.as_of, options.sample)
    try:
        listing = list_bucket(s3_factory(), target.bucket, options.workers, progress=options.progress)
    except (ClientError, BotoCoreError) as exc:
        return Outcome(unreadable_results(target.bucket, target.purpose, str(exc)))
    con = connect(options.memory_limit, options.threads)
    try:
        audit = audit_listing(con, target.bucket, listing, t, options.register_limit)
    finally:
        con.close()
    return _outcome(audit, options, {"listing": True, "versions": _counted(audit, "versions"),
                                     "uploads": len(listing.uploads)})


def _no_refusal(inventories: Sequence[InventoryTarget], buckets: Sequence[Target], options: Options) -> str | None:
    return None


@dataclass(frozen=True)
class Engine:
    """One way of running the audit plan: what selects it, and how it reads a source and runs the plan."""

    name: str
    reads: Literal["inventory", "bucket"]
    """What it audits: an ``--inventory`` manifest (``--engine NAME`` chooses among these), or a ``--bucket``."""
    description: str
    audit: Callable[[Any, Policy, Options, Callable[[], Any]], Outcome]
    """Audit one source (an :class:`InventoryTarget` or a :class:`~governance.targets.Target`)."""
    refusal: Callable[[Sequence[InventoryTarget], Sequence[Target], Options], str | None] = _no_refusal
    """Why an invocation cannot use it (one sentence), before anything is read; None when it can."""


ENGINES = (
    Engine("duckdb", "inventory", "reads the inventory's files here", _audit_with_duckdb),
    Engine("athena", "inventory", "queries them where they are", _audit_with_athena, _athena_refusal),
    Engine("listing", "bucket", "lists the bucket's versions live (read-only)", _audit_listing),
)
"""Every engine; ``--engine`` offers those that read inventories."""
INVENTORY_ENGINES = {e.name: e for e in ENGINES if e.reads == "inventory"}
LISTING = next(e for e in ENGINES if e.reads == "bucket")


def inventory_engine(options: Options) -> Engine:
    """The engine ``options`` names for inventories; an unknown name is bad input."""
    engine = INVENTORY_ENGINES.get(options.engine)
    if engine is None:
        raise AuditInputError(f"--engine {options.engine} is not one of {', '.join(INVENTORY_ENGINES)}.")
    return engine


def audit_objects(policy: Policy, inventories: Sequence[InventoryTarget], buckets: Sequence[Target],
                  options: Options, s3_factory: Callable[[], Any] = s3_client) -> Report:
    """The object-level audit of every inventory and listed bucket, as one report."""
    engine = inventory_engine(options)
    for refused in (engine.refusal(inventories, buckets, options),
                    LISTING.refusal(inventories, buckets, options) if buckets else None):
        if refused is not None:
            raise AuditInputError(refused)
    s3 = cache(s3_factory)  # one client for every listed bucket, made only if one is listed
    outcomes = [engine.audit(target, policy, options, s3) for target in inventories]
    outcomes += [LISTING.audit(target, policy, options, s3) for target in buckets]
    holds = [h for o in outcomes for h in o.holds]
    ages = [a for o in outcomes for a in o.ages]
    return Report(
        results=tuple(r for o in outcomes for r in o.results),
        target={"as_of": _as_of_text(options), "engine": options.engine,
                "sources": [o.source for o in outcomes if o.source is not None]},
        policy_digest=policy.digest, generated_at=_now(), tool_version=__version__, kind="audit-objects",
        checks=catalog.OBJECT_CHECKS, tables={"legal_holds": holds, **({"age_distribution": ages} if ages else {})},
    )


def proportionality_report(policy: Policy, calls: Path | None, inventories: Sequence[InventoryTarget],
                           buckets: Sequence[Target], options: Options,
                           s3_factory: Callable[[], Any] = s3_client, *, contact_records: str | None = None,
                           unreachable: str | None = None,
                           transaction_attribute: str = "transaction_id") -> Report:
    """Quality recording rates per agent and month, and proof recordings against transactions.

    The calls come from exactly one of ``calls`` (the calls export) and ``contact_records`` (a file,
    directory or ``s3://`` prefix of Amazon Connect contact records).
    """
    from governance.audit.calls import load_calls
    from governance.audit.contact_records import LOCATIONS, load_contact_records, record_files
    from governance.audit.live import list_bucket, load_listing
    from governance.audit.proportionality import RecordingSource, UnlistedBucket, judge_recordings_against_calls
    from governance.audit.source import connect, create_view

    if (calls is None) == (contact_records is None):
        raise AuditInputError("give exactly one of --calls CSV and --contact-records PATH.")
    con = connect(options.memory_limit, options.threads)
    try:
        located: str | None = None
        if calls is not None:
            target: dict[str, Any] = {"calls": str(calls), "calls_count": load_calls(con, calls)}
        else:
            with record_files(str(contact_records), s3_factory) as files:
                loaded = load_contact_records(con, files, str(contact_records), transaction_attribute)
            target = {**loaded.described(), "calls_count": loaded.calls, "transaction_attribute": transaction_attribute}
            located = LOCATIONS
        sources: list[RecordingSource] = []
        unlisted: list[UnlistedBucket] = []
        described: list[dict[str, Any]] = []
        with ExitStack() as stack:
            for i, inv_target in enumerate(inventories):
                inv = stack.enter_context(open_inventory(inv_target.location))
                purpose = _purpose(inv_target, inv.manifest.source_bucket)
                create_view(con, inv, f"recordings_{i}")
                sources.append(RecordingSource.of(inv.manifest.source_bucket, purpose, f"recordings_{i}", policy,
                                                  located))
                described.append({"bucket": inv.manifest.source_bucket, "purpose": str(purpose),
                                  "manifest": inv_target.location})
            if buckets:
                if unreachable is not None:
                    # The calls and inventories were checked first: bad input is refused (exit 2)
                    # before an outage makes the rest unverifiable (exit 3).
                    raise AccountUnreachableError(unreachable)
                s3 = s3_factory()
                for j, bucket_target in enumerate(buckets):
                    name = f"listed_{j}"
                    try:
                        listing = list_bucket(s3, bucket_target.bucket, options.workers, details=False,
                                              progress=options.progress)
                    except (ClientError, BotoCoreError) as exc:
                        unlisted.append(UnlistedBucket(bucket_target.bucket, bucket_target.purpose, str(exc)))
                        continue
                    load_listing(con, listing, name)
                    sources.append(RecordingSource.of(bucket_target.bucket, bucket_target.purpose, name, policy,
                                                      located))
                    described.append({"bucket": bucket_target.bucket, "purpose": str(bucket_target.purpose),
                                      "listing": True})
            named = [s.purpose for s in sources] + [u.purpose for u in unlisted]
            if not any(p in RECORDING_PURPOSES for p in named):
                raise AuditInputError("proportionality needs a quality or proof bucket (inventory or --bucket).")
            results, tables = judge_recordings_against_calls(con, sources, policy, options.sample,
                                                             options.as_of.date(), unlisted)
    finally:
        con.close()
    return Report(
        results=tuple(results),
        target={**target, "sources": described},
        policy_digest=policy.digest, generated_at=_now(), tool_version=__version__, kind="proportionality",
        checks=catalog.PROPORTIONALITY_CHECKS, tables=tables,
    )
