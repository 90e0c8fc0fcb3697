"""Write-once receipts of subject requests and holds, in the evidence bucket.

Every action that reads a subject's recordings out or changes them (export, erase, hold place,
hold release) leaves two receipts under one id: ``intent.json`` before it acts and
``outcome.json`` after. Each is written with ``If-None-Match: *`` (an existing receipt is never
replaced) into the evidence bucket, whose default Object Lock retention (COMPLIANCE under the
packaged policy) keeps it unaltered until it expires.

Nothing is half-done: the intent is written by the same principal, into the same bucket and under
the same prefix as the outcome will be, and the action starts only once S3 has accepted it. If the
intent cannot be written, nothing is acted on. If the outcome then cannot be written (the bucket
became unreachable mid-action), the intent still records who started what on which versions, the
command prints the outcome and exits 3.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance import __version__
from governance.subject.find import error_code

SCHEMA = "recgov-subject-receipt/1"
PREFIX = "subject-receipts"
ACTIONS = ("export", "erase", "hold-place", "hold-release")


class ReceiptError(Exception):
    """A receipt could not be written or read; one sentence."""


@dataclass(frozen=True)
class Caller:
    """Who acts, as STS GetCallerIdentity answers for the credentials in use."""

    arn: str
    account: str
    user_id: str

    def as_dict(self) -> dict[str, str]:
        """Plain data for a receipt."""
        return {"arn": self.arn, "account": self.account, "user_id": self.user_id}


def caller_identity(sts: Any) -> Caller:
    """The caller of ``sts``'s credentials; a ReceiptError when STS does not answer."""
    try:
        who = sts.get_caller_identity()
    except (ClientError, BotoCoreError) as err:
        reason = error_code(err) if isinstance(err, ClientError) else str(err)
        raise ReceiptError(f"the caller's identity could not be read from STS ({reason}), so no receipt could "
                           "name who acted; check the credentials.") from None
    return Caller(str(who["Arn"]), str(who["Account"]), str(who["UserId"]))


@dataclass(frozen=True)
class ReceiptStore:
    """The evidence bucket, and a client allowed to write there (the evidence writer)."""

    s3: Any
    bucket: str
    writer: Caller
    prefix: str = PREFIX

    def put(self, key: str, doc: Mapping[str, Any]) -> str:
        """Write ``doc`` at ``key`` once; return its SHA-256. Refused or failed: ReceiptError."""
        body = json.dumps(doc, indent=2, sort_keys=True).encode("utf-8")
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*",
                               ContentType="application/json")
        except ClientError as err:
            code = error_code(err)
            reason = "a receipt already exists there" if code in ("PreconditionFailed", "412") else code
            raise ReceiptError(f"the receipt s3://{self.bucket}/{key} could not be written ({reason}); the "
                               f"evidence bucket's writer role is needed to write receipts.") from None
        except BotoCoreError as err:
            raise ReceiptError(f"the receipt s3://{self.bucket}/{key} could not be written ({err}).") from None
        return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass
class Receipt:
    """One action's pair of receipts: the intent written before acting, the outcome after."""

    store: ReceiptStore
    action: str
    caller: Caller
    call_ids: Sequence[str]
    policy_digest: str
    reason: str | None = None
    case: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    receipt_id: str = ""
    intent_sha256: str | None = None
    acting: Mapping[str, str] = field(default_factory=dict)
    """Per purpose, the principal that acted for the caller (a role it assumed, or itself)."""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown receipt action {self.action!r}")
        if not self.receipt_id:
            # To the microsecond: ids sort in the order the actions were taken, even within one second.
            self.receipt_id = (f"{self.at:%Y/%m/%d}/{self.at:%Y%m%dT%H%M%S.%fZ}-{self.action}-"
                               f"{uuid.uuid4().hex[:12]}")

    @property
    def folder(self) -> str:
        """Where both receipts of this action live in the evidence bucket."""
        return f"{self.store.prefix}/{self.receipt_id}"

    def _doc(self, phase: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "receipt_id": self.receipt_id,
            "phase": phase,
            "action": self.action,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "started_at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "caller": self.caller.as_dict(),
            "acting_as": dict(self.acting),
            "written_by": self.store.writer.as_dict(),
            "reason": self.reason,
            "case": self.case,
            "call_ids": list(self.call_ids),
            "policy_digest": self.policy_digest,
            "tool_version": __version__,
            **body,
        }

    def write_intent(self, versions: Sequence[Mapping[str, Any]]) -> str:
        """Record what is about to be done, before anything is; returns the receipt's address."""
        self.intent_sha256 = self.store.put(f"{self.folder}/intent.json", self._doc("intent", {"versions": versions}))
        return f"s3://{self.store.bucket}/{self.folder}/intent.json"

    def write_outcome(self, versions: Sequence[Mapping[str, Any]], result: Mapping[str, Any]) -> str:
        """Record what was done (each version, its SHA-256 where read); returns the receipt's address."""
        if self.intent_sha256 is None:
            raise ReceiptError("an outcome was written without its intent; write the intent first.")
        doc = self._doc("outcome", {"versions": versions, "result": dict(result), "intent_sha256": self.intent_sha256})
        self.store.put(f"{self.folder}/outcome.json", doc)
        return f"s3://{self.store.bucket}/{self.folder}/outcome.json"


@dataclass(frozen=True)
class StoredReceipt:
    """A receipt as read back from the evidence bucket."""

    key: str
    doc: Mapping[str, Any]

    @property
    def receipt_id(self) -> str:
        """The id its intent and outcome share."""
        return str(self.doc.get("receipt_id", ""))


def read_receipts(s3: Any, bucket: str, prefix: str = PREFIX) -> Iterator[StoredReceipt]:
    """Every receipt under ``prefix``, oldest first (ids start with their time)."""
    from governance.collect.listing import object_keys  # boto3 is loaded only where S3 is listed

    try:
        keys = [k for k in object_keys(s3, bucket, f"{prefix}/") if k.endswith(".json")]
        for key in sorted(keys):
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            try:
                doc = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise ReceiptError(f"s3://{bucket}/{key} is not a JSON receipt.") from None
            if isinstance(doc, dict) and doc.get("schema") == SCHEMA:
                yield StoredReceipt(key, doc)
    except ClientError as err:
        raise ReceiptError(f"the receipts in s3://{bucket}/{prefix}/ could not be read ({error_code(err)}); the "
                           "evidence bucket's reader role is needed.") from None
    except BotoCoreError as err:
        raise ReceiptError(f"the receipts in s3://{bucket}/{prefix}/ could not be read ({err}).") from None


def pair(receipts: Sequence[StoredReceipt]) -> list[dict[str, Any]]:
    """One row per action: its intent, and its outcome when one was written."""
    rows: dict[str, dict[str, Any]] = {}
    for r in receipts:
        row = rows.setdefault(r.receipt_id, {"receipt_id": r.receipt_id, "intent": None, "outcome": None})
        row[str(r.doc.get("phase"))] = dict(r.doc) | {"key": r.key}
    return list(rows.values())
