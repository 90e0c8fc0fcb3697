"""Apply the real Pulumi program to the emulator: ``recgov sandbox deploy``.

The program (``__main__.py``) runs under Pulumi's mock runtime (``sandbox.program``); the mocks
below apply each declared resource to the emulator with boto3 as it registers, and hand the
outputs (names, ARNs, ids) back to the program, so later resources see them as they would under
``pulumi up``. This is an emulation for trying and testing; production deployments use ``pulumi up``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import pulumi
import yaml
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sandbox.appliers import APPLIERS, SKIPPED, ApplyContext
from sandbox.emulator import DEFAULT_REGION, FAKE_CREDENTIALS
from sandbox.program import PROGRAM, PROJECT, ProgramRun, run_program

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
CONNECT_INSTANCE = "aws:connect/getInstance:getInstance"
RETRY_AFTER_ALL = frozenset({"InvalidTargetBucketForLogging"})
"""Refusals that depend on a resource the program does not order before this one.

S3 accepts server access logging only once the target bucket's policy lets the logging service
write, but the program orders a bucket's logging after the log bucket, not after its policy. The
sandbox applies such a resource again once every other resource is in place, and fails then.
"""


class SandboxError(Exception):
    """The sandbox cannot do what was asked (unsupported resource, non-loopback endpoint...)."""


class UnsupportedResourceError(SandboxError):
    """The program declared a resource type the sandbox does not know how to apply."""


class RefusedError(SandboxError):
    """The emulator refused a request: the command's input or the emulator's state is the cause."""


class EndpointError(SandboxError):
    """The emulator could not be reached or gave no usable answer: nothing could be applied."""


def api_failure(err: Exception, resource: str, endpoint_url: str, operation: str = "a request") -> SandboxError:
    """One sentence naming the resource and the API call for a failed request to the emulator."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code = error.get("Code") or err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        message = str(error.get("Message") or "").rstrip(".")
        return RefusedError(f"{resource}: the emulator at {endpoint_url} refused {err.operation_name} "
                            f"({code}{': ' + message if message else ''}).")
    operation = getattr(err, "kwargs", {}).get("operation_name") or operation
    return EndpointError(f"{resource}: {operation} could not reach the emulator at {endpoint_url} "
                         f"({type(err).__name__}); start it (recgov demo embeds one) or correct --endpoint-url.")


@dataclass(frozen=True)
class Applied:
    """One resource the sandbox applied."""

    type: str
    name: str
    id: str


@dataclass(frozen=True)
class Skipped:
    """One resource the sandbox did not apply because the emulator cannot hold it, and why."""

    type: str
    name: str
    reason: str


def require_loopback(endpoint_url: str) -> None:
    """Refuse any endpoint but the local emulator: the sandbox never touches a real account."""
    host = urlparse(endpoint_url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise SandboxError(
            f"{endpoint_url} is not a loopback address; the sandbox applies only to a local emulator "
            "(production deployments use `pulumi up`)."
        )


def emulator_clients(
    endpoint_url: str, region: str = DEFAULT_REGION, credentials: Mapping[str, str] | None = None
) -> Any:
    """A cached boto3 client factory for the emulator (fake credentials unless others are given)."""
    require_loopback(endpoint_url)
    creds = credentials or FAKE_CREDENTIALS
    session = boto3.session.Session(
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=creds.get("AWS_SESSION_TOKEN"),
        region_name=region,
    )
    make_client: Any = session.client  # service names are plain strings here, not the stubs' literals
    cache: dict[str, Any] = {}
    lock = threading.Lock()
    # Path-style addressing: virtual-host names would resolve outside loopback.
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2})

    def client(service: str) -> Any:
        with lock:
            if service not in cache:
                cache[service] = make_client(service, endpoint_url=endpoint_url, config=config)
            return cache[service]

    return client


