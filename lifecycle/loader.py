"""Load the policy file and apply a stack's overrides, refusing anything unknown or unlawful.

The policy file is YAML with camelCase keys; a stack's Pulumi config uses the same keys under
``recgov:purposes``, so one vocabulary serves both. A stack may only shorten the file's values.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lifecycle.analytics import DerivedPolicy, parse_analytics, parse_derived
from lifecycle.controller import controller_problems
from lifecycle.layouts import DEFAULT_LAYOUT, LAYOUTS
from lifecycle.legal import LIMITS, MAX_SAMPLING_RATE, LockMode, Purpose
from lifecycle.policy import Policy, PolicyError, PurposePolicy, validate
from lifecycle.purposes import traits

CONFIG_NAMESPACE = "recgov"
POLICY_KEYS = {
    "retentionDays", "objectLockMode", "objectLockDays", "samplingRate",
    "legalBasis", "readers", "writers", "erasure", "layout", "keyPrefix", "derived", "analytics",
}
OVERRIDE_KEYS = {"retentionDays", "objectLockMode", "objectLockDays", "samplingRate", "layout", "keyPrefix"}
"""What a stack may change: numbers, the lock mode, and where its platform writes recordings (layout and
key prefix differ per contact centre). Texts belong to the policy's owner."""
STACK_KEYS = {"purposes", "policyFile", "namePrefix", "deployerArn", "principals", "trustedAccountArn", "amazonConnect",
              "athena"}
"""Every ``recgov:`` config key the program reads (documented in the README)."""


def default_policy_text() -> str:
    """The packaged default policy file."""
    return resources.files("lifecycle").joinpath("default_policy.yaml").read_text(encoding="utf-8")


def _whole_days(purpose: str, key: str, value: Any, problems: list[str]) -> int | None:
    # Pulumi's CLI stores `config set --path` values as strings, so "60" is accepted as 60 (ASCII
    # digits only: str.isdigit also admits "¹", which int() refuses).
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{purpose}: {key} {value!r} must be a whole number of days.")
        return None
    if value < 0:
        problems.append(f"{purpose}: {key} {value} must not be negative.")
        return None
    return value


def _rate(purpose: str, value: Any, problems: list[str]) -> float | None:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        problems.append(f"{purpose}: samplingRate {value!r} must be a number between 0 and 0.30.")
        return None
    return float(value)


def _mode(purpose: str, value: Any, problems: list[str]) -> LockMode | None:
    try:
        return LockMode(str(value).upper())
    except ValueError:
        problems.append(
            f"{purpose}: objectLockMode {value!r} must be GOVERNANCE or COMPLIANCE."
        )
        return None


