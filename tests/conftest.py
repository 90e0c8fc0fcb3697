"""Shared fixtures: the embedded emulator on loopback, boto3 pointed at it, the default policy."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from lifecycle.loader import load_policy
from lifecycle.policy import Policy
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
