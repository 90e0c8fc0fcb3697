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

    def _assumed(self, role: str) -> tuple[Any, Caller]:
        """An S3 client of ``role``'s session and who that session is (raises ClientError/BotoCoreError)."""
        import boto3

        creds = self.client("sts").assume_role(RoleArn=role, RoleSessionName="recgov-subject")["Credentials"]
        session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                        aws_secret_access_key=creds["SecretAccessKey"],
                                        aws_session_token=creds["SessionToken"], region_name=self.region)
        try:
            return self.client("s3", session), caller_identity(self.client("sts", session))
        except ReceiptError as err:
            raise ContextError(str(err)) from None

    def acting(self, caller: Caller, purpose: Purpose, need: roles.Need, action: str,
               role: str | None = None) -> tuple[Any, Caller]:
        """An S3 client acting as ``purpose``'s principal of kind ``need``, and who it is.

        The caller's own credentials when it is that principal (or the stack outputs do not say who
        is); else ``role`` or the stack's role for it, assumed with the caller's credentials, so a
        person whose own identity may assume the purpose's roles acts through each in one run. A
        principal that cannot be assumed is a ContextError naming it: nothing has been done yet.
        """
        known = roles.principals(self.outputs, purpose)
        arns: tuple[str, ...] = getattr(known, need.attribute) if known is not None else ()
        if role is None and (known is None or roles.allowed(caller.arn, arns)):
            return self.client("s3"), caller
        if role is None and not arns:
            raise ContextError(f"{action} is denied to everyone on the {purpose} bucket: the stack gives {purpose} "
                               f"no {need.title}. Nothing was done.")
        chosen = role or arns[0]
        who = principal_arn(caller.arn)
        if "*" in chosen:
            raise ContextError(f"{action} needs the {purpose} {need.title} ({', '.join(arns)}); {who} is not it: "
                               "act as that principal and run again. Nothing was done.")
        try:
            return self._assumed(chosen)
        except (ClientError, BotoCoreError) as err:
            reason = error_code(err) if isinstance(err, ClientError) else str(err)
            raise ContextError(f"{action} needs the {purpose} {need.title} ({chosen}), which {who} is not and could "
                               f"not assume ({reason}): assume that role and run again. Nothing was done.") from None

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
        s3, writer = self.acting(caller, EVIDENCE, roles.WRITER, "writing receipts", receipt_role)
        return ReceiptStore(s3, bucket, writer)

    def receipt_reader(self, caller: Caller) -> tuple[Any, str]:
        """An S3 client reading the receipts as the evidence reader, and the evidence bucket."""
        bucket = self.require_evidence_bucket()
        return self.acting(caller, EVIDENCE, roles.READER, "reading receipts")[0], bucket