class SandboxMocks(pulumi.runtime.Mocks):
    """Pulumi mocks that apply each resource to the emulator instead of inventing its outputs."""

    def __init__(self, ctx: ApplyContext, endpoint_url: str = "the emulator") -> None:
        self.ctx = ctx
        self.endpoint_url = endpoint_url
        self.applied: list[Applied] = []
        self.skipped: list[Skipped] = []
        self.deferred: list[pulumi.runtime.MockResourceArgs] = []
        self.failure: SandboxError | None = None
        """The first request the emulator refused or could not answer: the program's own error
        would only say that a registration failed."""
        # The mock runtime registers resources from a thread pool; the emulator sees one at a time.
        self._lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """Apply one declared resource; component resources only group others and pass through."""
        if not args.custom:
            return None, dict(args.inputs)
        applier = APPLIERS.get(args.typ)
        if applier is None and args.typ in SKIPPED:
            self.skipped.append(Skipped(args.typ, args.name, SKIPPED[args.typ]))
            return f"{args.name}-not-applied", dict(args.inputs)
        if applier is None:
            raise UnsupportedResourceError(
                f"the sandbox does not support resource type {args.typ} ({args.name}); "
                f"it applies only: {', '.join(sorted(APPLIERS))}"
            )
        with self._lock:
            try:
                resource_id, outputs = applier(self.ctx, args.name, dict(args.inputs))
            except BotoCoreError as err:
                raise self._failed(err, args) from None
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") not in RETRY_AFTER_ALL:
                    raise self._failed(err, args) from None
                # Only bucket settings are deferred; their id is the bucket, whatever happens next.
                self.deferred.append(args)
                return str(args.inputs["bucket"]), {**args.inputs, "id": str(args.inputs["bucket"])}
            self.applied.append(Applied(args.typ, args.name, resource_id))
        return resource_id, {**outputs, "id": resource_id}

    def _failed(self, err: Exception, args: pulumi.runtime.MockResourceArgs) -> SandboxError:
        failure = api_failure(err, f"{args.typ} {args.name}", self.endpoint_url)
        self.failure = self.failure or failure
        return failure

    def apply_deferred(self) -> None:
        """Apply the resources refused for want of another; a second refusal is final."""
        pending, self.deferred = self.deferred, []
        for args in pending:
            try:
                resource_id, _ = APPLIERS[args.typ](self.ctx, args.name, dict(args.inputs))
            except (ClientError, BotoCoreError) as err:
                raise self._failed(err, args) from None
            self.applied.append(Applied(args.typ, args.name, resource_id))

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """Answer the program's data sources from the emulator: the caller's identity (STS) and an
        Amazon Connect instance (DescribeInstance)."""
        if args.token == CONNECT_INSTANCE:
            return self._connect_instance(args.args), []
        if args.token != CALLER_IDENTITY:
            raise UnsupportedResourceError(f"the sandbox does not support the function {args.token}")
        with self._lock:
            who = self.ctx.clients("sts").get_caller_identity()
        identity = {"accountId": who["Account"], "arn": who["Arn"], "userId": who["UserId"], "id": who["Account"]}
        return identity, []  # an empty failure list: the mock monitor cannot iterate None

    def _connect_instance(self, args: Mapping[str, Any]) -> dict[str, Any]:
        instance_id = str(args.get("instanceId") or "")
        region = str(args.get("region") or self.ctx.region)
        if region != self.ctx.region:
            raise SandboxError(f"the Amazon Connect instance {instance_id} is in {region}, but the sandbox deploys "
                               f"to {self.ctx.region}; use an instance of the stack's region (aws:region).")
        with self._lock:
            try:
                found = self.ctx.clients("connect").describe_instance(InstanceId=instance_id)["Instance"]
            except ClientError as err:
                raise SandboxError(f"the emulator has no Amazon Connect instance {instance_id} "
                                   f"({err.response.get('Error', {}).get('Code')}); create it first "
                                   "(connect create-instance) and name its ARN in recgov:amazonConnect.") from None
        return {"id": found["Id"], "instanceId": found["Id"], "arn": found["Arn"], "region": region,
                "serviceRole": found["ServiceRole"], "status": found.get("InstanceStatus", "ACTIVE"),
                "identityManagementType": found.get("IdentityManagementType", "CONNECT_MANAGED"),
                "inboundCallsEnabled": bool(found.get("InboundCallsEnabled")),
                "outboundCallsEnabled": bool(found.get("OutboundCallsEnabled"))}


