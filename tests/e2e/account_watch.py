"""Watching an account: everything it holds, and every call made to it.

:func:`account_state` reads the whole emulated account (every bucket's settings, every object
version with its bytes' digest and its lock, every delete marker and upload, IAM roles and users
with their policies, KMS keys and aliases) into plain data, so two states compare with ``==``.
:class:`CallRecorder` sees every HTTP request any boto3 client sends while it is active, whoever
created the client, and the emulator's own request log, kept alongside, sees every request that
reached it by any route.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore.session
import pytest
from botocore.exceptions import ClientError

from sandbox.seed import bucket_policies_lifted

ClientFactory = Callable[[str], Any]

READ_PREFIXES = ("Get", "List", "Head", "Describe")
"""What counts as a read: the verbs of the operations AWS classes as Read or List access. ``Select``
(SelectObjectContent) is a read too, but no command needs it, so it is left out: an unexpected one
would fail the test and be looked at, rather than pass unseen."""

BUCKET_READS = (
    "get_bucket_versioning", "get_object_lock_configuration", "get_bucket_lifecycle_configuration",
    "get_bucket_policy", "get_bucket_encryption", "get_public_access_block", "get_bucket_ownership_controls",
    "get_bucket_logging", "get_bucket_tagging", "get_bucket_replication", "get_bucket_notification_configuration",
    "get_bucket_acl", "get_bucket_cors",
)
"""Every bucket-level setting that decides whether objects are kept, locked, reachable or copied."""

LOG_OBJECT = re.compile(r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}")
"""S3's name for a server access log object after its target prefix: ``YYYY-mm-DD-HH-MM-SS-UniqueString``."""


def _plain(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _read(call: Callable[[], dict[str, Any]]) -> Any:
    """A read's answer, or the error code that stands for the setting's absence."""
    try:
        return _plain(call())
    except ClientError as err:
        return {"error": str(err.response.get("Error", {}).get("Code"))}


def is_log_delivery(key: str, prefixes: Iterable[str]) -> bool:
    """Whether ``key`` is a server access log object: a target prefix, then S3's log object name."""
    return any(key.startswith(p) and LOG_OBJECT.fullmatch(key[len(p):]) is not None for p in prefixes)


def _versions(s3: Any, bucket: str, log_prefixes: Iterable[str] = ()) -> dict[str, Any]:
    versions: dict[str, Any] = {}
    markers: dict[str, Any] = {}
    prefixes = tuple(log_prefixes)
    # The emulator copies every version of the bucket for each page it answers, and the log bucket
    # gains one object per request: ask for one large page (S3 would answer 1,000 at a time).
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 100_000})
    for page in pages:
        for v in page.get("Versions", []):
            listed = {k: v[k] for k in ("ETag", "Size", "IsLatest", "LastModified")}
            if is_log_delivery(v["Key"], prefixes):
                # Thousands accumulate (one per request to a logged bucket), none can be locked (the log
                # bucket has no Object Lock): the listing, whose ETag is the content's MD5, suffices.
                versions[f"{v['Key']}?versionId={v['VersionId']}"] = {"listed": listed}
                continue
            # An unversioned bucket lists "null" versions, which the emulator refuses as a VersionId.
            which = {"VersionId": v["VersionId"]} if v["VersionId"] != "null" else {}
            head = _plain(s3.head_object(Bucket=bucket, Key=v["Key"], **which))
            body = s3.get_object(Bucket=bucket, Key=v["Key"], **which)["Body"].read()
            versions[f"{v['Key']}?versionId={v['VersionId']}"] = {
                "listed": listed,
                "sha256": hashlib.sha256(body).hexdigest(),
                "lock": {k: head.get(k) for k in ("ObjectLockMode", "ObjectLockRetainUntilDate",
                                                  "ObjectLockLegalHoldStatus")},
                "stored": {k: head.get(k) for k in ("ServerSideEncryption", "SSEKMSKeyId", "Metadata",
                                                    "ContentType")},
            }
        for m in page.get("DeleteMarkers", []):
            markers[f"{m['Key']}?versionId={m['VersionId']}"] = {k: m[k] for k in ("IsLatest", "LastModified")}
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return {"versions": versions, "delete_markers": markers,
            "uploads": sorted((u["Key"], u["UploadId"]) for u in uploads)}


def _setting(s3: Any, operation: str, bucket: str) -> Any:
    return _read(lambda: getattr(s3, operation)(Bucket=bucket))


def bucket_state(s3: Any, bucket: str, log_prefixes: Iterable[str] = ()) -> dict[str, Any]:
    """One bucket: its settings, its inventory configurations, every version, marker and upload.

    Versions are read in full (lock, metadata, a digest of the bytes) but for the server access log
    objects under ``log_prefixes``, which are listed only.
    """
    config: dict[str, Any] = {op: _setting(s3, op, bucket) for op in BUCKET_READS}
    config["inventories"] = s3.list_bucket_inventory_configurations(Bucket=bucket).get(
        "InventoryConfigurationList", [])
    has_policy = "Policy" in config["get_bucket_policy"]
    # The emulator applies a policy's conditional denies to every object request (see
    # sandbox.seed.bucket_policies_lifted): the policy, read above, is detached to read the objects
    # and put back byte for byte.
    with bucket_policies_lifted(s3, [bucket] if has_policy else []):
        objects = _versions(s3, bucket, log_prefixes)
    return {"config": config, **objects}


