"""Shared fixtures: the embedded emulator on loopback, boto3 pointed at it, the default policy."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest

from lifecycle.loader import load_policy
from lifecycle.policy import Policy
from lifecycle.program import ProgramRun, run_program
from sandbox.emulator import FAKE_CREDENTIALS, Emulator, emulator_environment

# No test may reach a real account: credentials are fake and every client is pointed at loopback.
for _key, _value in FAKE_CREDENTIALS.items():
    os.environ[_key] = _value
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One moto server for the session (reset it in tests that need a clean account)."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def clean_emulator(emulator: Emulator) -> Iterator[Emulator]:
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
