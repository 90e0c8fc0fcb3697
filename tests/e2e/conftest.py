"""End-to-end fixtures: the real program deployed to the emulator (moto, or each emulator a module is marked for)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from sandbox.deploy import Deployment, deploy, emulator_clients
from sandbox.emulator import AwsEmulator, emulator_environment

STACK = "e2e"
BASE_CONFIG = {"aws:region": "eu-west-3"}
"""No overrides: the packaged policy as it stands, under the default name prefix ``recgov-e2e``."""
ATHENA_TABLES = {"recgov:athena": {"database": "inventories"}}
"""The inventories' Athena tables (``inventories.<purpose>``) that ``--engine athena`` reads."""
GLUE_EMULATORS = {"moto"}
"""Emulators that offer Glue: LocalStack's open-source core does not ("not included in your license plan")."""


def config_for(emulator: AwsEmulator) -> dict[str, Any]:
    """The e2e stack's config on ``emulator``: with the Athena tables wherever Glue can hold them."""
    return {**BASE_CONFIG, **(ATHENA_TABLES if emulator.name in GLUE_EMULATORS else {})}


@dataclass
class Deployed:
    """A deployed stack on the emulator, with a deployer's clients."""

    emulator: AwsEmulator
    deployment: Deployment

    @property
    def outputs(self) -> dict[str, Any]:
        return self.deployment.outputs

    def client(self, service: str) -> Any:
        return emulator_clients(self.emulator.endpoint_url, self.emulator.region)(service)

    def bucket(self, purpose: str) -> str:
        return str(self.outputs["buckets"][purpose])


@pytest.fixture(scope="module")
def deployed(emulator: AwsEmulator) -> Iterator[Deployed]:
    """An emptied emulator with the program deployed once for the module (tests restore what they change)."""
    emulator.reset()
    with emulator_environment(emulator):
        yield Deployed(emulator, deploy(emulator.endpoint_url, stack=STACK, config=config_for(emulator)))
