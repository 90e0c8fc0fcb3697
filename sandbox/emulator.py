"""AWS emulators on a free loopback port: moto's server embedded in this process, or LocalStack beside it.

Both answer the same interface (:class:`AwsEmulator`): ``endpoint_url``, ``region`` and ``reset()``.
Clients reach either through ``endpoint_url`` (or ``AWS_ENDPOINT_URL``) with any credentials, as boto3
reaches AWS.

moto holds state in this process, in process-wide backends: every moto emulator of a process sees the
same resources. A started emulator is therefore emptied first, so each run begins with a clean account;
run one moto emulator per process at a time. LocalStack is a second, independent implementation of S3,
KMS and IAM that keeps what moto drops (docs/emulators.md); it runs as a child process from its own
virtualenv, since it needs another Python and other pins than the project.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Protocol

from moto.server import ThreadedMotoServer

LOOPBACK = "127.0.0.1"
DEFAULT_REGION = "eu-west-3"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class AwsEmulator(Protocol):
    """What tests and the sandbox need from an emulator, whichever implements it."""

    name: ClassVar[str]
    region: str

    @property
    def endpoint_url(self) -> str:
        """The URL boto3 clients use (``endpoint_url=`` or ``AWS_ENDPOINT_URL``)."""
        ...

    def reset(self) -> None:
        """Forget every resource, so the next step starts from an empty account."""
        ...


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Emulator:
    """A moto server on ``127.0.0.1``; use as a context manager or call start/stop."""

    name: ClassVar[str] = "moto"
    port: int = 0
    region: str = DEFAULT_REGION
    _server: ThreadedMotoServer | None = field(default=None, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        """The URL boto3 clients use (``endpoint_url=`` or ``AWS_ENDPOINT_URL``)."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 10.0) -> Emulator:
        """Start the server and wait until it answers."""
        if self._server is not None:
            return self
        if not self.port:
            self.port = free_port()
        # One line per request drowns the demo's output and the test logs.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address=LOOPBACK, port=self.port, verbose=False)
        self._server.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=1):
                    # A previous emulator of this process left its resources in moto's backends.
                    self.reset()
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the emulator did not answer on {self.endpoint_url}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (its resources stay in moto's process-wide backends until the next start)."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        """Forget every resource (moto's reset API), keeping the server up."""
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=5):
            pass

    def enforce_iam(self, enabled: bool = True) -> None:
        """Turn the emulator's IAM enforcement on or off, from the next request on.

        moto authorises requests only once its request counter reaches ``INITIAL_NO_AUTH_ACTION_COUNT``
        (infinite by default). Its ``reset-auth`` API sets that threshold and zeroes the counter; in
        server mode it is the one switch that works after start, since the server reads the value on
        every request (an environment variable is read once, when moto is imported).
        """
        count = "0" if enabled else "inf"
        # A form content type would make the server parse the body away: send plain text.
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset-auth", data=count.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=5):
            pass

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


LOCALSTACK_SERVICES = ("s3", "kms", "iam", "sts", "ssm")
"""The services the program and the checks call; LocalStack loads no other."""
UNREACHABLE = f"http://{LOOPBACK}:9"
"""A loopback address nothing answers on (the discard port): where LocalStack's own web calls go."""


def localstack_environment(port: int, root: Path, region: str = DEFAULT_REGION) -> dict[str, str]:
    """LocalStack's configuration: listen on loopback only and reach nothing outside this machine.

    The environment is built from scratch (PATH aside), so no proxy, profile or credential of the caller
    leaks in. No DNS server is started, no certificate or tool is downloaded, no usage event is sent, and
    the endpoints of LocalStack's own web services point at a closed loopback port in case any other
    code path calls them. Its files go under ``root``, not into its virtualenv.
    """
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "TMPDIR": str(root),
        "FILESYSTEM_ROOT": str(root / "filesystem"),
        "GATEWAY_SERVER": "hypercorn",
        "GATEWAY_LISTEN": f"{LOOPBACK}:{port}",
        "LOCALSTACK_HOST": f"{LOOPBACK}:{port}",
        "SERVICES": ",".join(LOCALSTACK_SERVICES),
        "EAGER_SERVICE_LOADING": "1",
        "DNS_ADDRESS": "0",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "SKIP_INFRA_DOWNLOADS": "1",
        "DISABLE_EVENTS": "1",
        "API_ENDPOINT": UNREACHABLE,
        "ANALYTICS_API": UNREACHABLE,
        "PERSISTENCE": "0",
        "AWS_DEFAULT_REGION": region,
    }


LAUNCH = """\
import ctypes, runpy, signal, sys
if sys.platform.startswith("linux"):
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
"""
"""``python -m localstack.runtime.main``, after asking Linux to send SIGTERM to LocalStack when the
process that started it dies, even by SIGKILL, so an interrupted test run leaves no server behind.
Done in the child itself: a ``preexec_fn`` is not safe in a process with threads, as moto's is."""


@dataclass
class LocalStackEmulator:
    """LocalStack (``localstack-core``, no container) as a child process on ``127.0.0.1``.

    ``python`` is the interpreter of LocalStack's own virtualenv (``make .venv-localstack/.installed``).
    LocalStack's open-source core has no API to forget its state, so :meth:`reset` restarts the process
    on the same port: a new process is an empty account, whatever the previous one held.
    """

    python: Path
    name: ClassVar[str] = "localstack"
    port: int = 0
    region: str = DEFAULT_REGION
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _root: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        """The URL boto3 clients use (``endpoint_url=`` or ``AWS_ENDPOINT_URL``)."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path | None:
        """Where LocalStack's output goes while it runs."""
        return Path(self._root.name) / "localstack.log" if self._root is not None else None

    def start(self, timeout: float = 180.0) -> LocalStackEmulator:
        """Start LocalStack and wait until every service it runs answers."""
        if self._process is not None:
            return self
        if not self.python.exists():
            raise RuntimeError(f"LocalStack's Python {self.python} does not exist; run make localstack")
        if not self.port:
            self.port = free_port()
        self._root = tempfile.TemporaryDirectory(prefix="recgov-localstack-")
        root = Path(self._root.name)
        assert self.log_path is not None
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [os.path.abspath(self.python), "-c", LAUNCH],
                env=localstack_environment(self.port, root, self.region), cwd=root, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"LocalStack exited with code {self._process.returncode} before it answered; "
                                   f"its last output: {self._tail()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/_localstack/health", timeout=2) as answer:
                    services = json.load(answer).get("services", {})
                if all(services.get(s) in ("available", "running") for s in LOCALSTACK_SERVICES):
                    return
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"LocalStack did not answer on {self.endpoint_url} within {timeout:.0f} s; "
                                   f"its last output: {self._tail()}")
            time.sleep(0.2)

    def _tail(self, lines: int = 5) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return "(none)"
        return " | ".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) or "(none)"

    def stop(self) -> None:
        """Stop LocalStack (its process group: the server and anything it started) and remove its files."""
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self._root is not None:
            self._root.cleanup()
            self._root = None

    def reset(self) -> None:
        """Forget every resource: restart LocalStack on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> LocalStackEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def emulator_environment(emulator: AwsEmulator) -> Iterator[None]:
    """Point boto3's standard configuration at the emulator for the duration, then restore it."""
    values = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": emulator.endpoint_url, "AWS_DEFAULT_REGION": emulator.region}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
