"""Fixtures for verify: an in-process moto account holding the governed stack of the default policy."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from bench.fleet import provision_stack
from lifecycle.policy import Policy
from tests.governance.support import PREFIX, REGION, Account


@pytest.fixture
def account(default_policy: Policy) -> Iterator[Account]:
    """The default policy's stack, deployed into an in-process moto account."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        outputs = provision_stack(s3, kms, default_policy, PREFIX, region=REGION)
        yield Account(s3, kms, default_policy, outputs)
