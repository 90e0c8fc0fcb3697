"""A fault-injecting HTTP proxy on 127.0.0.1, in front of the emulator.

Every request is forwarded unchanged to the upstream (the moto server); a :class:`Fault` whose
operation, bucket and request number match replaces the answer: the connection dropped without an
answer, a delay beyond the client's read timeout, ``503 SlowDown`` or ``ThrottlingException``, a
body cut short or corrupted, an arbitrary error document, or the whole proxy shut so that every later
connection is refused. A fault may also strike a fraction of its requests at random, only during a
window of time (a throttling burst), or only the requests beyond a rate (as S3 throttles a prefix).
The proxy counts requests per operation, which is how the tests count retries. It serves one request
per connection (HTTP/1.0 semantics), so "refused" really means the TCP connect fails, and it shuts
itself after ``lifetime`` seconds whatever the test does.
"""

from __future__ import annotations

import http.client
import random
import socket
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

LOOPBACK = "127.0.0.1"

S3_SUBRESOURCES = {
    "tagging": "GetBucketTagging",
    "versioning": "GetBucketVersioning",
    "object-lock": "GetObjectLockConfiguration",
    "lifecycle": "GetBucketLifecycleConfiguration",
    "encryption": "GetBucketEncryption",
    "publicAccessBlock": "GetPublicAccessBlock",
    "ownershipControls": "GetBucketOwnershipControls",
    "policy": "GetBucketPolicy",
    "logging": "GetBucketLogging",
    "replication": "GetBucketReplication",
    "inventory": "GetBucketInventoryConfiguration",
}
"""S3 bucket sub-resource (the query key of a path-style GET) -> the operation it reads."""

KINDS = frozenset({"drop", "delay", "slowdown", "throttle", "truncate", "corrupt", "error", "refuse", "echo"})


@dataclass
class Fault:
    """What to break: requests of ``operation`` (any when None) on ``bucket`` (any when None).

    ``service`` (``"s3"`` or ``"kms"``) narrows to one service; ``body_contains`` to requests whose
    body holds the text (a KMS call names its key there, not in the path). The first ``skip`` matching
    requests pass; the next ``times`` (every one when None) get the fault. ``after`` and ``lasting``
    (seconds, counted from the first matching request) confine the fault to a window of time;
    ``rate`` below 1 gives it to that fraction of the eligible requests, drawn from a generator seeded
    with ``seed``. ``per_second`` lets that many requests a second through (a sliding one-second
    window of those it let through) and strikes the rest, as S3 answers ``SlowDown`` to a prefix
    asked more than it serves. ``status``/``code``/``message`` shape an ``error`` answer; ``extra`` is XML added
    inside its ``<Error>`` element (S3 adds fields such as ``AWSAccessKeyId`` to some errors).
    """

    kind: str
    operation: str | None = None
    bucket: str | None = None
    body_contains: str | None = None
    skip: int = 0
    times: int | None = None
    delay: float = 0.0
    status: int = 403
    code: str = "AccessDenied"
    message: str = "Access Denied"
    extra: str = ""
    service: str | None = None
    rate: float = 1.0
    seed: int | None = None
    after: float = 0.0
    lasting: float | None = None
    per_second: float | None = None
    seen: int = 0
    applied: int = 0
    first_seen: float | None = None
    _random: random.Random = field(init=False, repr=False, compare=False)
    _passed: deque[float] = field(default_factory=deque, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate {self.rate} is not a fraction")
        self._random = random.Random(self.seed)

    def take(self, operation: str, bucket: str | None, body: bytes, service: str = "s3") -> bool:
        """Whether this request gets the fault (counts the match either way)."""
        if self.operation not in (None, operation) or self.bucket not in (None, bucket):
            return False
        if self.service not in (None, service):
            return False
        if self.body_contains is not None and self.body_contains.encode() not in body:
            return False
        now = time.monotonic()
        if self.first_seen is None:
            self.first_seen = now
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.applied >= self.times):
            return False
        elapsed = now - self.first_seen
        if elapsed < self.after or (self.lasting is not None and elapsed >= self.after + self.lasting):
            return False
        if self.per_second is not None:
            while self._passed and now - self._passed[0] >= 1.0:
                self._passed.popleft()
            if len(self._passed) < self.per_second:
                self._passed.append(now)
                return False
        if self.rate < 1.0 and self._random.random() >= self.rate:
            return False
        self.applied += 1
        return True


