"""`recgov policy validate` and `recgov policy show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.cli import main
from tests.governance.cli_runner import recgov

ROOT = Path(__file__).resolve().parents[2]



def test_validate_the_default_and_the_example_stack() -> None:
    code, out, _ = recgov("policy", "validate", "--stack-config", str(ROOT / "Pulumi.dev.yaml"))
    assert code == 0 and out.startswith("valid: 5 purposes")


@pytest.mark.parametrize(
    ("stack", "fragment"),
    [
        ("config:\n  recgov:purposes:\n    quality:\n      retentionDays: 200\n",
         "error: quality: retentionDays 200 exceeds the legal maximum of 181 days (6 months) under R4"),
        ("config:\n  recgov:purposes:\n    proof:\n      objectLockDays: 365\n", "objectLockDays 365"),
        ("config: [", "not valid YAML"),
        ("config:\n  recgov:colour: blue\n", "unknown config key recgov:colour"),
    ],
)
def test_validate_refuses_with_exit_2_and_one_sentence(tmp_path: Path, stack: str, fragment: str) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(stack)
    code, out, err = recgov("policy", "validate", "--stack-config", str(path))
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err + out


def test_validate_a_missing_policy_file(tmp_path: Path) -> None:
    code, _, err = recgov("policy", "validate", "--policy", str(tmp_path / "none.yaml"))
    assert code == 2 and "cannot read the policy file" in err


def test_show_formats() -> None:
    code, out, _ = recgov("policy", "show", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    quality = next(p for p in doc["purposes"] if p["purpose"] == "quality")
    assert quality["retention_days"] == 90 and quality["worst_case_days"] == 90 and quality["legal_max_days"] == 181
    assert any("NS-57" in c for c in quality["citations"])
    code, out, _ = recgov("policy", "show", "--format", "markdown")
    assert code == 0 and "| quality | 90 d | 90 d | 181 d (6 months)" in out
    code, out, _ = recgov("policy", "show")
    assert code == 0 and "policy digest sha256:" in out


def test_every_command_has_help() -> None:
    def walk(group: object, path: list[str]) -> list[list[str]]:
        commands = getattr(group, "commands", {})
        found = [path]
        for name, cmd in commands.items():
            found += walk(cmd, [*path, name])
        return found

    for path in walk(main, []):
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        assert len(result.output.strip().splitlines()) > 2, f"{path} has no help text"


yaml_scalars = st.none() | st.booleans() | st.integers(-100, 5000) | st.floats(allow_nan=False) | st.text(max_size=6)
stack_documents = st.dictionaries(
    st.sampled_from(["quality", "proof", "evaluations", "access-logs", "other"]),
    st.dictionaries(st.sampled_from(["retentionDays", "objectLockDays", "objectLockMode", "samplingRate", "x"]),
                    yaml_scalars, max_size=4) | yaml_scalars,
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(purposes=stack_documents)
def test_any_stack_config_gives_a_result_or_a_clean_refusal(tmp_path: Path, purposes: dict[str, object]) -> None:
    path = tmp_path / "Pulumi.fuzz.yaml"
    path.write_text(yaml.safe_dump({"config": {"recgov:purposes": purposes}}))
    result = CliRunner().invoke(main, ["policy", "validate", "--stack-config", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 2:
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
