"""What every ``recgov`` command shares: its common options, its one-sentence failures, the AWS
settings it applies and the effective policy it judges against.

The root group (:mod:`governance.cli`) and every command module import these from here, so a command
module never reaches back into the module that loads it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click

from governance.model import ExitCode
from governance.report import FORMATS, TEXT
from lifecycle.loader import load_policy_file, read_stack_config
from lifecycle.policy import Policy, PolicyError
from lifecycle.stack_config import StackSettings, parse_stack_settings

POLICY_OPTION = click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Policy file (YAML). Default: the packaged policy (lifecycle/default_policy.yaml).",
)
STACK_CONFIG_OPTION = click.option(
    "--stack-config",
    "stack_config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A Pulumi stack file (Pulumi.<stack>.yaml) whose recgov:purposes shorten the policy.",
)

REPORT_FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(tuple(FORMATS)), default=TEXT.name,
                                    show_default=True)
"""``--format``, on every command that writes a report: the formats of :data:`governance.report.FORMATS`."""


def fail(message: str, code: ExitCode) -> NoReturn:
    """Print one clear error (a sentence) and exit with the contract's ``code`` for its cause."""
    click.echo(f"error: {message}", err=True)
    sys.exit(int(code))


def fail_usage(message: str) -> NoReturn:
    """Print one clear error and exit 2."""
    fail(message, ExitCode.USAGE)


def fail_unverifiable(message: str) -> NoReturn:
    """Print one clear error and exit 3: nothing could be judged, which is not a violation."""
    fail(message, ExitCode.INCOMPLETE)


def _writable_parent(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Refuse an output file whose directory does not exist before any work is done."""
    if value is not None and not value.parent.is_dir():
        raise click.BadParameter(f"the directory {value.parent} does not exist; create it first "
                                 f"(mkdir -p {value.parent})", ctx, param)
    return value


def output_option(help_text: str = "Write the report to FILE instead of standard output.") -> Any:
    """``--output FILE``, the same on every command that writes one: its directory must exist."""
    return click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
                        callback=_writable_parent, help=help_text)


OUTPUT_OPTION = output_option()


def _endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL such as https://s3.eu-west-3.amazonaws.com",
                                 ctx, param)
    return value


def aws_options(f: Any) -> Any:
    """``--endpoint-url`` and ``--region``, declared once for every command that talks to AWS."""
    f = click.option("--region", default=None, metavar="REGION",
                     help="AWS region (default: the standard configuration, AWS_REGION or the profile).")(f)
    return click.option("--endpoint-url", default=None, callback=_endpoint, metavar="URL",
                        help="S3 and KMS endpoint (default: AWS, or AWS_ENDPOINT_URL).")(f)


def athena_options(f: Any) -> Any:
    """The inventory table ``--engine athena`` queries (``--athena-database``, ``--athena-table``,
    ``--athena-workgroup``, ``--athena-output``), declared once for every command that reads inventories."""
    for option in reversed((
        click.option("--athena-database", default=None, help="Athena database holding the inventory table."),
        click.option("--athena-table", default=None,
                     help="Athena table over the inventory, typed as any of AWS's DDLs (see docs/athena.md)."),
        click.option("--athena-workgroup", default="primary", show_default=True),
        click.option("--athena-output", default=None, metavar="S3_URL", help="Query result location (s3://...)."),
    )):
        f = option(f)
    return f


def use_aws(endpoint_url: str | None, region: str | None) -> None:
    """Make ``--endpoint-url`` and ``--region`` apply to every client this process makes, and refuse a
    missing ``AWS_PROFILE`` up front with one sentence (exit 2) instead of a traceback later.

    Both options mean what ``AWS_ENDPOINT_URL`` and ``AWS_REGION`` mean, so setting those for the
    command's duration is how the inventory reader, the live listing, Athena and the archive all see
    them alike; the previous values come back when the command ends (it may run inside a test).
    """
    values = {"AWS_ENDPOINT_URL": endpoint_url, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    chosen = {k: v for k, v in values.items() if v is not None}
    saved = {k: os.environ.get(k) for k in chosen}
    os.environ.update(chosen)

    def restore() -> None:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old

    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().call_on_close(restore)
    from botocore.exceptions import ProfileNotFound

    try:
        import boto3

        boto3.session.Session()
    except ProfileNotFound as err:
        fail_usage(aws_problem(err) or str(err))


def aws_problem(err: BaseException) -> str | None:
    """One sentence for an AWS SDK failure that concerns the whole run, not one read; None otherwise."""
    name = type(err).__name__
    if name == "ProfileNotFound":
        profile = getattr(err, "kwargs", {}).get("profile") or os.environ.get("AWS_PROFILE", "")
        return (f"the AWS profile {profile!r} (AWS_PROFILE) is not in ~/.aws/config or ~/.aws/credentials; "
                "name an existing profile (aws configure list-profiles) or unset AWS_PROFILE.")
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return ("no AWS credentials were found (environment, AWS_PROFILE, config files, SSO or an instance "
                "role); set them, for example export AWS_PROFILE=NAME.")
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError", "ProxyConnectionError"):
        return f"the AWS endpoint could not be reached ({err}); check --endpoint-url, the network or the proxy."
    return None


def refuse(err: PolicyError) -> NoReturn:
    """Print every problem of a refused policy or stack file, one sentence each, and exit 2."""
    for problem in err.problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(ExitCode.USAGE)


def stack_settings(stack_config: Path) -> StackSettings:
    """The ``recgov:`` settings of a stack file (``Pulumi.<stack>.yaml``); a refusal exits 2 with every
    problem. Read once per command: the policy overrides and the principals both come from here."""
    try:
        return parse_stack_settings(read_stack_config(stack_config), stack=stack_config.stem.removeprefix("Pulumi."))
    except PolicyError as err:
        refuse(err)


def effective_policy(policy_path: Path | None, stack_config: Path | None = None,
                     settings: StackSettings | None = None) -> Policy:
    """The policy file with a stack's overrides applied; a refusal exits 2 with its sentences.

    ``settings`` are ``stack_config``'s, for a command that has read them already (:func:`stack_settings`).
    """
    return policy_and_file(policy_path, stack_config, settings)[0]


def policy_and_file(policy_path: Path | None, stack_config: Path | None,
                    settings: StackSettings | None = None) -> tuple[Policy, Path | None]:
    """The effective policy and the policy file it came from (None: the packaged one)."""
    overrides = None
    if stack_config is not None:
        if settings is None:
            settings = stack_settings(stack_config)
        overrides = settings.purposes
        if policy_path is None and settings.policy_file:
            policy_path = stack_config.parent / settings.policy_file
    try:
        return load_policy_file(policy_path, overrides), policy_path
    except PolicyError as err:
        refuse(err)