@dataclass
class FaultProxy:
    """The proxy's state: upstream, faults, counters; use :func:`fault_proxy` to run one."""

    upstream_port: int
    faults: list[Fault] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    refused_at: float | None = None
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def endpoint_url(self) -> str:
        """Where clients point ``endpoint_url``."""
        return f"http://{LOOPBACK}:{self.port}"

    def choose(self, operation: str, bucket: str | None, body: bytes = b"", service: str = "s3") -> Fault | None:
        """Count the request and return the first fault that applies to it."""
        with self._lock:
            self.counts[operation] += 1
            for fault in self.faults:
                if fault.take(operation, bucket, body, service):
                    return fault
        return None

    def shut(self) -> None:
        """Stop listening: every later connection is refused (idempotent, any thread but the server's)."""
        server, self._server = self._server, None
        if server is not None:
            self.refused_at = time.monotonic()
            server.shutdown()
            server.server_close()


def service_of(headers: dict[str, str]) -> str:
    """``"kms"`` for a KMS call (JSON, named by its ``X-Amz-Target``), ``"s3"`` for anything else."""
    return "kms" if headers.get("x-amz-target", "").startswith("TrentService.") else "s3"


def classify(method: str, target: str, headers: dict[str, str]) -> tuple[str, str | None]:
    """The AWS operation a request performs and the bucket it names (path-style S3, JSON KMS)."""
    amz_target = headers.get("x-amz-target", "")
    if amz_target.startswith("TrentService."):
        return amz_target.removeprefix("TrentService."), None
    parts = urlsplit(target)
    bucket = parts.path.strip("/").split("/", 1)[0] or None
    if bucket is None:
        return ("ListBuckets" if method == "GET" else f"{method} /"), None
    if method == "HEAD":
        return "HeadBucket", bucket
    keys = [k for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
    for key in keys:
        if key in S3_SUBRESOURCES:
            return S3_SUBRESOURCES[key], bucket
    return f"{method} bucket", bucket


def _error_xml(fault: Fault) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{fault.code}</Code>'
            f"<Message>{fault.message}</Message>{fault.extra}<RequestId>FAULT</RequestId></Error>").encode()


def _echo_xml(path: str, headers: dict[str, str]) -> bytes:
    """A ``SignatureDoesNotMatch`` refusal that gives the request back, as S3 does (key id, string to
    sign, canonical request) and as a careless gateway might (its headers and a presigned URL, in
    the message a client shows)."""
    from xml.sax.saxutils import escape

    auth = headers.get("Authorization", "")
    token = headers.get("X-Amz-Security-Token", "")
    credential = auth.split("Credential=", 1)[-1].split(",", 1)[0]
    presigned = (f"http://{LOOPBACK}{path}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}"
                 f"&X-Amz-Signature=0123456789abcdef0123456789abcdef&X-Amz-Security-Token={token}")
    message = f"Signature mismatch for {presigned}; Authorization: {auth}; X-Amz-Security-Token: {token}"
    key_id = credential.split("/", 1)[0]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
            f"<Message>{escape(message)}</Message><AWSAccessKeyId>{escape(key_id)}</AWSAccessKeyId>"
            f"<StringToSign>AWS4-HMAC-SHA256 {escape(credential)}</StringToSign>"
            f"<CanonicalRequest>{escape(path)} x-amz-security-token:{escape(token)}</CanonicalRequest>"
            "<RequestId>FAULT</RequestId></Error>").encode()


