"""Shared fixtures: the emulators on loopback, boto3 pointed at them, the default policy.

``emulator`` is moto's embedded server. A module or test marked ``@pytest.mark.emulators("moto",
"localstack")`` runs once on each named emulator instead: ``emulator`` (and everything built on it,
such as ``clean_emulator`` and the end-to-end ``deployed`` stack) is then moto for one half and
LocalStack for the other. LocalStack runs from its own virtualenv (``make test`` builds it); without
it the LocalStack half is skipped, and fails when ``CI`` is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from lifecycle.loader import load_policy
from lifecycle.policy import Policy
from sandbox.emulator import FAKE_CREDENTIALS, AwsEmulator, Emulator, LocalStackEmulator, emulator_environment
from sandbox.program import ProgramRun, run_program

# No test may reach a real account: credentials are fake and every client is pointed at loopback.
for _key, _value in FAKE_CREDENTIALS.items():
    os.environ[_key] = _value
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
os.environ.pop("AWS_PROFILE", None)


EMULATORS = ("moto", "localstack")
LOCALSTACK_PYTHON = Path(__file__).resolve().parents[1] / ".venv-localstack" / "bin" / "python"
"""Where ``make test`` builds LocalStack's virtualenv; ``RECGOV_LOCALSTACK_PYTHON`` names another."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "emulators(*names): run on each named emulator (moto, localstack)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("emulators")
    if marker is None or "emulator" not in metafunc.fixturenames:
        return
    names = marker.args or EMULATORS
    unknown = set(names) - set(EMULATORS)
    if unknown:
        raise pytest.UsageError(f"unknown emulator {sorted(unknown)} in {metafunc.definition.nodeid}")
    # Module scope: a module runs whole on one emulator, then whole on the other, so a module-scoped
    # deployment is made once per emulator.
    metafunc.parametrize("emulator", names, indirect=True, scope="module")


@pytest.fixture(scope="session")
def moto_emulator() -> Iterator[Emulator]:
    """One moto server for the session (reset it in tests that need a clean account)."""
    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def localstack_python() -> Path:
    """The interpreter of LocalStack's virtualenv; skipped without it, and failed when CI is set."""
    python = Path(os.environ.get("RECGOV_LOCALSTACK_PYTHON") or LOCALSTACK_PYTHON)
    if not python.exists():
        reason = f"LocalStack is not installed ({python} is missing; `make localstack` builds it)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: under CI every end-to-end suite must also run on LocalStack")
        pytest.skip(reason)
    return python


@pytest.fixture(scope="session")
def localstack_emulator(localstack_python: Path) -> Iterator[LocalStackEmulator]:
    """One LocalStack process for the session, started on first use."""
    with LocalStackEmulator(localstack_python) as emu:
        yield emu


@pytest.fixture(scope="session")
def emulator(request: pytest.FixtureRequest) -> AwsEmulator:
    """moto, or the emulator a test's ``emulators`` marker asks for (session scope unless parametrized)."""
    name = getattr(request, "param", "moto")
    emu: AwsEmulator = request.getfixturevalue(f"{name}_emulator")
    return emu


@pytest.fixture
def clean_emulator(emulator: AwsEmulator) -> Iterator[AwsEmulator]:
    """The session's emulator, emptied before the test, with boto3's environment pointed at it."""
    emulator.reset()
    with emulator_environment(emulator):
        yield emulator


@pytest.fixture
def default_policy() -> Policy:
    """The packaged default policy."""
    return load_policy()


class OfflineMocks:
    """Pulumi mocks that invent plausible outputs, like the provider would, without any cloud."""

    ACCOUNT = "123456789012"
    CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/ci-session"

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        name = args.name
        if args.typ == "aws:s3/bucket:Bucket":
            bucket = f"{name}-0a1b2c3"
            outputs.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}")
            return bucket, outputs
        if args.typ == "aws:kms/key:Key":
            key_id = f"key-{name}"
            outputs.update(key_id=key_id, keyId=key_id, arn=f"arn:aws:kms:eu-west-3:{self.ACCOUNT}:key/{key_id}")
            return key_id, outputs
        if args.typ == "aws:iam/role:Role":
            outputs.update(arn=f"arn:aws:iam::{self.ACCOUNT}:role/{name}", name=name)
            return name, outputs
        return f"{name}-id", outputs

    @classmethod
    def connect_role(cls, instance_id: str) -> str:
        """The service-linked role these mocks give an Amazon Connect instance."""
        return (f"arn:aws:iam::{cls.ACCOUNT}:role/aws-service-role/connect.amazonaws.com/"
                f"AWSServiceRoleForAmazonConnect_{instance_id[:8]}")

    def call(self, args: Any) -> dict[str, Any]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": self.ACCOUNT, "arn": self.CALLER, "userId": "AROAEXAMPLE:ci", "id": self.ACCOUNT}
        if args.token == "aws:connect/getInstance:getInstance":
            # Connect names each instance's service-linked role with a suffix of its own choosing.
            instance = args.args["instanceId"]
            return {"id": instance, "instanceId": instance, "serviceRole": self.connect_role(instance)}
        raise NotImplementedError(f"no mock for {args.token}")


def offline_run(config: dict[str, Any] | None = None, into: ProgramRun | None = None, stack: str = "dev") -> ProgramRun:
    """Run the real ``__main__.py`` under Pulumi's mock runtime with the given stack config."""
    mocks = type("Mocks", (OfflineMocks, pulumi.runtime.Mocks), {})()
    return run_program(mocks, config or {}, stack=stack, into=into)


@pytest.fixture(scope="session")
def run_stack() -> Callable[..., ProgramRun]:
    """The offline program runner (see :func:`offline_run`)."""
    return offline_run


@pytest.fixture(scope="session")
def default_run() -> ProgramRun:
    """The program run once offline with no stack config: the packaged policy, stack ``dev``.

    Shared by every test that only reads it (a policy pack test edits a copy, ``PlannedStack``).
    """
    return offline_run({})
