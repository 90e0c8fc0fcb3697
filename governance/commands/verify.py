"""``recgov verify``: judge deployed buckets against the policy, for CI and for auditors."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from governance.cli import POLICY_OPTION, STACK_CONFIG_OPTION, effective_policy, fail_usage
from governance.collect import make_clients
from governance.collect.discover import Discovery, DiscoveryError
from governance.collect.discover import discover as discover_buckets
from governance.commands.output import ARCHIVE_OPTION, emit
from governance.model import ExitCode
from governance.report import FORMATS
from governance.targets import StackOutputs, Target, TargetError, parse_bucket_option
from governance.verify import verify
from lifecycle.loader import read_stack_config
from lifecycle.policy import PolicyError
from lifecycle.stack_config import parse_stack_settings

FORMAT_CHOICES = tuple(FORMATS)


def _principals_config(stack_config: Path | None) -> dict[str, dict[str, tuple[str, ...]]]:
    if stack_config is None:
        return {}
    try:
        settings = parse_stack_settings(read_stack_config(stack_config),
                                        stack=stack_config.stem.removeprefix("Pulumi."))
    except PolicyError as err:
        fail_usage(err.problems[0])
        raise  # unreachable: fail_usage exits
    return {k: dict(v) for k, v in settings.principals.items()}


@click.command("verify")
@POLICY_OPTION
@STACK_CONFIG_OPTION
@click.option("--stack-outputs", "stack_outputs", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="JSON printed by `pulumi stack output --json`: buckets, key and role ARNs.")
@click.option("--bucket", "buckets", multiple=True, metavar="NAME=PURPOSE",
              help="A bucket and the purpose it serves (repeatable).")
@click.option("--discover", is_flag=True, help="Verify every bucket whose recgov:purpose tag names a purpose.")
@click.option("--endpoint-url", default=None, help="S3 and KMS endpoint (default: AWS, or AWS_ENDPOINT_URL).")
@click.option("--region", default=None, help="AWS region (default: the standard configuration).")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="text", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report to FILE instead of standard output.")
@ARCHIVE_OPTION
def verify_command(
    policy_path: Path | None,
    stack_config: Path | None,
    stack_outputs: Path | None,
    buckets: tuple[str, ...],
    discover: bool,
    endpoint_url: str | None,
    region: str | None,
    fmt: str,
    output: Path | None,
    archive: str | None,
) -> None:
    """Judge deployed buckets against the policy, read-only.

    Give exactly one of --stack-outputs, --bucket NAME=PURPOSE (repeatable) or --discover. Exit
    codes: 0 compliant, 1 at least one violation, 2 usage or policy error, 3 nothing failed but
    something could not be verified.

    Example: recgov verify --stack-outputs outputs.json --format junit --output verify.xml
    """
    chosen = sum([stack_outputs is not None, bool(buckets), discover])
    if chosen != 1:
        fail_usage("give exactly one of --stack-outputs FILE, --bucket NAME=PURPOSE or --discover.")
    policy = effective_policy(policy_path, stack_config)
    principals = _principals_config(stack_config)
    try:
        outputs = StackOutputs.read(stack_outputs) if stack_outputs is not None else None
        targets: list[Target] | None = [parse_bucket_option(b) for b in buckets] if buckets else None
        clients = make_clients(endpoint_url=endpoint_url, region=region)
    except TargetError as err:
        fail_usage(str(err))
        return
    except ValueError as err:  # botocore refuses a malformed endpoint URL
        fail_usage(f"--endpoint-url {endpoint_url!r} is not usable ({err}).")
        return
    source = "stack-outputs" if outputs else "buckets"
    undiscovered: dict[str, str] = {}
    if discover:
        source = "discover"
        try:
            found = discover_buckets(clients)
        except DiscoveryError as err:
            click.echo(f"error: {err}.", err=True)
            sys.exit(ExitCode.INCOMPLETE)
        if not found.found and not found.unreadable:
            click.echo("error: no bucket carries a recgov:purpose tag naming a purpose, so nothing was verified.",
                       err=True)
            sys.exit(ExitCode.INCOMPLETE)
        targets = discovered_targets(found)
        undiscovered = found.unreadable
    report = verify(targets, policy, outputs=outputs, principals_config=principals, clients=clients, source=source,
                    undiscovered=undiscovered)
    emit(report, fmt, output, archive, endpoint_url=endpoint_url, region=region)
    sys.exit(int(report.summary.exit_code))


def discovered_targets(found: Discovery) -> list[Target]:
    """The tagged buckets of the account as targets, by name."""
    return [Target(name, purpose) for name, purpose in sorted(found.found.items())]


def register(main: click.Group) -> None:
    """Add ``verify`` to the ``recgov`` command group."""
    main.add_command(verify_command)
