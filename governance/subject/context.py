"""Where a subject command looks and with whose credentials: buckets, policy, caller, receipts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from governance.subject import roles
from governance.subject.find import error_code
from governance.subject.receipts import Caller, ReceiptError, ReceiptStore, caller_identity
from governance.subject.stored import Scope
from governance.targets import StackOutputs, Target
from lifecycle.access import principal_arn
from lifecycle.legal import Purpose
from lifecycle.policy import Policy
from lifecycle.purposes import LOG_TARGET

EVIDENCE = Purpose.EVIDENCE


class ContextError(Exception):
    """The command cannot act as asked; one sentence. ``usage`` tells 2 (bad input) from 3 (cannot act)."""

    def __init__(self, message: str, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass
class Context:
    """Everything a subject command acts with."""

    policy: Policy
    targets: Sequence[Target]
    outputs: StackOutputs | None
    session: boto3.session.Session
    endpoint_url: str | None
    region: str | None

    def client(self, service: str, session: boto3.session.Session | None = None) -> Any:
        """A client of the caller's session (or ``session``) at the endpoint."""
        return (session or self.session).client(service, endpoint_url=self.endpoint_url, region_name=self.region)

    def scopes(self, purposes: Sequence[str] = ()) -> list[Scope]:
        """The buckets searched: every target but the log bucket (and the evidence bucket, which holds
        receipts and reports, not recordings), restricted to ``purposes`` when given."""
        wanted = {Purpose(p) for p in purposes}
        return [Scope(t.bucket, self.policy[t.purpose]) for t in self.targets
                if t.purpose not in (LOG_TARGET, EVIDENCE) and (not wanted or t.purpose in wanted)]

    @property
    def evidence_bucket(self) -> str | None:
        """The bucket receipts go to."""
        return next((t.bucket for t in self.targets if t.purpose is EVIDENCE), None)

    @property
    def target_text(self) -> str:
        """The buckets, for the output's ``target``."""
        return ", ".join(f"{t.bucket}={t.purpose}" for t in self.targets)

    def caller(self) -> Caller:
        """Who the caller's credentials are."""
        try:
            return caller_identity(self.client("sts"))
        except ReceiptError as err:
            raise ContextError(str(err)) from None

    def receipt_store(self, caller: Caller, receipt_role: str | None) -> ReceiptStore:
        """A store writing as the evidence writer: the caller if it is one, else the role it assumes.

        The role is ``receipt_role`` or the stack's evidence writer; nothing has been done yet when
        this fails.
        """
        bucket = self.evidence_bucket
        if bucket is None:
            raise ContextError("receipts go to the evidence bucket: give --stack-outputs, or --bucket NAME=evidence "
                               "beside the recording buckets.", usage=True)
        known = roles.principals(self.outputs, EVIDENCE)
        writers = known.writers if known is not None else ()
        if receipt_role is None and (not writers or roles.allowed(caller.arn, writers)):
            return ReceiptStore(self.client("s3"), bucket, caller)
        role = receipt_role or writers[0]
        try:
            creds = self.client("sts").assume_role(RoleArn=role, RoleSessionName="recgov-receipt")["Credentials"]
        except (ClientError, BotoCoreError) as err:
            reason = error_code(err) if isinstance(err, ClientError) else str(err)
            raise ContextError(f"receipts are written by the evidence writer role {role}, which "
                               f"{principal_arn(caller.arn)} could not assume ({reason}); nothing was done.") from None
        session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                        aws_secret_access_key=creds["SecretAccessKey"],
                                        aws_session_token=creds["SessionToken"], region_name=self.region)
        try:
            writer = caller_identity(self.client("sts", session))
        except ReceiptError as err:
            raise ContextError(str(err)) from None
        return ReceiptStore(self.client("s3", session), bucket, writer)