@dataclass
class Deployment:
    """What a sandbox deploy applied and the stack outputs it produced."""

    stack: str
    outputs: dict[str, Any]
    applied: list[Applied] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    run: ProgramRun | None = None

    def outputs_json(self) -> str:
        """The outputs as ``pulumi stack output --json`` prints them."""
        return json.dumps(self.outputs, indent=2, sort_keys=True) + "\n"


PROJECT_DIR = Path(__file__).resolve().parent.parent
"""Where the program (``__main__.py``) and its example stack files live."""


def stack_file(stack: str, project_dir: Path | None = None, cwd: Path | None = None) -> Path:
    """``Pulumi.<stack>.yaml`` in the current directory, else beside the program, as ``pulumi`` would
    look in the project it runs; a SandboxError naming both places when neither has it."""
    name = f"Pulumi.{stack}.yaml"
    places = list(dict.fromkeys([(cwd or Path.cwd()).resolve(), (project_dir or PROJECT_DIR).resolve()]))
    for place in places:
        if (place / name).is_file():
            return place / name
    raise SandboxError(f"no {name} in {' nor in '.join(str(p) for p in places)}; create it "
                       f"(pulumi stack init {stack}) or choose another --stack such as dev.")


def stack_config(stack: str, project_dir: Path | None = None, cwd: Path | None = None) -> dict[str, Any]:
    """Every key of the stack's ``Pulumi.<stack>.yaml`` (all namespaces), found by :func:`stack_file`."""
    path = stack_file(stack, project_dir, cwd)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise SandboxError(f"{path}: cannot read the stack config ({type(err).__name__}).") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("config") or {}, Mapping):
        raise SandboxError(f"{path}: a stack config is a mapping with a 'config' mapping.")
    return dict(doc.get("config") or {})


def deploy(
    endpoint_url: str,
    *,
    stack: str = "dev",
    config: Mapping[str, Any] | None = None,
    project_dir: Path | None = None,
    credentials: Mapping[str, str] | None = None,
    program: Path = PROGRAM,
) -> Deployment:
    """Run the program for ``stack`` and apply it to the emulator at ``endpoint_url``.

    ``config`` defaults to ``Pulumi.<stack>.yaml`` in the current directory or beside the program
    (:func:`stack_file`). Deploying again converges on the same resources (same physical names,
    settings re-applied). A refused policy raises ``pulumi.RunError`` before any resource is applied;
    a request the emulator refuses raises RefusedError, one it cannot answer EndpointError, each
    naming the resource and the API call.
    """
    if config is None:
        config = stack_config(stack, project_dir)
    region = str(config.get("aws:region") or DEFAULT_REGION)
    clients = emulator_clients(endpoint_url, region, credentials)
    return apply_program(clients, stack=stack, config=config, program=program, endpoint_url=endpoint_url)


def apply_program(
    clients: Callable[[str], Any],
    *,
    stack: str,
    config: Mapping[str, Any],
    program: Path = PROGRAM,
    endpoint_url: str = "the emulator",
) -> Deployment:
    """Run the program for ``stack`` with ``config`` and apply each resource through ``clients``.

    ``clients`` makes a boto3 client by service name. Where they point is the caller's charge:
    :func:`deploy` hands over clients for a loopback emulator only; tests hand over clients that moto
    mocks in process. ``endpoint_url`` only names the target in error messages.
    """
    region = str(config.get("aws:region") or DEFAULT_REGION)
    try:
        account = str(clients("sts").get_caller_identity()["Account"])
    except (ClientError, BotoCoreError) as err:
        raise api_failure(err, f"stack {stack}", endpoint_url, "sts:GetCallerIdentity") from None
    mocks = SandboxMocks(ApplyContext(clients=clients, region=region, account_id=account, project=PROJECT, stack=stack),
                         endpoint_url)
    try:
        run = run_program(mocks, config, stack=stack, program=program)
    except Exception:
        # The mock runtime reports a failed registration in its own words; the request that failed
        # is the cause to name.
        if mocks.failure is not None:
            raise mocks.failure from None
        raise
    if mocks.failure is not None:
        raise mocks.failure
    mocks.apply_deferred()
    return Deployment(stack=stack, outputs=run.outputs, applied=mocks.applied, skipped=mocks.skipped, run=run)
