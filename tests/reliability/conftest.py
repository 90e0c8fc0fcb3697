"""Fixtures for the fault tests: the governed stack on the emulator, and retries without the waiting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.retries.adaptive
import botocore.retries.standard
import pytest

from sandbox.appliers import physical_name
from sandbox.deploy import deploy
from sandbox.emulator import Emulator
from sandbox.program import PROJECT
from tests.governance.conftest import account

__all__ = ["account", "no_backoff", "stack"]
"""``account`` (the in-process moto account with the governed stack) is shared with tests/governance."""

REGION = "eu-west-3"
PREFIX = "rg-fault"
STACK = "fault"
CONFIG = {"aws:region": REGION, "namePrefix": PREFIX}
"""The stack the program deploys for the fault tests: the packaged policy, buckets ``rg-fault-<purpose>-<7 hex>``."""


def bucket_name(purpose: str) -> str:
    """The name the sandbox gives a purpose's bucket in this stack (fixed, so faults can name it up front)."""
    return physical_name(PROJECT, STACK, f"{PREFIX}-{purpose}")


@pytest.fixture(scope="module")
def stack(emulator: Emulator) -> Iterator[dict[str, Any]]:
    """The program deployed on the session's emulator: the outputs ``pulumi stack output --json`` would print.

    Module-scoped: the faults only ever sit in the proxy, so the stack itself never changes.
    """
    emulator.reset()
    outputs = deploy(emulator.endpoint_url, stack=STACK, config=CONFIG).outputs
    assert outputs["buckets"] == {p: bucket_name(p) for p in outputs["buckets"]}, "the names the faults aim at"
    yield outputs


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore still makes every retry the configuration allows, but without sleeping between them
    (exponential backoff) or before sending (adaptive mode's client-side rate limit after a
    throttle): the tests count attempts, and the waits, measured separately by
    ``python -m tests.reliability.measure``, would cost minutes."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(botocore.retries.adaptive.ClientRateLimiter, "on_sending_request",
                        lambda self, request, **kwargs: None)
