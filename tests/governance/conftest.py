"""Fixtures for verify: an in-process moto account holding the governed stack the program deploys."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lifecycle.policy import Policy
from sandbox.deploy import apply_program
from tests.governance.support import PREFIX, REGION, STACK, Account


def mocked_clients(region: str) -> Callable[[str], Any]:
    """A cached boto3 client factory for the in-process moto account (the program registers from threads)."""
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def client(service: str) -> Any:
        with lock:
            if service not in cache:
                cache[service] = boto3.client(service, region_name=region)  # type: ignore[call-overload]
            return cache[service]

    return client


@pytest.fixture
def account(default_policy: Policy) -> Iterator[Account]:
    """The default policy's stack, deployed by the program (through the sandbox) into an in-process moto account."""
    with mock_aws():
        clients = mocked_clients(REGION)
        deployment = apply_program(clients, stack=STACK, config={"aws:region": REGION, "namePrefix": PREFIX})
        yield Account(clients("s3"), clients("kms"), default_policy, deployment.outputs)
