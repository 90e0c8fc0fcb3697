"""Helpers for the verify tests: the mocked account holding a governed stack, and ways to break it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

from governance.collect.observed import Observed
from governance.collect.snapshot import BucketSnapshot
from governance.model import Report, Result
from lifecycle.legal import Purpose
from lifecycle.policy import Policy

REGION = "eu-west-3"
PREFIX = "recgov-t"
STACK = "t"
"""The stack the program deploys for the verify tests: buckets are ``recgov-t-<purpose>-<7 hex>``."""


@dataclass
class Account:
    """A mocked account with the governed stack deployed; ``s3``/``kms`` drift it."""

    s3: Any
    kms: Any
    policy: Policy
    outputs: dict[str, Any]

    def bucket(self, purpose: Purpose | str) -> str:
        """The stack's bucket for a purpose."""
        return str(self.outputs["buckets"][str(purpose)])

    def verify(self, **kwargs: Any) -> Report:
        """Verify the whole stack from its outputs (or the given targets)."""
        from governance.verify import verify

        targets = kwargs.pop("targets", None)
        outputs = kwargs.pop("outputs", None if targets is not None else self.outputs)
        return verify(targets, self.policy, outputs=outputs, region=REGION, **kwargs)

    def result(self, check_id: str, purpose: Purpose | str, **kwargs: Any) -> Result:
        """The one result of a check on a purpose's bucket."""
        return only(self.verify(**kwargs), check_id, self.bucket(purpose))


def only(report: Report, check_id: str, bucket: str) -> Result:
    """The single result of ``check_id`` on ``bucket`` in a report."""
    found = [r for r in report.results if r.check == check_id and r.resource == bucket]
    assert len(found) == 1, f"{len(found)} results of {check_id} on {bucket}: {found}"
    return found[0]


def unreadable_snapshot(snapshot: BucketSnapshot, *fields: str) -> BucketSnapshot:
    """The snapshot with the named settings unreadable, as AccessDenied leaves them."""
    denied = Observed.unreadable("AccessDenied: Access Denied", source="test", permission="s3:Get*")
    return dataclasses.replace(snapshot, **dict.fromkeys(fields, denied))


def deny(client: Any, operation: str, code: str = "AccessDenied", status: int = 403) -> Callable[..., Any]:
    """Make every call of ``operation`` on ``client`` fail with ``code``, as IAM would refuse it.

    botocore lets a ``before-call`` handler answer in place of the service; the client then raises
    the ClientError it would raise for the real refusal.
    """

    def refuse(**_kwargs: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = {"Error": {"Code": code, "Message": "Access Denied"}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("https://s3.test", status, {}, None), body

    client.meta.events.register(f"before-call.{client.meta.service_model.service_name}.{operation}", refuse)
    return refuse
