"""The ``recgov`` command line: a thin layer over the library, one sentence per user error."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from governance import __version__
from governance.model import ExitCode
from governance.policy_view import render_policy
from governance.register import render_register
from lifecycle.loader import load_policy_file, read_stack_config
from lifecycle.policy import Policy, PolicyError
from lifecycle.stack_config import parse_stack_settings

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


def fail_usage(message: str) -> None:
    """Print one clear error and exit 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(ExitCode.USAGE)


def effective_policy(policy_path: Path | None, stack_config: Path | None = None) -> Policy:
    """The policy file with a stack's overrides applied; a refusal exits 2 with its sentences."""
    try:
        overrides = None
        if stack_config is not None:
            stack = stack_config.stem.removeprefix("Pulumi.")
            settings = parse_stack_settings(read_stack_config(stack_config), stack=stack)
            overrides = settings.purposes
            if policy_path is None and settings.policy_file:
                policy_path = stack_config.parent / settings.policy_file
        return load_policy_file(policy_path, overrides)
    except PolicyError as err:
        for problem in err.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(ExitCode.USAGE)


COMMAND_MODULES: dict[str, str] = {
    "verify": "governance.commands.verify",
    "audit-objects": "governance.commands.audit",
    "proportionality": "governance.commands.audit",
    "audit-analytics": "governance.commands.analytics",
    "sandbox": "governance.commands.sandbox",
    "demo": "governance.commands.sandbox",
    "subject": "governance.commands.subject",
    "hold": "governance.commands.subject",
}
"""Commands defined in their own modules, imported only when named: ``audit-objects`` on a local
inventory never pays for boto3, and ``policy validate`` in a pre-commit hook starts in a blink."""


class LazyCommands(click.Group):
    """The root group: its own commands, plus :data:`COMMAND_MODULES` loaded on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            # Each module's register() adds its commands to this group.
            importlib.import_module(COMMAND_MODULES[cmd_name]).register(self)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyCommands)
@click.version_option(__version__, prog_name="recgov")
def main() -> None:
    """Recording retention governance as code.

    Provision call-recording storage within the law (the Pulumi program), verify what is deployed,
    and audit what is stored. Exit codes: 0 compliant, 1 violation, 2 usage or policy error,
    3 nothing failed but something could not be verified.
    """


@main.group()
def policy() -> None:
    """Validate and show the retention policy."""


@policy.command("validate")
@POLICY_OPTION
@STACK_CONFIG_OPTION
def policy_validate(policy_path: Path | None, stack_config: Path | None) -> None:
    """Check a policy (and a stack's overrides) against the legal limits.

    Exits 0 when valid; 2 with one sentence per problem naming the purpose, the value, the limit
    and the rule otherwise.

    Example: recgov policy validate --stack-config Pulumi.prod.yaml
    """
    effective = effective_policy(policy_path, stack_config)
    click.echo(f"valid: {len(effective.purposes)} purposes, policy digest {effective.digest}")
    for p in effective:
        for condition in p.analytics.conditions() if p.analytics else ():
            click.echo(f"condition: {p.purpose}: {condition} (R11).")


@policy.command("show")
@POLICY_OPTION
@STACK_CONFIG_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def policy_show(policy_path: Path | None, stack_config: Path | None, fmt: str) -> None:
    """Show each purpose's retention, effective worst-case age, legal maximum and citations.

    Example: recgov policy show --format markdown
    """
    click.echo(render_policy(effective_policy(policy_path, stack_config), fmt), nl=False)


@policy.command("register")
@POLICY_OPTION
@STACK_CONFIG_OPTION
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json"]), default="markdown", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write to FILE.")
def policy_register(policy_path: Path | None, stack_config: Path | None, fmt: str, output: Path | None) -> None:
    """Generate the record of processing (GDPR Art. 30) for each purpose from the policy.

    Purpose, legal basis, categories of data and persons, recipients, erasure time limits and
    security measures, so the register cannot drift from what the program deploys.

    Example: recgov policy register --format html --output register.html
    """
    text = render_register(effective_policy(policy_path, stack_config), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
