"""An embedded AWS emulator: moto's server mode on a free loopback port.

The emulator holds state in this process, and moto keeps it in process-wide backends: every
emulator of a process sees the same resources. A started emulator is therefore emptied first, so
each run begins with a clean account; run one emulator per process at a time. Clients reach it through
``endpoint_url`` (or ``AWS_ENDPOINT_URL``) with any credentials, as boto3 reaches AWS.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType

from moto.server import ThreadedMotoServer

LOOPBACK = "127.0.0.1"
DEFAULT_REGION = "eu-west-3"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Emulator:
    """A moto server on ``127.0.0.1``; use as a context manager or call start/stop."""

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


@contextmanager
def emulator_environment(emulator: Emulator) -> Iterator[None]:
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