def _handler(proxy: FaultProxy, keep_alive: bool = False) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: a shut proxy refuses the next one

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads ``proxy.counts``, not a log."""

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes, *, length: int | None = None,
                   reason: str | None = None) -> None:
            self.send_response(status, reason)
            for name, value in headers:
                if name.lower() not in {"content-length", "transfer-encoding", "connection", "server", "date"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            upstream = http.client.HTTPConnection(LOOPBACK, proxy.upstream_port, timeout=10)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                return response.status, response.getheaders(), response.read()
            finally:
                upstream.close()

        def _handle(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            lowered = {k.lower(): v for k, v in self.headers.items()}
            operation, bucket = classify(self.command, self.path, lowered)
            fault = proxy.choose(operation, bucket, body, service_of(lowered))
            if fault is None:
                self._reply(*self._forward(body))
                return
            if fault.kind in {"drop", "refuse"}:
                if fault.kind == "refuse":
                    threading.Thread(target=proxy.shut, daemon=True).start()
                # Close without a status line: the client sees the connection end mid-request.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.kind == "delay":
                time.sleep(fault.delay)
                self._reply(*self._forward(body))
                return
            if fault.kind == "slowdown":
                fault.code, fault.message = "SlowDown", "Please reduce your request rate."
                self._reply(503, [("Content-Type", "application/xml")], _error_xml(fault), reason="Slow Down")
                return
            if fault.kind == "throttle":
                body = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
                self._reply(400, [("Content-Type", "application/x-amz-json-1.1")], body)
                return
            if fault.kind == "error":
                self._reply(fault.status, [("Content-Type", "application/xml")], _error_xml(fault))
                return
            if fault.kind == "echo":
                self._reply(403, [("Content-Type", "application/xml")], _echo_xml(self.path, dict(self.headers)))
                return
            status, headers, answer = self._forward(body)
            if fault.kind == "truncate":
                # Announce the full length, send half, close: the client reads a short body.
                self._reply(status, headers, answer[: len(answer) // 2], length=len(answer))
                self.close_connection = True
                return
            # corrupt: same status, the XML (or JSON) broken from its middle on.
            half = len(answer) // 2
            self._reply(status, headers, answer[:half] + b"<\x00garbage&" * ((len(answer) - half) // 10 + 1))

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - stdlib dispatch names

    if keep_alive:
        # Clients keep their connections, as they do with S3 (the emulator closes every one). A status
        # line and a body written apart would otherwise wait on the client's delayed ACK (Nagle).
        Handler.protocol_version = "HTTP/1.1"
        Handler.disable_nagle_algorithm = True
    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet when the client went away first (it gave up on a held answer, or was told to retry);
        anything else is printed, as the standard library does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def fault_proxy(upstream_port: int, faults: list[Fault] | None = None, lifetime: float = 60.0, *,
                keep_alive: bool = False) -> Iterator[FaultProxy]:
    """A running proxy to ``127.0.0.1:upstream_port``; it stops on exit, or after ``lifetime`` seconds.

    ``keep_alive`` serves many requests per connection (HTTP/1.1), as S3 does: the emulator's own
    server closes every connection, so only through such a proxy do clients reuse connections, and
    a benchmark can count the ones they open. A shut keep-alive proxy still answers on connections
    already open; the tests' "refused" faults need the default, one request per connection.
    """
    proxy = FaultProxy(upstream_port, list(faults or []))
    server = _Server((LOOPBACK, 0), _handler(proxy, keep_alive))
    proxy._server, proxy.port = server, int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    # The proxy must not outlive a test that hangs or forgets it.
    watchdog = threading.Timer(lifetime, proxy.shut)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield proxy
    finally:
        watchdog.cancel()
        proxy.shut()
        thread.join(timeout=5)
