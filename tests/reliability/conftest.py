"""Fixtures for the fault tests: the governed stack on the emulator, and retries without the waiting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.retries.adaptive
import botocore.retries.standard
import pytest

from bench.fleet import provision_stack
from lifecycle.policy import Policy
from sandbox.emulator import Emulator
from tests.governance.conftest import account

__all__ = ["account", "no_backoff", "stack"]
"""``account`` (the in-process moto account with the governed stack) is shared with tests/governance."""

REGION = "eu-west-3"
PREFIX = "rg-fault"


@pytest.fixture(scope="module")
def stack(emulator: Emulator) -> Iterator[dict[str, Any]]:
    """The default policy's stack deployed on the session's emulator: the outputs ``pulumi`` would print.

    Module-scoped: the faults only ever sit in the proxy, so the stack itself never changes.
    """
    from lifecycle.loader import load_policy

    policy: Policy = load_policy()
    emulator.reset()
    s3 = boto3.client("s3", endpoint_url=emulator.endpoint_url, region_name=REGION)
    kms = boto3.client("kms", endpoint_url=emulator.endpoint_url, region_name=REGION)
    yield provision_stack(s3, kms, policy, PREFIX, region=REGION)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore still makes every retry the configuration allows, but without sleeping between them
    (exponential backoff) or before sending (adaptive mode's client-side rate limit after a
    throttle): the tests count attempts, and the waits, measured separately by
    ``python -m tests.reliability.measure``, would cost minutes."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(botocore.retries.adaptive.ClientRateLimiter, "on_sending_request",
                        lambda self, request, **kwargs: None)
