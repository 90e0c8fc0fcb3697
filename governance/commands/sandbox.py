"""``recgov sandbox deploy`` and ``recgov demo``: the toolkit on an embedded emulator, offline.

Both are an emulation for trying and testing. Production deployments use ``pulumi up``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from governance.commands.shared import fail_unverifiable, fail_usage, output_option
from governance.model import ExitCode
from lifecycle.policy import PolicyError

OWN_PACKAGES = frozenset({"governance", "lifecycle", "sandbox"})


def emulator_missing(command: str, err: ModuleNotFoundError) -> NoReturn:
    """Exit 2 saying how to install the emulator extra, when loading the sandbox found a module of it
    missing (moto's server is an extra: the commands that read an account never need it)."""
    if (err.name or "").partition(".")[0] in OWN_PACKAGES:
        raise err  # a module of recgov itself: a fault, not a missing extra
    fail_usage(f"{command} runs the embedded AWS emulator, which is not installed (no module {err.name!r}); "
               "install it with pip install 'recgov[emulator]' (make demo does so in a checkout).")


@click.group("sandbox")
def sandbox_group() -> None:
    """Apply the Pulumi program to a local AWS emulator (trying and testing only).

    This is an emulation: production deployments use `pulumi up`.
    """


@sandbox_group.command("deploy")
@click.option("--endpoint-url", required=True, help="The emulator's URL, on loopback (e.g. http://127.0.0.1:5000).")
@click.option("--stack", default="dev", show_default=True, help="Stack whose Pulumi.<stack>.yaml configures the run.")
@output_option("Write the stack outputs (the JSON of `pulumi stack output --json`) to FILE.")
def sandbox_deploy(endpoint_url: str, stack: str, output: Path | None) -> None:
    """Run the real __main__.py under Pulumi's mock runtime and apply each resource to the emulator.

    An emulation for trying and testing the toolkit; production deployments use `pulumi up`. Only
    loopback endpoints are accepted. Pulumi.<stack>.yaml is read from the current directory, else
    from beside the program. Deploying again converges on the same resources. Exit 2 when a request
    or the stack is refused, 3 when the emulator cannot be reached. Needs the emulator extra (pip install
    'recgov[emulator]').

    Example: recgov sandbox deploy --endpoint-url http://127.0.0.1:5000 --output outputs.json
    """
    # Pulumi and the sandbox load only for this command: every other command starts faster.
    import pulumi

    try:
        from sandbox.deploy import EndpointError, SandboxError, deploy, stack_file
    except ModuleNotFoundError as err:
        emulator_missing("recgov sandbox deploy", err)

    try:
        deployment = deploy(endpoint_url, stack=stack)  # reads Pulumi.<stack>.yaml (stack_file)
    except EndpointError as err:
        fail_unverifiable(str(err))
    except SandboxError as err:
        fail_usage(str(err))
    except (PolicyError, pulumi.RunError) as err:
        fail_usage(str(err))
    for skipped in deployment.skipped:
        click.echo(f"not applied: {skipped.name} ({skipped.type}): {skipped.reason}.", err=True)
    text = deployment.outputs_json()
    try:
        used = f" from {stack_file(stack)}"
    except SandboxError:
        used = ""  # configured another way (a test's config): nothing to name
    if output is None:
        click.echo(text, nl=False)
        click.echo(f"stack {stack}{used}: {len(deployment.applied)} resources applied to {endpoint_url}",
                   err=True)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}: stack {stack}{used}, {len(deployment.applied)} resources applied to "
                   f"{endpoint_url}", err=True)


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("reports"),
              show_default=True, help="Directory for the reports, stack outputs and calls export.")
@click.option("--drift", "inject_drift", is_flag=True,
              help="Inject a few misconfigurations after deploying, and end with the failures (exit 1).")
@click.option("--platform", type=click.Choice(["recgov", "amazon-connect"]), default="recgov", show_default=True,
              help="Where recordings come from: recgov's own key convention and calls export, or Amazon Connect "
                   "(its key layout for quality, and contact records read back from S3).")
def demo_command(out_dir: Path, inject_drift: bool, platform: str) -> None:
    """The whole flow offline: emulator, deploy, synthetic recordings, verify, reports.

    Starts an embedded AWS emulator (moto) on loopback, deploys the `dev` stack of the Pulumi program
    to it, writes synthetic recordings through the recorder roles, verifies every bucket and writes
    the reports to --out. With --platform amazon-connect, quality recordings follow Amazon Connect's
    layout (connect/acme/CallRecordings) and the calls are its contact records (gzip JSON Lines by
    day, some delivered twice), written to --out and to an S3 prefix proportionality reads; --drift
    then also records every call of one agent. An emulation for trying and testing; production
    deployments use `pulumi up`. Exit 0 when compliant, 1 with --drift (or any violation). Needs the
    emulator extra (pip install 'recgov[emulator]'; make demo installs it).

    Example: recgov demo --out reports --platform amazon-connect
    """
    try:
        from sandbox.demo import run_demo, summary_lines
    except ModuleNotFoundError as err:
        emulator_missing("recgov demo", err)

    started = time.perf_counter()
    run = run_demo(out_dir, inject_drift=inject_drift, platform=platform)
    for line in summary_lines(run):
        click.echo(line)
    click.echo(f"\nDone in {time.perf_counter() - started:.1f} s; exit {run.exit_code}.")
    sys.exit(run.exit_code if run.exit_code in {c.value for c in ExitCode} else ExitCode.INCOMPLETE)


def register(main: click.Group) -> None:
    """Add ``sandbox`` and ``demo`` to the ``recgov`` command group."""
    main.add_command(sandbox_group)
    main.add_command(demo_command)
