"""Run the real Pulumi program (``__main__.py``) under Pulumi's mock runtime.

Used by the unit tests, the way Pulumi documents them (``pulumi.runtime.set_mocks``), and by the
sandbox, whose mocks apply each resource to the emulator. Nothing here talks to a Pulumi service or
a cloud: a mock decides every resource's id and outputs.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func

PROJECT = "recgov"
PROGRAM = Path(__file__).resolve().parent.parent / "__main__.py"


@dataclass(frozen=True)
class Registration:
    """One resource the program registered, as the engine saw it."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    id: str | None
    parent: str
    protect: bool
    dependencies: tuple[str, ...]
    custom: bool
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Input name -> URNs it was computed from (how a bucket setting names its bucket)."""


@dataclass
class ProgramRun:
    """What one run of the program registered and exported."""

    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[Registration]:
        """The registered resources of one type, in registration order."""
        return [r for r in self.registrations if r.type == type_token]

    def named(self, name: str, type_token: str | None = None) -> Registration:
        """The custom resource with this logical name (or the one of ``type_token``)."""
        found = [
            r for r in self.registrations
            if r.name == name and (r.type == type_token if type_token else r.custom)
        ]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r}")
        return found[0]


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping what the default one drops: protect, parent, dependencies."""

    def __init__(self, mocks: pulumi.runtime.Mocks, run: ProgramRun) -> None:
        super().__init__(mocks)
        self._run = run
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        with self._lock:
            state = self.resources.get(response.urn)
            self._run.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    inputs=rpc.deserialize_properties(request.object),
                    outputs=dict(state.state) if state else {},
                    id=response.id or None,
                    parent=request.parent,
                    protect=bool(request.protect),
                    dependencies=tuple(request.dependencies),
                    custom=bool(request.custom),
                    property_dependencies={
                        k: tuple(v.urns) for k, v in request.propertyDependencies.items()
                    },
                )
            )
        return response


def config_values(config: Mapping[str, Any], namespace: str = PROJECT) -> dict[str, str]:
    """Stack config as the engine passes it: ``ns:key`` -> string, objects as JSON."""
    out: dict[str, str] = {}
    for key, value in config.items():
        full = key if ":" in key else f"{namespace}:{key}"
        out[full] = value if isinstance(value, str) else json.dumps(value)
    return out


def run_program(
    mocks: pulumi.runtime.Mocks,
    config: Mapping[str, Any] | None = None,
    *,
    stack: str = "dev",
    program: Path = PROGRAM,
    into: ProgramRun | None = None,
) -> ProgramRun:
    """Run ``program`` with ``config`` (``recgov:`` keys may omit the namespace) under ``mocks``.

    Exceptions raised by the program (``pulumi.RunError`` for a refused policy) propagate; pass
    ``into`` to see what was registered before one was raised.
    """
    run = into if into is not None else ProgramRun()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        # A program that failed earlier in this process leaves its exception and pending tasks in
        # Pulumi's process-wide settings, and this run would re-raise it.
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        # set_mocks makes the root stack resource that pulumi.export writes into.
        settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack per run
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False,
                                 monitor=_RecordingMonitor(mocks, run))
        pulumi.runtime.set_all_config(config_values(config or {}))
        def program_body() -> None:
            runpy.run_path(str(program), run_name="__main__")

        loop.run_until_complete(run_pulumi_func(program_body))
        root = pulumi.runtime.get_root_resource()
        exported = getattr(root, "outputs", {})
        resolved = loop.run_until_complete(
            pulumi.Output.from_input(dict(exported)).future(with_unknowns=False)
        )
        run.outputs = json.loads(json.dumps(resolved or {}, default=str))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return run
