"""The sandbox's mocks without an emulator: what they refuse and what they pass through."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs

from sandbox.appliers import APPLIERS, SKIPPED, ApplyContext
from sandbox.deploy import (
    EndpointError,
    RefusedError,
    SandboxError,
    SandboxMocks,
    Skipped,
    UnsupportedResourceError,
    require_loopback,
)
from sandbox.program import PROGRAM, run_program


def _no_clients(service: str) -> Any:
    raise AssertionError(f"no AWS call expected, got one to {service}")


def _mocks() -> SandboxMocks:
    return SandboxMocks(ApplyContext(_no_clients, "eu-west-3", "123456789012", "recgov", "dev"))


def test_unknown_resource_type_is_refused_by_its_token() -> None:
    args = MockResourceArgs(typ="aws:sqs/queue:Queue", name="q", inputs={}, custom=True)
    with pytest.raises(UnsupportedResourceError, match=r"aws:sqs/queue:Queue \(q\)"):
        _mocks().new_resource(args)


def test_component_resources_pass_through_without_aws_calls() -> None:
    args = MockResourceArgs(typ="recgov:storage:GovernedBucket", name="b", inputs={"x": 1}, custom=False)
    assert _mocks().new_resource(args) == (None, {"x": 1})


def test_unknown_function_is_refused() -> None:
    with pytest.raises(UnsupportedResourceError, match="aws:ec2/getAmi:getAmi"):
        _mocks().call(MockCallArgs(token="aws:ec2/getAmi:getAmi", args={}, provider=""))


class _Recorder(SandboxMocks):
    """Records the types the program declares, answering like the emulator would."""

    def __init__(self) -> None:
        super().__init__(ApplyContext(_no_clients, "eu-west-3", "123456789012", "recgov", "dev"))
        self.types: set[str] = set()

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.custom:
            self.types.add(args.typ)
        return f"{args.name}-id", {**args.inputs, "arn": f"arn:aws:s3:::{args.name}", "bucket": args.name}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:connect/getInstance:getInstance":
            return {"serviceRole": "arn:aws:iam::123456789012:role/aws-service-role/connect.amazonaws.com/r"}, []
        return {"accountId": "123456789012", "arn": "arn:aws:iam::123456789012:user/deployer"}, []


CONNECT = {"amazonConnect": {"instanceArn": "arn:aws:connect:eu-west-3:123456789012:instance/i-1",
                             "recordingsPrefix": "connect/acme/CallRecordings"}}


def test_the_sandbox_supports_exactly_the_types_the_program_emits() -> None:
    recorder = _Recorder()
    # The optional Athena tables included: every type the program can emit.
    run_program(recorder, {"recgov:athena": {"database": "inventories"}}, stack="dev", program=PROGRAM)
    assert recorder.types == set(APPLIERS)
    # With every optional setting, what the emulator cannot hold is skipped by name, nothing else.
    recorder = _Recorder()
    run_program(recorder, {**CONNECT, "recgov:athena": {"database": "inventories"}}, stack="dev", program=PROGRAM)
    assert recorder.types == set(APPLIERS) | set(SKIPPED)
    assert not set(APPLIERS) & set(SKIPPED)


def test_a_type_the_emulator_cannot_hold_is_skipped_with_its_reason() -> None:
    mocks = _mocks()
    storage = "aws:connect/instanceStorageConfig:InstanceStorageConfig"
    args = MockResourceArgs(typ=storage, name="s", inputs={"instanceId": "i-1"}, custom=True)
    resource_id, outputs = mocks.new_resource(args)
    assert resource_id == "s-not-applied" and outputs == {"instanceId": "i-1"}
    assert mocks.skipped == [Skipped(storage, "s", SKIPPED[storage])] and mocks.applied == []
    assert "AssociateInstanceStorageConfig" in SKIPPED[storage]


def test_a_connect_instance_outside_the_stack_region_is_refused() -> None:
    args = MockCallArgs(token="aws:connect/getInstance:getInstance",
                        args={"instanceId": "i-1", "region": "eu-central-1"}, provider="")
    with pytest.raises(SandboxError, match="is in eu-central-1, but the sandbox deploys to eu-west-3"):
        _mocks().call(args)


@pytest.mark.parametrize("url", ["https://s3.eu-west-3.amazonaws.com", "http://10.0.0.5:5000", "http://example.com"])
def test_non_loopback_endpoints_are_refused(url: str) -> None:
    with pytest.raises(SandboxError, match="pulumi up"):
        require_loopback(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://localhost:1234"])
def test_loopback_endpoints_are_accepted(url: str) -> None:
    require_loopback(url)


class _Refusing:
    """A client whose every call the emulator refuses (or cannot be reached for)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def call(*_: Any, **__: Any) -> Any:
            raise self.error
        return call


def test_a_refused_request_names_the_resource_and_the_api_call() -> None:
    from botocore.exceptions import ClientError

    refused = ClientError({"Error": {"Code": "MalformedXML", "Message": "bad"}}, "PutBucketVersioning")
    mocks = SandboxMocks(ApplyContext(lambda _: _Refusing(refused), "eu-west-3", "1", "recgov", "dev"),
                         "http://127.0.0.1:5000")
    args = MockResourceArgs(typ="aws:s3/bucketVersioning:BucketVersioning", name="recgov-dev-quality-versioning",
                            inputs={"bucket": "b", "versioningConfiguration": {"status": "Enabled"}}, custom=True)
    with pytest.raises(RefusedError) as err:
        mocks.new_resource(args)
    message = str(err.value)
    assert "recgov-dev-quality-versioning" in message and "PutBucketVersioning" in message
    assert "MalformedXML" in message and mocks.failure is err.value


def test_an_unreachable_emulator_is_an_endpoint_error() -> None:
    from botocore.exceptions import EndpointConnectionError

    gone = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    mocks = SandboxMocks(ApplyContext(lambda _: _Refusing(gone), "eu-west-3", "1", "recgov", "dev"),
                         "http://127.0.0.1:9")
    args = MockResourceArgs(typ="aws:s3/bucketVersioning:BucketVersioning", name="v",
                            inputs={"bucket": "b", "versioningConfiguration": {"status": "Enabled"}}, custom=True)
    with pytest.raises(EndpointError, match=r"could not reach the emulator at http://127\.0\.0\.1:9"):
        mocks.new_resource(args)


def test_the_stack_file_is_looked_for_here_then_beside_the_program(tmp_path: Any) -> None:
    from pathlib import Path

    from sandbox.deploy import PROJECT_DIR, stack_file

    assert stack_file("dev", cwd=Path(tmp_path)) == PROJECT_DIR / "Pulumi.dev.yaml"
    (Path(tmp_path) / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    assert stack_file("dev", cwd=Path(tmp_path)) == Path(tmp_path).resolve() / "Pulumi.dev.yaml"
    with pytest.raises(SandboxError, match=r"no Pulumi\.qa\.yaml in .* nor in "):
        stack_file("qa", cwd=Path(tmp_path))
