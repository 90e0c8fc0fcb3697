"""boto3 clients for collection: the standard credential chain, a region, an optional endpoint.

``endpoint_url`` overrides the endpoint; when it is None boto3 still honours ``AWS_ENDPOINT_URL``
(and ``AWS_ENDPOINT_URL_S3`` ...) from the environment, which is how the emulator is reached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

MAX_ATTEMPTS = 8
"""botocore's ``max_attempts``: retries after the first call, so at most 9 calls. Adaptive mode
retries throttling and transient errors with exponential backoff (capped at 20 s a wait) and
rate-limits the client after a throttle; eight retries ride out a throttling burst of tens of
seconds on a large account, yet a call that keeps failing still ends, as unreadable, within about
two minutes."""

CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection. S3 and KMS accept within milliseconds; an endpoint that has not
answered in five seconds is down or unreachable, and the attempt counts as a retryable failure."""

READ_TIMEOUT = 15.0
"""Seconds to wait for an answer once connected (botocore's default is 60). Every read collection
makes is a small control-plane Get; fifteen seconds is generous, and a hung endpoint costs at most
``MAX_ATTEMPTS + 1`` such waits (plus backoff) per read instead of an hour."""

DEFAULT_WORKERS = 8
"""Buckets collected at once; each bucket's reads are sequential. Collection waits on round trips, so a
few workers overlap them; more gain nothing measurable and cost connections: on AWS each bucket is a
host name of its own (virtual-hosted addressing) and botocore keeps connection pools for ten hosts
only (its Config cannot change that), so beyond ten buckets in flight most requests would open a new
TCP and TLS connection. Eight leave room for a redirect's second host, and fewer requests in flight
keep verify further from S3's and KMS's request-rate throttling. The measurements, with their command
and date: docs/performance.md, "Load"."""

FALLBACK_REGION = "us-east-1"
"""Used when neither ``--region`` nor the environment names one: S3 answers for every bucket there
(redirecting when needed), and KMS keys are looked up by ARN, which carries its own region."""


@dataclass(frozen=True)
class Clients:
    """The clients collection uses; boto3 clients are safe to share between threads."""

    s3: Any
    kms_session: boto3.session.Session
    region: str
    endpoint_url: str | None
    config: Config
    _kms: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def kms(self, region: str | None = None) -> Any:
        """A KMS client for ``region`` (a key's region comes from its ARN), made once per region."""
        wanted = region or self.region
        # Sessions are not thread-safe; clients are, so each is made once under the lock and shared.
        with self._lock:
            if wanted not in self._kms:
                self._kms[wanted] = self.kms_session.client(
                    "kms", region_name=wanted, endpoint_url=self.endpoint_url, config=self.config
                )
            return self._kms[wanted]


PROBE_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=CONNECT_TIMEOUT,
                      read_timeout=READ_TIMEOUT, user_agent_extra="recgov-verify")
"""One attempt: the probe asks whether the account answers at all, not how a read fares."""

NO_CREDENTIALS = ("no AWS credentials were found (environment, AWS_PROFILE, config files, SSO or an instance role), "
                  "so nothing could be read; set them, for example export AWS_PROFILE=NAME, and run again.")


def outage(endpoint_url: str | None, region: str | None) -> str | None:
    """Why nothing can be read, in one sentence, when the cause concerns every read; else None.

    Asked once, before collection: the credential chain is resolved, then one read-only
    ``ListBuckets`` (a single bucket, no retry) tells a missing credential and an unreachable endpoint
    apart from everything else. A refusal is an answer: the endpoint is there, and each read will say
    what it needed.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ProxyConnectionError,
        ReadTimeoutError,
    )

    from governance.collect.observed import redact

    where = redact(endpoint_url) if endpoint_url else "AWS"
    try:
        session = boto3.session.Session(region_name=region)
        if session.get_credentials() is None:
            return NO_CREDENTIALS
        s3 = session.client("s3", region_name=region or session.region_name or FALLBACK_REGION,
                            endpoint_url=endpoint_url, config=PROBE_CONFIG)
        s3.list_buckets(MaxBuckets=1)
    except (NoCredentialsError, PartialCredentialsError):
        return NO_CREDENTIALS
    except (EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError) as err:
        return (f"the endpoint {where} could not be reached ({type(err).__name__}), so nothing could be read; "
                "check --endpoint-url (or AWS_ENDPOINT_URL), the network and any proxy, and run again.")
    except (ConnectionClosedError, ReadTimeoutError) as err:
        return (f"the endpoint {where} accepted no request ({type(err).__name__}), so nothing could be read; "
                "check --endpoint-url (or AWS_ENDPOINT_URL) and run again.")
    except (ClientError, BotoCoreError):
        return None
    return None


def client_config(max_workers: int = DEFAULT_WORKERS) -> Config:
    """Adaptive retries with a bound, connect and read timeouts, and a connection pool as large as the
    worker count (botocore's default of ten would discard a connection whenever more workers than that
    share one host). The constants are read at call time, so a test may shorten them."""
    return Config(
        retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=max(10, max_workers),
        user_agent_extra="recgov-verify",
    )


def make_clients(
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    session: boto3.session.Session | None = None,
    max_workers: int = DEFAULT_WORKERS,
    config: Config | None = None,
) -> Clients:
    """Clients from the standard credential chain (environment, profile, SSO, instance role ...).

    ``config`` replaces :func:`client_config`, for example :data:`PROBE_CONFIG` once an outage is
    known, so that each read fails at once instead of being retried against nothing."""
    session = session or boto3.session.Session()
    resolved = region or session.region_name or FALLBACK_REGION
    config = config or client_config(max_workers)
    s3 = session.client("s3", region_name=resolved, endpoint_url=endpoint_url, config=config)
    return Clients(s3=s3, kms_session=session, region=resolved, endpoint_url=endpoint_url, config=config)
