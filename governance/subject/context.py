"""Where a subject command looks and with whose credentials: buckets, policy, caller, receipts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # boto3 costs a few tenths of a second to import: `find --inventory` never needs it
    import boto3

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

    def _as_evidence(self, caller: Caller, kind: str, role: str | None) -> tuple[Any, Caller]:
        """An S3 client and identity acting as the evidence bucket's ``kind`` (writers or readers): the
        caller if it is one (or the stack does not say), else ``role`` or the stack's role, assumed."""
        known = roles.principals(self.outputs, EVIDENCE)
        arns: tuple[str, ...] = getattr(known, kind) if known is not None else ()
        if role is None and (not arns or roles.allowed(caller.arn, arns)):
            return self.client("s3"), caller
        role = role or arns[0]
        what = "written by the evidence writer" if kind == "writers" else "read by the evidence reader"
        try:
            creds = self.client("sts").assume_role(RoleArn=role, RoleSessionName="recgov-receipt")["Credentials"]
        except (ClientError, BotoCoreError) as err:
            reason = error_code(err) if isinstance(err, ClientError) else str(err)
            raise ContextError(f"receipts are {what} role {role}, which {principal_arn(caller.arn)} could not "
                               f"assume ({reason}); nothing was done.") from None
        import boto3

        session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                        aws_secret_access_key=creds["SecretAccessKey"],
                                        aws_session_token=creds["SessionToken"], region_name=self.region)
        try:
            return self.client("s3", session), caller_identity(self.client("sts", session))
        except ReceiptError as err:
            raise ContextError(str(err)) from None

    def require_evidence_bucket(self) -> str:
        """The evidence bucket, or a usage error naming how to give it."""
        bucket = self.evidence_bucket
        if bucket is None:
            raise ContextError("receipts are in the evidence bucket: give --stack-outputs, or --bucket NAME=evidence "
                               "beside the recording buckets.", usage=True)
        return bucket

    def receipt_store(self, caller: Caller, receipt_role: str | None) -> ReceiptStore:
        """A store writing as the evidence writer; nothing has been done yet when this fails."""
        bucket = self.require_evidence_bucket()
        s3, writer = self._as_evidence(caller, "writers", receipt_role)
        return ReceiptStore(s3, bucket, writer)

    def receipt_reader(self, caller: Caller) -> tuple[Any, str]:
        """An S3 client reading the receipts as the evidence reader, and the evidence bucket."""
        bucket = self.require_evidence_bucket()
        return self._as_evidence(caller, "readers", None)[0], bucket
