"""What every report command does with its report: print or write it, and archive it when asked."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from governance.archive import ArchiveError, ArchiveTarget, archive_report
from governance.model import ExitCode, Report
from governance.report import render

ARCHIVE_OPTION = click.option(
    "--archive",
    default=None,
    metavar="s3://BUCKET/PREFIX",
    help="Also store the report, its JSON evidence and a digest manifest, write-once, in the evidence "
    "bucket (it must have a default Object Lock retention). The only write these commands make.",
)


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
    text = render(report, fmt)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        s = report.summary
        click.echo(f"wrote {output}: {s.passed} passed, {s.failed} failed, {s.errors} errors", err=True)
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
