"""``recgov audit-objects`` and ``recgov proportionality``: what is really stored, judged by the law."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from governance.audit.athena import AthenaTarget
from governance.audit.errors import AccountUnreachableError, AuditInputError
from governance.audit.run import (
    INVENTORY_ENGINES,
    InventoryTarget,
    Options,
    audit_objects,
    inventory_engine,
    proportionality_report,
)
from governance.commands.output import ARCHIVE_OPTION, emit, outage_first
from governance.commands.shared import (
    OUTPUT_OPTION,
    POLICY_OPTION,
    REPORT_FORMAT_OPTION,
    STACK_CONFIG_OPTION,
    athena_options,
    aws_options,
    effective_policy,
    fail_usage,
    use_aws,
)
from governance.model import ExitCode, Report
from governance.targets import Target, TargetError, parse_bucket_option
from lifecycle.legal import Purpose

F = TypeVar("F", bound=Callable[..., Any])

SOURCE_OPTIONS = (
    click.option("--inventory", "inventories", multiple=True, metavar="MANIFEST",
                 help="An S3 Inventory manifest.json (local path or s3://BUCKET/KEY); repeatable."),
    click.option("--bucket", "buckets", multiple=True, metavar="NAME=PURPOSE",
                 help="List a bucket live (read-only) where no inventory exists; repeatable."),
    click.option("--purpose", type=click.Choice([str(p) for p in Purpose]), default=None,
                 help="Purpose of the inventoried bucket when its name does not state it."),
)
COMMON_OPTIONS = (
    POLICY_OPTION,
    STACK_CONFIG_OPTION,
    REPORT_FORMAT_OPTION,
    OUTPUT_OPTION,
    click.option("--sample", type=click.IntRange(1, 1000), default=10, show_default=True,
                 help="Offending keys shown per finding (the count is always complete)."),
    click.option("--workers", type=click.IntRange(1, 64), default=16, show_default=True,
                 help="Prefixes listed at once in live mode."),
    click.option("--memory-limit", default="768MB", show_default=True, help="DuckDB's memory ceiling."),
    ARCHIVE_OPTION,
    aws_options,
)


def _options(options: Sequence[Callable[[F], F]]) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        for option in reversed(options):
            f = option(f)
        return f
    return decorate


def parse_as_of(text: str | None) -> datetime:
    """``--as-of``: a date (midnight UTC) or an ISO 8601 time; naive UTC for comparison with inventories."""
    if text is None:
        return datetime.now(UTC).replace(tzinfo=None)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail_usage(f"--as-of {text!r} is not a date such as 2025-06-01 or 2025-06-01T00:00:00Z.")
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _targets(inventories: tuple[str, ...], buckets: tuple[str, ...], purpose: str | None,
             ) -> tuple[list[InventoryTarget], list[Target]]:
    if not inventories and not buckets:
        fail_usage("give --inventory MANIFEST or --bucket NAME=PURPOSE (either may be repeated).")
    try:
        listed = [parse_bucket_option(b) for b in buckets]
    except TargetError as err:
        fail_usage(str(err))
    chosen = Purpose(purpose) if purpose else None
    return [InventoryTarget(i, chosen) for i in inventories], listed


class ListingBar:
    """The live listing's progress as a bar on the terminal (stderr), one bar per bucket listed."""

    def __init__(self) -> None:
        self._bar: Any = None

    @staticmethod
    def for_terminal() -> ListingBar | None:
        """A bar when a person watches stderr; in CI logs and pipes it would be noise."""
        return ListingBar() if sys.stderr.isatty() else None

    def start(self, label: str, total: int) -> None:
        """Draw a new bar of ``total`` prefixes."""
        self._bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)

    def advance(self) -> None:
        """One prefix more."""
        if self._bar is not None:
            self._bar.update(1)

    def finish(self) -> None:
        """End the bar's line."""
        if self._bar is not None:
            self._bar.render_finish()
            self._bar = None


def _emit(report: Report, fmt: str, output: Path | None, archive: str | None) -> None:
    emit(report, fmt, output, archive)
    sys.exit(int(report.summary.exit_code))


def _connect(inventories: Sequence[InventoryTarget], listed: Sequence[Target], archive: str | None,
             endpoint_url: str | None, region: str | None,
             also: Sequence[str] = (), say: bool = True) -> tuple[str | None, Callable[[], Any]]:
    """Apply --endpoint-url and --region when the command talks to AWS, and find an outage up front.

    Returns the outage (None when there is none or no bucket is listed) and the S3 client factory the
    live listing uses: one without retries when the account cannot be reached at all. ``also`` are other
    locations the command reads (contact records), ``s3://`` ones included.
    """
    from governance.audit.files import s3_client

    remote = bool(listed) or archive is not None or any(
        location.startswith("s3://") for location in (*(i.location for i in inventories), *also))
    if not remote:
        return None, s3_client
    use_aws(endpoint_url, region)
    from governance.collect.clients import outage

    cause = (outage_first(endpoint_url, region) if say else outage(endpoint_url, region)) if listed else None
    if cause is None:
        return None, s3_client

    def quick() -> Any:
        import boto3

        from governance.collect.clients import PROBE_CONFIG

        return boto3.client("s3", config=PROBE_CONFIG)

    return cause, quick


@click.command("audit-objects")
@_options(SOURCE_OPTIONS)
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="Audit date (default: now, UTC).")
@click.option("--engine", type=click.Choice(tuple(INVENTORY_ENGINES)), default="duckdb", show_default=True,
              help="; ".join(f"{e.name} {e.description}" for e in INVENTORY_ENGINES.values()) + ".")
