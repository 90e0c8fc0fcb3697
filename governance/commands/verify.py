"""``recgov verify``: judge deployed buckets against the policy, for CI and for auditors."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from governance.collect import make_clients
from governance.collect.clients import PROBE_CONFIG
from governance.collect.discover import Discovery, DiscoveryError
from governance.collect.discover import discover as discover_buckets
from governance.commands.output import ARCHIVE_OPTION, emit, outage_first
from governance.commands.shared import (
    OUTPUT_OPTION,
    POLICY_OPTION,
    REPORT_FORMAT_OPTION,
    STACK_CONFIG_OPTION,
    aws_options,
    effective_policy,
    fail_usage,
    stack_settings,
    use_aws,
)
from governance.model import ExitCode
from governance.targets import StackOutputs, Target, TargetError, parse_bucket_option
from governance.verify import verify
from lifecycle.loader import load_policy_file
from lifecycle.policy import Policy, PolicyError
from lifecycle.stack_config import StackSettings


@click.command("verify")
@POLICY_OPTION
@STACK_CONFIG_OPTION
@click.option("--stack-outputs", "stack_outputs", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="JSON printed by `pulumi stack output --json`: buckets, key and role ARNs.")
@click.option("--bucket", "buckets", multiple=True, metavar="NAME=PURPOSE",
              help="A bucket and the purpose it serves (repeatable).")
@click.option("--discover", is_flag=True, help="Verify every bucket whose recgov:purpose tag names a purpose.")
@aws_options
@REPORT_FORMAT_OPTION
@OUTPUT_OPTION
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

    Give exactly one of --stack-outputs, --bucket NAME=PURPOSE (repeatable) or --discover. With
    --stack-outputs alone, the buckets are judged against the settings the program deployed (the
    outputs carry them), within this version's legal maxima; --policy or --stack-config judge them
    against those instead, and say so when they differ from what was deployed. Exit codes: 0
    compliant, 1 at least one violation, 2 usage or policy error, 3 nothing failed but something
    could not be verified.

    Example: recgov verify --stack-outputs outputs.json --format junit --output verify.xml
    """
    chosen = sum([stack_outputs is not None, bool(buckets), discover])
    if chosen != 1:
        fail_usage("give exactly one of --stack-outputs FILE, --bucket NAME=PURPOSE or --discover.")
    use_aws(endpoint_url, region)
    settings = stack_settings(stack_config) if stack_config is not None else None
    principals = {k: dict(v) for k, v in settings.principals.items()} if settings is not None else {}
    try:
        outputs = StackOutputs.read(stack_outputs) if stack_outputs is not None else None
        policy, notices = judged_policy(outputs, policy_path, stack_config, settings)
        targets: list[Target] | None = [parse_bucket_option(b) for b in buckets] if buckets else None
        cause = None if discover else outage_first(endpoint_url, region)
        clients = make_clients(endpoint_url=endpoint_url, region=region, config=PROBE_CONFIG if cause else None)
    except TargetError as err:
        fail_usage(str(err))
    except ValueError as err:  # botocore refuses a malformed endpoint URL
        fail_usage(f"--endpoint-url {endpoint_url!r} is not usable ({err}).")
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
    report = replace(report, notices=tuple(notices), outage=cause)
    emit(report, fmt, output, archive, endpoint_url=endpoint_url, region=region)
    sys.exit(int(report.summary.exit_code))


def judged_policy(outputs: StackOutputs | None, policy_path: Path | None, stack_config: Path | None,
                  settings: StackSettings | None = None) -> tuple[Policy, list[str]]:
    """The policy to judge against, and a sentence when it is not the one the stack deployed.

    Stack outputs carry the settings the program deployed: with neither --policy nor --stack-config
    those are judged, after this version's legal limits have accepted them. Given either option, the
    policy they make is judged, and a difference from the deployed digest is said in one sentence.
    """
    given = policy_path is not None or stack_config is not None
    deployed_digest = outputs.policy_digest if outputs else None
    notices: list[str] = []
    if outputs is not None and not given:
        try:
            deployed = outputs.deployed_policy()
        except PolicyError as err:
            fallback = load_policy_file(None)
            notices.append(f"The settings this stack deployed are refused by this version's legal limits "
                           f"({err.problems[0].rstrip('.')}), so the buckets are judged against the packaged "
                           f"policy {fallback.digest}.")
            return fallback, notices
        if deployed is not None:
            return deployed, notices
    policy = effective_policy(policy_path, stack_config, settings)
    if deployed_digest and policy.digest != deployed_digest:
        if given:
            options = " and ".join(o for o, v in (("--policy", policy_path), ("--stack-config", stack_config)) if v)
            notices.append(f"The policy from {options} ({policy.digest}) differs from the one this stack deployed "
                           f"({deployed_digest}), so the buckets are judged against the policy given, not what was "
                           f"deployed; omit {options} to judge what was deployed.")
        else:
            notices.append(f"The stack outputs do not carry the deployed settings, so the buckets are judged "
                           f"against the packaged policy ({policy.digest}), not the one this stack deployed "
                           f"({deployed_digest}); pass its --stack-config or deploy it again.")
    return policy, notices


def discovered_targets(found: Discovery) -> list[Target]:
    """The tagged buckets of the account as targets, by name."""
    return [Target(name, purpose) for name, purpose in sorted(found.found.items())]


def register(main: click.Group) -> None:
    """Add ``verify`` to the ``recgov`` command group."""
    main.add_command(verify_command)
