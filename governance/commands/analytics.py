"""``recgov audit-analytics``: what speech analytics scored, judged against the purpose's declaration."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from governance.commands.output import ARCHIVE_OPTION, emit
from governance.commands.shared import (
    OUTPUT_OPTION,
    POLICY_OPTION,
    REPORT_FORMAT_OPTION,
    STACK_CONFIG_OPTION,
    aws_options,
    effective_policy,
    fail_usage,
)
from governance.targets import TargetError, parse_bucket_option
from lifecycle.legal import Purpose
from lifecycle.policy import Policy


class _LazyS3:
    """One S3 client, made when the first s3:// source or bucket needs it: a local audit never loads boto3."""

    def __init__(self, endpoint_url: str | None, region: str | None) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._client: Any = None

    def __call__(self) -> Any:
        if self._client is None:
            from governance.collect import make_clients

            try:
                self._client = make_clients(endpoint_url=self.endpoint_url, region=self.region).s3
            except ValueError as err:  # botocore refuses a malformed endpoint URL
                fail_usage(f"--endpoint-url {self.endpoint_url!r} is not usable ({err}).")
        return self._client


def _source_purpose(source: str, purpose: str | None) -> Purpose:
    if purpose:
        return Purpose(purpose)
    if source.startswith("s3://"):
        from governance.analytics.sources import parse_s3_url
        from governance.audit.run import infer_purpose

        try:
            found = infer_purpose(parse_s3_url(source)[0])
        except ValueError as err:
            fail_usage(str(err))
        if found is not None:
            return found
    fail_usage(f"the purpose of {source} cannot be told from its name; give it with --purpose.")


def _plans(policy: Policy, sources: tuple[str, ...], buckets: tuple[str, ...], purpose: str | None,
           s3: _LazyS3) -> list[Any]:
    from governance.analytics.run import Planned
    from governance.analytics.sources import LocalSource, S3Source, bucket_source, parse_s3_url

    plans = []
    for source in sources:
        chosen = policy[_source_purpose(source, purpose)]
        if source.startswith("s3://"):
            try:
                bucket, prefix = parse_s3_url(source)
            except ValueError as err:
                fail_usage(str(err))
            plans.append(Planned(S3Source(s3(), bucket, (prefix,)), chosen))
        elif "://" in source:
            fail_usage(f"{source!r} is neither a local directory nor an s3://BUCKET/PREFIX URL.")
        elif not Path(source).exists():
            fail_usage(f"{source} does not exist; give a directory of analysis files or an s3://BUCKET/PREFIX URL.")
        else:
            plans.append(Planned(LocalSource(Path(source)), chosen))
    for value in buckets:
        try:
            target = parse_bucket_option(value)
        except TargetError as err:
            fail_usage(str(err))
        chosen = policy[target.purpose]
        found = bucket_source(s3(), target.bucket, chosen)
        if found is None:
            fail_usage(f"--bucket {value!r}: the policy keeps no analysis files for {target.purpose} (no analysis "
                       "kind under its derived data); give their s3://BUCKET/PREFIX instead.")
        plans.append(Planned(found, chosen, explicit=False))
    return plans


@click.command("audit-analytics")
@click.argument("sources", nargs=-1, metavar="[DIRECTORY | s3://BUCKET/PREFIX]...")
@click.option("--bucket", "buckets", multiple=True, metavar="NAME=PURPOSE",
              help="Read the purpose's analysis files where its layout writes them (repeatable).")
@click.option("--purpose", type=click.Choice([str(p) for p in Purpose]), default=None,
              help="Purpose whose declaration judges the DIRECTORY and s3:// sources (default: from the bucket name).")
@click.option("--sample", "per_day", type=click.IntRange(min=1), default=None, metavar="N",
              help="Judge at most N contacts per day, chosen deterministically (default: all).")
@POLICY_OPTION
@STACK_CONFIG_OPTION
@aws_options
@REPORT_FORMAT_OPTION
@OUTPUT_OPTION
@ARCHIVE_OPTION
def audit_analytics_command(sources: tuple[str, ...], buckets: tuple[str, ...], purpose: str | None,
                            per_day: int | None, policy_path: Path | None, stack_config: Path | None,
                            endpoint_url: str | None, region: str | None, fmt: str, output: Path | None,
                            archive: str | None) -> None:
    """Judge speech-analytics output against the purpose's analytics declaration, read-only.

    Reads analysis files (Amazon Connect Contact Lens JSON, or recgov's own) from a directory, an
    s3://BUCKET/PREFIX, or a purpose's bucket through its layout (--bucket NAME=PURPOSE), and reports per
    contact whose sentiment is scored and whose voice is measured. Fails: agents scored beyond the
    declaration (AI Act Art. 5(1)(f)), customers scored without one, analysis where the policy declares
    none, contacts without their redacted analysis where redaction is declared. A file that is not JSON or
    has no Participants is an error for that file. Exit 0 compliant, 1 violation, 2 bad input, 3 something
    unverified.

    Example: recgov audit-analytics --bucket acme-connect-recordings=quality --sample 20 --format markdown
    """
    if not sources and not buckets:
        fail_usage("give a DIRECTORY, an s3://BUCKET/PREFIX or --bucket NAME=PURPOSE (each may be repeated).")
    if purpose and not sources:
        fail_usage("--purpose applies to DIRECTORY and s3:// sources; a --bucket names its own purpose.")
    policy = effective_policy(policy_path, stack_config)
    s3 = _LazyS3(endpoint_url, region)
    plans = _plans(policy, sources, buckets, purpose, s3)
    from governance.analytics.run import analytics_report

    report = analytics_report(policy, plans, per_day)
    emit(report, fmt, output, archive, endpoint_url=endpoint_url, region=region)
    sys.exit(int(report.summary.exit_code))


def register(main: click.Group) -> None:
    """Add ``audit-analytics`` to ``recgov``."""
    main.add_command(audit_analytics_command)
