"""The controller's identity for the record of processing (GDPR Art. 30(1)(a) and (e)).

It sits in the policy file under ``controller:``, beside the purposes, because the organisation that
owns the policy is the controller. Every key is optional text; the register shows what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

CONTROLLER_KEYS = {"name": "name", "contact": "contact", "dpo": "dpo", "transfers": "transfers"}
"""Policy-file key -> field."""

CONTROLLER_LABELS = {
    "name": "Controller",
    "contact": "Controller's contact details",
    "dpo": "Data protection officer's contact",
    "transfers": "Transfers outside the EU",
}
"""Field -> what the register calls it."""


@dataclass(frozen=True)
class Controller:
    """Who is responsible for the processing, how to reach them and their DPO, and transfers outside
    the EU (``none`` when there are none); None where the policy file does not say."""

    name: str | None = None
    contact: str | None = None
    dpo: str | None = None
    transfers: str | None = None

    def missing(self) -> list[str]:
        """The labels of what the Art. 30(1) record needs and the policy file does not give."""
        return [CONTROLLER_LABELS[f.name] for f in fields(self) if getattr(self, f.name) is None]


def controller_problems(value: Any, source: str) -> list[str]:
    """One sentence per problem in a policy file's ``controller:`` mapping."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [f"{source}: controller must be a mapping of {', '.join(CONTROLLER_KEYS)} to text."]
    problems = [f"{source}: controller: unknown key {k!r}; allowed keys are {', '.join(CONTROLLER_KEYS)}."
                for k in sorted(set(map(str, value)) - set(CONTROLLER_KEYS))]
    problems += [f"{source}: controller: {k} must be a non-empty text." for k, v in value.items()
                 if str(k) in CONTROLLER_KEYS and (not isinstance(v, str) or not v.strip())]
    return problems


def parse_controller(text: str) -> Controller:
    """The controller of a policy file's text (validated by the policy loader before this is called)."""
    doc = yaml.safe_load(text)
    value = doc.get("controller") if isinstance(doc, Mapping) else None
    if not isinstance(value, Mapping):
        return Controller()
    return Controller(**{CONTROLLER_KEYS[str(k)]: str(v).strip() for k, v in value.items()
                         if str(k) in CONTROLLER_KEYS and isinstance(v, str) and v.strip()})


def read_controller(path: Path | None) -> Controller:
    """The controller of the policy file at ``path`` (None: the packaged policy, which names none)."""
    from lifecycle.loader import default_policy_text

    text = default_policy_text() if path is None else path.read_text(encoding="utf-8")
    return parse_controller(text)
