"""The policy pack under test, and stacks built from the real program's registrations.

As pulumi-policy's own tests do, the validation functions are called directly with built
``StackValidationArgs`` and ``PolicyResource`` objects. The resources are those the real
``__main__.py`` registers under the mock runtime, with the properties and property dependencies the
engine would send, wrapped in the analyzer's unknown-checking proxy.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from sandbox.program import ProgramRun

PACK_DIR = Path(__file__).resolve().parents[2] / "policy_pack"


def load_pack_module(name: str) -> ModuleType:
    """A module of the pack, loaded from the pack's folder (it is not an installed package)."""
    qualified = f"policy_pack.{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, PACK_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None, f"no {name}.py in {PACK_DIR}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


def _options(protect: bool, parent: str | None) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


Edit = Callable[[dict[str, Any]], None]


class PlannedStack:
    """The program's resources as the analyzer would pass them, with edits applied on top.

    ``edit(name, fn)`` changes a resource's properties in place; ``drop(name)`` removes a resource
    from the stack; ``resources()`` builds fresh ``PolicyResource`` objects every time.
    """

    def __init__(self, run: ProgramRun) -> None:
        self._run = run
        self._edits: dict[str, list[Edit]] = {}
        self._dropped: set[str] = set()
        self._unlinked: set[str] = set()

    def _custom(self, name: str) -> str:
        return self._run.named(name).urn

    def edit(self, name: str, fn: Edit) -> PlannedStack:
        """Change the properties of the custom resource ``name``."""
        self._edits.setdefault(self._custom(name), []).append(fn)
        return self

    def drop(self, name: str) -> PlannedStack:
        """Remove the custom resource ``name`` from the stack."""
        self._dropped.add(self._custom(name))
        return self

    def unlink(self, name: str) -> PlannedStack:
        """Forget the property dependencies of ``name`` (a bucket named by a literal, or by nothing)."""
        self._unlinked.add(self._custom(name))
        return self

    def resources(self) -> list[PolicyResource]:
        """The stack's resources, properties wrapped as the analyzer wraps them."""
        regs = [r for r in self._run.registrations if r.urn not in self._dropped]
        built: dict[str, PolicyResource] = {}
        for r in regs:
            props = copy.deepcopy(dict(r.outputs))
            for fn in self._edits.get(r.urn, []):
                fn(props)
            built[r.urn] = PolicyResource(r.type, unknown_checking_proxy(props), r.urn, r.name,
                                          _options(r.protect, r.parent or None), None, None, [], {})
        for r in regs:
            resource = built[r.urn]
            resource.parent = built.get(r.parent)
            resource.dependencies = [built[u] for u in r.dependencies if u in built]
            if r.urn not in self._unlinked:
                resource.property_dependencies = {
                    k: [built[u] for u in v if u in built] for k, v in r.property_dependencies.items()
                }
        return list(built.values())  # registration order

    def resource(self, name: str) -> PolicyResource:
        """The built custom resource ``name``."""
        urn = self._custom(name)
        return next(r for r in self.resources() if r.urn == urn)


Violation = tuple[str, str | None]


def stack_violations(policy: Policy, resources: list[PolicyResource],
                     config: Mapping[str, Any] | None = None) -> list[Violation]:
    """What a stack validation policy reports, as (message, urn) pairs."""
    assert isinstance(policy, StackValidationPolicy)
    found: list[Violation] = []
    policy.validate(StackValidationArgs(resources, dict(config or {})), lambda m, u=None: found.append((m, u)))
    return found


def resource_violations(policy: Policy, resources: list[PolicyResource]) -> list[Violation]:
    """What a resource validation policy reports over every resource of the stack."""
    assert isinstance(policy, ResourceValidationPolicy)
    found: list[Violation] = []
    for r in resources:
        args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, None, {})
        policy.validate(args, lambda m, u=None: found.append((m, u)))
    return found


@pytest.fixture(scope="session")
def pack() -> ModuleType:
    """``policy_pack/policies.py``."""
    return load_pack_module("policies")


@pytest.fixture(scope="session")
def planned() -> ModuleType:
    """``policy_pack/planned.py``."""
    return load_pack_module("planned")


@pytest.fixture
def stack(default_run: ProgramRun) -> PlannedStack:
    """A fresh editable copy of the program's planned stack."""
    return PlannedStack(default_run)


@pytest.fixture(scope="session")
def policies(pack: ModuleType) -> dict[str, Policy]:
    """The pack's policies by name, reading an empty stack config."""
    return {p.name: p for p in pack.make_policies(stack_config=lambda _key: None)}