@athena_options
@_options(COMMON_OPTIONS)
def audit_objects_command(inventories: tuple[str, ...], buckets: tuple[str, ...], purpose: str | None,
                          as_of: str | None, engine: str, athena_database: str | None, athena_table: str | None,
                          athena_workgroup: str, athena_output: str | None, policy_path: Path | None,
                          stack_config: Path | None, fmt: str, output: Path | None, archive: str | None,
                          sample: int, workers: int, memory_limit: str, endpoint_url: str | None,
                          region: str | None) -> None:
    """Audit every stored version against the purpose's effective limit.

    Reads an S3 Inventory (CSV.gz or Parquet; each data file's MD5 is verified first) or lists buckets
    live. Findings, each with a count and the first keys: versions and delete markers older than the
    limit, locks beyond the retention or the legal maximum, the legal-hold register, objects not
    encrypted with SSE-KMS, keys outside <purpose>/YYYY/MM/DD/<call_id>.<ext>, and (live) incomplete
    multipart uploads. Exit 0 compliant, 1 violation, 2 bad input, 3 something unverified.

    Example: recgov audit-objects --inventory inventory/recgov-prod-quality/recgov-daily/2025-06-01T01-00Z/manifest.json
    """
    policy = effective_policy(policy_path, stack_config)
    inv_targets, listed = _targets(inventories, buckets, purpose)
    athena = (AthenaTarget(athena_database, athena_table, athena_workgroup, athena_output)
              if athena_database and athena_table else None)
    options = Options(engine=engine, athena=athena)
    refused = inventory_engine(options).refusal(inv_targets, listed, options)
    if refused is not None:
        fail_usage(refused)
    options = replace(options, as_of=parse_as_of(as_of), sample=sample, workers=workers, memory_limit=memory_limit,
                      progress=ListingBar.for_terminal())
    cause, s3_factory = _connect(inv_targets, listed, archive, endpoint_url, region)
    try:
        report = audit_objects(policy, inv_targets, listed, options, s3_factory)
    except AuditInputError as err:
        fail_usage(str(err))
    _emit(replace(report, outage=cause), fmt, output, archive)


@click.command("proportionality")
@click.option("--calls", "calls", default=None, type=click.Path(path_type=Path, dir_okay=False),
              help="Calls export: call_id, agent_id, started_at (ISO 8601 UTC), transaction_id.")
@click.option("--contact-records", "contact_records", default=None, metavar="PATH",
              help="Amazon Connect contact records (JSON Lines or concatenated JSON, gzip or not): a file, a "
                   "directory (walked recursively) or s3://BUCKET/PREFIX. Give this or --calls.")
@click.option("--transaction-attribute", default="transaction_id", show_default=True, metavar="NAME",
              help="The contact attribute holding a contact's transaction id (proof recordings).")
@_options(SOURCE_OPTIONS)
@_options(COMMON_OPTIONS)
def proportionality_command(calls: Path | None, contact_records: str | None, transaction_attribute: str,
                            inventories: tuple[str, ...], buckets: tuple[str, ...],
                            purpose: str | None, policy_path: Path | None, stack_config: Path | None, fmt: str,
                            output: Path | None, archive: str | None, sample: int, workers: int,
                            memory_limit: str, endpoint_url: str | None, region: str | None) -> None:
    """Quality recordings per agent and month against the calls handled; proof against transactions.

    The calls handled come from the calls export (--calls) or from Amazon Connect contact records
    (--contact-records): one record per ContactId, the latest LastUpdateTimestamp; a call is a VOICE
    contact, its agent Agent.Username, its month that of InitiationTimestamp (UTC); its recordings
    are those its record locates, else those whose key names the contact. A monthly rate above the
    policy's sampling rate fails (R2); at or above 95 % it is critical: systematic recording of an
    employee (R1). Proof recordings of calls without a transaction fail (R3). The per-agent,
    per-month table is part of every format.

    Example: recgov proportionality --contact-records s3://acme-ctr/connect/ --bucket acme-quality=quality
    """
    if (calls is None) == (contact_records is None):
        fail_usage("give exactly one of --calls CSV and --contact-records PATH.")
    if not transaction_attribute:
        fail_usage("--transaction-attribute needs the name of a contact attribute.")
    policy = effective_policy(policy_path, stack_config)
    inv_targets, listed = _targets(inventories, buckets, purpose)
    options = Options(sample=sample, workers=workers, memory_limit=memory_limit, progress=ListingBar.for_terminal())
    cause, s3_factory = _connect(inv_targets, listed, archive, endpoint_url, region, also=(contact_records or "",),
                                 say=False)
    try:
        if cause is not None and (contact_records or "").startswith("s3://"):
            raise AccountUnreachableError(cause)
        report = proportionality_report(policy, calls, inv_targets, listed, options, s3_factory,
                                        contact_records=contact_records,
                                        transaction_attribute=transaction_attribute, unreachable=cause)
    except AccountUnreachableError as err:
        # Without the recordings no rate can be computed, and no result stands for them: say why, once.
        click.echo(f"error: {err}", err=True)
        sys.exit(ExitCode.INCOMPLETE)
    except AuditInputError as err:
        fail_usage(str(err))
    _emit(report, fmt, output, archive)


def register(main: click.Group) -> None:
    """Add both commands to ``recgov``."""
    main.add_command(audit_objects_command)
    main.add_command(proportionality_command)
