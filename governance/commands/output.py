"""What every report command does with its report: print or write it, and archive it when asked."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from governance.archive import ArchiveError, ArchiveTarget, archive_report
from governance.model import ExitCode, Report
from governance.report import render
from governance.report.common import counts

ARCHIVE_OPTION = click.option(
    "--archive",
    default=None,
    metavar="s3://BUCKET/PREFIX",
    help="Also store the report, its JSON evidence and a digest manifest, write-once, in the evidence "
    "bucket (it must have a default Object Lock retention). The only write these commands make.",
)


def outage_first(endpoint_url: str | None, region: str | None) -> str | None:
    """The cause when nothing can be read (no credentials, endpoint unreachable), said once on standard
    error before the run; the run still reports each read as ERROR, without retrying against nothing."""
    from governance.collect.clients import outage

    cause = outage(endpoint_url, region)
    if cause:
        click.echo(f"error: {cause}", err=True)
    return cause


def emit(
    report: Report,
    fmt: str,
    output: Path | None,
    archive: str | None = None,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> None:
    """Print the report (or write it to ``output``), then archive it if ``archive`` names a place.

    A failed archive exits 2 after the report has been shown: the judgement stands, its storage failed.
    """
    for notice in report.notices:
        click.echo(f"note: {notice}", err=True)
    text = render(report, fmt)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        s = report.summary
        click.echo(f"wrote {output}: {counts(s)}", err=True)
    if archive is None:
        return
    try:
        import boto3  # only an archive needs a client: a local audit never loads boto3

        target = ArchiveTarget.parse(archive)
        s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        for uri in archive_report(report, fmt, target, s3):
            click.echo(f"archived {uri}", err=True)
    except ArchiveError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(ExitCode.USAGE)
