"""The command line loads a command's module only when that command runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from governance.cli import COMMAND_MODULES, main

RECGOV = str(Path(sys.executable).with_name("recgov"))


def test_every_command_is_listed_in_the_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in [*COMMAND_MODULES, "policy"]:
        assert f"  {name} " in result.output


def test_each_lazy_command_is_found_in_its_module() -> None:
    ctx = click.Context(main, info_name="recgov")
    for name in COMMAND_MODULES:
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name


def after_policy_validate(expression: str) -> str:
    """What ``expression`` prints after ``recgov policy validate`` in a fresh interpreter (this test
    process has long imported boto3 and the renderers for other tests)."""
    code = (
        "import sys\n"
        "from governance.cli import main\n"
        "try:\n"
        "    main(['policy', 'validate'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print({expression})\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1]


def test_a_local_command_does_not_load_the_aws_sdk() -> None:
    assert after_policy_validate("'boto3' in sys.modules, 'duckdb' in sys.modules") == "False False"


def test_a_command_that_renders_no_report_loads_no_renderer() -> None:
    assert after_policy_validate("sorted(m for m in sys.modules if m.startswith('governance.report.'))") == "[]"

def test_a_local_inventory_audit_starts_its_checksums_before_duckdb_loads(tmp_path: Path) -> None:
    """Loading DuckDB takes a tenth of a second on one core: the hashing runs on the other meanwhile."""
    from tests.governance.audit.inventories import write_inventory
    from tests.governance.audit.planted import BUCKET, planted_rows

    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=2)
    code = (
        "import sys\n"
        "import governance.audit.files as files\n"
        "original = files.verifying_local\n"
        "seen = []\n"
        "def spy(*args, **kwargs):\n"
        "    seen.append('duckdb' in sys.modules)\n"
        "    return original(*args, **kwargs)\n"
        "files.verifying_local = spy\n"
        "from governance.cli import main\n"
        "try:\n"
        f"    main(['audit-objects', '--inventory', {str(manifest)!r}, '--as-of', '2025-06-01'])\n"
        "except SystemExit as exit:\n"
        "    print(exit.code, seen, 'duckdb' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "1 [False] True"


def test_no_command_module_imports_the_root_group() -> None:
    """Command modules take the shared options from governance.commands.shared: the root group loads
    them, and a module that imported it back would load the whole command line with it."""
    import ast

    import governance.commands

    for path in sorted(Path(governance.commands.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert "governance.cli" not in imported, f"{path.name} imports governance.cli"


def without_the_emulator(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``recgov ARGS`` (or ``python ARGS`` when the first is ``python``) in a fresh interpreter where moto
    cannot be imported, as after ``pip install recgov`` without the emulator extra."""
    site = tmp_path / "no-moto"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text("import sys\nsys.modules['moto'] = None\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)}
    command = [sys.executable, *args[1:]] if args[:1] == ("python",) else [RECGOV, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)


def test_the_production_commands_run_without_the_emulator(tmp_path: Path) -> None:
    assert without_the_emulator(tmp_path, "python", "-c", "import moto").returncode != 0, "moto is still importable"
    for args in (["--help"], ["verify", "--help"], ["audit-objects", "--help"], ["policy", "validate"],
                 ["demo", "--help"], ["sandbox", "deploy", "--help"]):
        done = without_the_emulator(tmp_path, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["demo", "--out", "reports"],
                                  ["sandbox", "deploy", "--endpoint-url", "http://127.0.0.1:9"]])
def test_the_emulator_commands_say_how_to_install_it(tmp_path: Path, args: list[str]) -> None:
    done = without_the_emulator(tmp_path, *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "pip install 'recgov[emulator]'" in done.stderr
    assert not (tmp_path / "reports").exists()