def account_state(client: ClientFactory) -> dict[str, Any]:
    """Everything the account holds that a command could change, as comparable plain data."""
    s3, iam, kms = client("s3"), client("iam"), client("kms")
    state: dict[str, Any] = {}
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    targets: dict[str, set[str]] = {}
    for name in names:
        enabled = _setting(s3, "get_bucket_logging", name).get("LoggingEnabled")
        if enabled:
            targets.setdefault(enabled["TargetBucket"], set()).add(enabled["TargetPrefix"])
    for name in names:
        state[f"s3://{name}"] = bucket_state(s3, name, targets.get(name, ()))
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        state[f"iam:role/{name}"] = {
            "trust": role["AssumeRolePolicyDocument"],
            "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                       for p in iam.list_role_policies(RoleName=name)["PolicyNames"]},
            "attached": iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"],
        }
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        state[f"iam:user/{name}"] = {
            "inline": {p: iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"]
                       for p in iam.list_user_policies(UserName=name)["PolicyNames"]},
            "keys": [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]],
        }
    for key in kms.list_keys()["Keys"]:
        key_id = key["KeyId"]
        state[f"kms:key/{key_id}"] = {
            "metadata": kms.describe_key(KeyId=key_id)["KeyMetadata"],
            "rotation": kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"],
            "policy": kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"],
        }
    state["kms:aliases"] = sorted((a["AliasName"], a.get("TargetKeyId")) for a in kms.list_aliases()["Aliases"])
    return state


def differences(before: dict[str, Any], after: dict[str, Any], path: str = "") -> list[str]:
    """Where two states differ, one line per leaf, so a failure names what changed."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            where = f"{path}/{key}" if path else str(key)
            if key not in before:
                found.append(f"added {where}")
            elif key not in after:
                found.append(f"removed {where}")
            else:
                found += differences(before[key], after[key], where)
        return found
    return [] if before == after else [f"changed {path}: {before!r} -> {after!r}"]


@dataclass(frozen=True)
class Call:
    """One HTTP request a boto3 client sent (each retry is a request of its own)."""

    service: str
    operation: str
    method: str
    url: str
    headers: dict[str, str]
    body: bytes = b""
    """The request's body for the JSON and query protocols (Athena's query text...), empty for S3,
    whose bodies are object contents."""

    @property
    def name(self) -> str:
        """``s3:GetBucketPolicy``, as IAM names the action."""
        return f"{self.service}:{self.operation}"

    @property
    def is_read(self) -> bool:
        """Whether the operation only reads (see :data:`READ_PREFIXES`)."""
        return self.operation.startswith(READ_PREFIXES)

    @property
    def path(self) -> str:
        """The URL's path, decoded: ``/bucket/key`` for S3 on the emulator (path-style addressing)."""
        return unquote(urlsplit(self.url).path)


@dataclass
class CallRecorder:
    """Every request sent by every botocore client created while :meth:`watching` is active.

    Clients are made in several places (the collection's factory, ``boto3.client`` for inventories and
    archives, Athena's client); all of them go through ``botocore.session.Session.create_client``, so
    the recorder wraps that one method and hooks ``before-send`` on each new client: the last event
    before the bytes leave, fired once per attempt, retries included.
    """

    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _record(self, request: Any, event_name: str, **_: Any) -> None:
        service, operation = event_name.split(".", 2)[1:]
        headers = {str(k): v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()}
        body = request.body if service != "s3" else b""
        body = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else b""
        with self._lock:
            self.calls.append(Call(service, operation, request.method, request.url, headers, body))

    @contextmanager
    def watching(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Call]]:
        """Record from now until the block ends; yields the calls of this block only."""
        original = botocore.session.Session.create_client
        recorder = self
        start = len(self.calls)

        def create_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-send", recorder._record)
            return client

        block: list[Call] = []
        with monkeypatch.context() as patch:
            patch.setattr(botocore.session.Session, "create_client", create_client)
            yield block
        block.extend(self.calls[start:])


@dataclass(frozen=True)
class ServerRequest:
    """One request as the emulator received it."""

    method: str
    path: str


class EmulatorRequestLog:
    """The emulator's own record of the requests it received (moto's recorder), as a cross-check.

    moto's recorder appends every request to a file named by ``MOTO_RECORDER_FILEPATH``, read once
    when moto is imported, and by default relative to the working directory. The test points its
    one recorder at a file of its own, outside the directory whose files are checked.
    """

    def __init__(self, endpoint_url: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.moto_api import recorder

        self.endpoint_url = endpoint_url
        monkeypatch.setattr(recorder, "_location", str(path))
        self._post("reset-recording")

    def _post(self, action: str) -> None:
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/recorder/{action}", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=5):
            pass

    @contextmanager
    def recording(self) -> Iterator[list[ServerRequest]]:
        """Record the requests received in the block; yields them (filled when the block ends)."""
        self._post("reset-recording")
        self._post("start-recording")
        received: list[ServerRequest] = []
        with ExitStack() as stack:
            stack.callback(self._post, "stop-recording")
            yield received
        with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/recorder/download-recording", timeout=5) as rsp:
            lines = rsp.read().decode("utf-8").splitlines()
        for line in lines:
            entry = json.loads(line)
            received.append(ServerRequest(entry["method"], unquote(urlsplit(entry["url"]).path)))


def request_counts(requests: list[Any]) -> Counter[tuple[str, str]]:
    """(method, path) -> how many times, for comparing what was sent with what was received."""
    return Counter((r.method, r.path) for r in requests)