def _text(purpose: str, key: str, value: Any, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{purpose}: {key} must be a non-empty text.")
        return None
    return value.strip()


def _key_prefix(purpose: str, value: Any, problems: list[str]) -> str | None:
    # Not stripped: a key prefix is matched byte for byte, and the validation names bad ones.
    if not isinstance(value, str) or not value:
        problems.append(f"{purpose}: keyPrefix must be a non-empty text such as connect/acme/CallRecordings.")
        return None
    return value


def _purpose_name(name: Any, problems: list[str]) -> Purpose | None:
    try:
        return Purpose(str(name))
    except ValueError:
        known = ", ".join(p.value for p in Purpose)
        problems.append(f"{name}: unknown purpose; the purposes are {known}.")
        return None


def _unknown_keys(where: str, entry: Mapping[str, Any], allowed: set[str], problems: list[str]) -> None:
    for key in sorted(set(map(str, entry)) - allowed):
        problems.append(f"{where}: unknown key {key!r}; allowed keys are {', '.join(sorted(allowed))}.")


def _parse_entry(purpose: Purpose, entry: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    name = str(purpose)
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key in ("retentionDays", "objectLockDays"):
            out[key] = _whole_days(name, key, value, problems)
        elif key == "samplingRate":
            out[key] = _rate(name, value, problems)
        elif key == "objectLockMode":
            out[key] = _mode(name, value, problems)
        elif key == "layout":
            out[key] = _text(name, key, value, problems)
        elif key == "keyPrefix":
            out[key] = _key_prefix(name, value, problems)
        elif key == "analytics":
            out[key] = parse_analytics(name, value, problems)
        elif key == "derived":
            out[key] = parse_derived(name, value, problems)
        elif key in POLICY_KEYS:
            out[key] = _text(name, key, value, problems)
    return out


def _mapping(where: str, value: Any, problems: list[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        problems.append(f"{where}: expected a mapping of keys to values, got {type(value).__name__}.")
        return {}
    return value


def parse_policy(text: str, *, source: str = "policy") -> dict[Purpose, dict[str, Any]]:
    """Parse a policy file's text into raw per-purpose values, rejecting unknown keys and bad types."""
    problems: list[str] = []
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError([f"{source}: not valid YAML ({exc.__class__.__name__}: {exc})."]) from None
    doc = _mapping(source, doc, problems)
    _unknown_keys(source, doc, {"version", "purposes", "controller"}, problems)
    problems += controller_problems(doc.get("controller"), source)
    if doc.get("version", 1) != 1:
        problems.append(f"{source}: version {doc.get('version')!r} is not supported; use 1.")
    raw: dict[Purpose, dict[str, Any]] = {}
    for name, entry in _mapping(f"{source}: purposes", doc.get("purposes", {}), problems).items():
        purpose = _purpose_name(name, problems)
        entry = _mapping(f"{source}: {name}", entry, problems)
        if purpose is None:
            continue
        _unknown_keys(f"{purpose}", entry, POLICY_KEYS, problems)
        raw[purpose] = _parse_entry(purpose, entry, problems)
    if problems:
        raise PolicyError(problems)
    return raw


def apply_overrides(
    raw: dict[Purpose, dict[str, Any]], overrides: Mapping[str, Any] | None, problems: list[str]
) -> dict[Purpose, dict[str, Any]]:
    """Apply a stack's ``recgov:purposes`` values; a stack may shorten, never lengthen, the file.

    Problems are appended to ``problems`` so that the caller reports them with the validation's.
    """
    if not overrides:
        return raw
    merged = {p: dict(v) for p, v in raw.items()}
    for name, entry in _mapping("recgov:purposes", overrides, problems).items():
        purpose = _purpose_name(name, problems)
        entry = _mapping(f"recgov:purposes.{name}", entry, problems)
        if purpose is None:
            continue
        _unknown_keys(f"{purpose} (stack config)", entry, OVERRIDE_KEYS, problems)
        parsed = _parse_entry(purpose, {k: v for k, v in entry.items() if k in OVERRIDE_KEYS}, problems)
        base = merged.setdefault(purpose, {})
        for key, word, legal in (("retentionDays", "longer", LIMITS[purpose].max_days),
                                 ("samplingRate", "higher", MAX_SAMPLING_RATE)):
            new, old = parsed.get(key), base.get(key)
            # Beyond the legal limit the validation's sentence (rule and limit) says more.
            if new is not None and old is not None and old < new <= legal:
                problems.append(
                    f"{purpose}: stack value {key} {new} is {word} than the policy file's {old}; "
                    "a stack may only tighten the policy (change the policy file to relax it)."
                )
        base.update({k: v for k, v in parsed.items() if v is not None})
    return merged


def _derived(purpose: Purpose, layout_name: str,
             declared: Mapping[str, Mapping[str, Any]] | None) -> tuple[DerivedPolicy, ...]:
    """The derived kinds a purpose keeps: as declared, else every kind of its layout (recordings only)."""
    if declared is None:
        kinds = LAYOUTS.get(layout_name)
        if kinds is None or not traits(purpose).recordings:
            return ()
        return tuple(DerivedPolicy(d.kind) for d in kinds.derived)
    return tuple(DerivedPolicy(kind, s.get("retentionDays"), s.get("prefix")) for kind, s in declared.items())


def build_policy(raw: Mapping[Purpose, Mapping[str, Any]], problems: list[str] | None = None) -> Policy:
    """Turn parsed values into a validated Policy (defaults: lock days = retention - 1).

    ``problems`` found earlier (in a stack's overrides) are reported together with these.
    """
    problems = list(problems or [])
    purposes: list[PurposePolicy] = []
    for purpose in Purpose:
        entry = raw.get(purpose)
        if entry is None:
            continue
        retention = entry.get("retentionDays")
        if retention is None:
            problems.append(f"{purpose}: retentionDays is required.")
            continue
        mode = entry.get("objectLockMode")
        lock_days = entry.get("objectLockDays")
        layout_name = entry.get("layout") or DEFAULT_LAYOUT
        if mode is not None and lock_days is None:
            lock_days = retention - 1
        purposes.append(
            PurposePolicy(
                purpose=purpose,
                retention_days=retention,
                legal_basis=entry.get("legalBasis") or "",
                readers=entry.get("readers") or "",
                writers=entry.get("writers") or "",
                erasure=entry.get("erasure"),
                lock_mode=mode,
                lock_days=lock_days if mode is not None else None,
                sampling_rate=entry.get("samplingRate"),
                layout=layout_name,
                key_prefix=entry.get("keyPrefix"),
                derived=_derived(purpose, layout_name, entry.get("derived")),
                analytics=entry.get("analytics"),
            )
        )
        if lock_days is not None and mode is None:
            problems.append(f"{purpose}: objectLockDays is set but objectLockMode is not.")
    try:
        return validate(Policy(tuple(purposes)), known_problems=problems)
    except PolicyError as err:
        raise PolicyError(err.problems) from None


def read_stack_config(path: Path) -> Mapping[str, Any]:
    """The ``recgov:`` keys of a Pulumi stack file (``Pulumi.<stack>.yaml``), namespace removed."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError) as exc:  # ValueError: undecodable bytes, or a NUL byte in the path
        raise PolicyError([f"{path}: cannot read the stack config ({exc})."]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([f"{path}: not valid YAML ({exc.__class__.__name__})."]) from None
    if not isinstance(doc, Mapping):
        raise PolicyError([f"{path}: a stack config must be a mapping with a 'config' key."])
    config = doc.get("config") or {}
    if not isinstance(config, Mapping):
        raise PolicyError([f"{path}: 'config' must be a mapping."])
    prefix = CONFIG_NAMESPACE + ":"
    ours = {str(k)[len(prefix):]: v for k, v in config.items() if str(k).startswith(prefix)}
    unknown = sorted(set(ours) - STACK_KEYS)
    if unknown:
        raise PolicyError(
            [f"{path}: unknown config key {prefix}{k}; known keys are "
             f"{', '.join(prefix + s for s in sorted(STACK_KEYS))}." for k in unknown]
        )
    return ours


def load_policy(
    policy_text: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    source: str = "policy",
) -> Policy:
    """The effective policy: the file (or the packaged default) with a stack's overrides applied."""
    if policy_text is None:
        policy_text, source = default_policy_text(), "default policy"
    problems: list[str] = []
    merged = apply_overrides(parse_policy(policy_text, source=source), overrides, problems)
    return build_policy(merged, problems)


def load_policy_file(path: Path | None, overrides: Mapping[str, Any] | None = None) -> Policy:
    """Like :func:`load_policy`, reading the policy from ``path`` (None: the packaged default)."""
    if path is None:
        return load_policy(None, overrides)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: undecodable bytes, or a NUL byte in the path
        raise PolicyError([f"{path}: cannot read the policy file ({exc})."]) from None
    return load_policy(text, overrides, source=str(path))
