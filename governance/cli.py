"""The ``recgov`` command line: a thin layer over the library, one sentence per user error."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from governance import __version__
from governance.commands.shared import (
    POLICY_OPTION,
    STACK_CONFIG_OPTION,
    aws_problem,
    effective_policy,
    output_option,
    policy_and_file,
)
from governance.model import ExitCode
from governance.policy_view import POLICY_FORMATS, render_policy
from governance.register import REGISTER_FORMATS, render_register
from governance.report import MARKDOWN, TEXT

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
    """The root group: its own commands, plus :data:`COMMAND_MODULES` loaded on first use.

    Every failure leaves as one line on standard error with the exit code of DESIGN section 6: a usage
    error is ``error: <sentence>`` and exit 2 (click's own output would be three lines), a missing
    file or directory exit 2, and an AWS failure that no command handled exit 2 or 3, never a traceback.
    """

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        standalone = standalone_mode
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as err:
            where = err.ctx.command_path if err.ctx else "recgov"
            click.echo(f"error: {err.format_message().rstrip('.')} (see {where} --help).", err=True)
            sys.exit(ExitCode.USAGE)
        except click.ClickException as err:
            click.echo(f"error: {err.format_message()}", err=True)
            sys.exit(ExitCode.USAGE)
        except click.exceptions.Abort:
            click.echo("error: interrupted.", err=True)
            sys.exit(ExitCode.INCOMPLETE)
        except OSError as err:
            # A file that cannot be read or written: input, not a violation.
            what = f" {err.filename}" if err.filename else ""
            click.echo(f"error: cannot use{what}: {err.strerror or err}.", err=True)
            sys.exit(ExitCode.USAGE)
        except Exception as err:
            problem = aws_problem(err)
            if problem is None:
                # A fault of recgov itself: still one sentence, and "unverified" rather than "violation".
                problem = (f"recgov failed unexpectedly ({type(err).__name__}: {err}); "
                           "please report it with the command line.")
            click.echo(f"error: {problem}", err=True)
            sys.exit(ExitCode.USAGE if type(err).__name__ == "ProfileNotFound" else ExitCode.INCOMPLETE)
        if standalone:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv

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
@click.option("--format", "fmt", type=click.Choice(POLICY_FORMATS), default=TEXT.name, show_default=True)
def policy_show(policy_path: Path | None, stack_config: Path | None, fmt: str) -> None:
    """Show each purpose's retention, effective worst-case age, legal maximum and citations.

    Example: recgov policy show --format markdown
    """
    click.echo(render_policy(effective_policy(policy_path, stack_config), fmt), nl=False)


@policy.command("register")
@POLICY_OPTION
@STACK_CONFIG_OPTION
@click.option("--format", "fmt", type=click.Choice(REGISTER_FORMATS), default=MARKDOWN.name, show_default=True)
@output_option("Write the register to FILE instead of standard output.")
def policy_register(policy_path: Path | None, stack_config: Path | None, fmt: str, output: Path | None) -> None:
    """Generate the record of processing (GDPR Art. 30) for each purpose from the policy.

    Purpose, legal basis, categories of data and persons, recipients, erasure time limits and
    security measures, so the register cannot drift from what the program deploys. The controller,
    its contact, the DPO's contact and transfers outside the EU come from the policy file's
    controller: section; what is missing is shown as not configured.

    Example: recgov policy register --format html --output register.html
    """
    from lifecycle.controller import read_controller

    policy, source = policy_and_file(policy_path, stack_config)
    controller = read_controller(source)
    text = render_register(policy, fmt, controller)
    if controller.missing():
        click.echo(f"note: the register lacks {', '.join(controller.missing())}; add them under controller: in "
                   f"{source or 'your policy file (--policy)'}.", err=True)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
