"""Pulumi's wire format to the AWS API's shape.

Under the mock runtime a resource's inputs arrive as the engine sees them: camelCase keys and every
number a float. boto3 wants the API's PascalCase (with its acronyms) and integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ACRONYMS = {
    "id": "ID",
    "sseAlgorithm": "SSEAlgorithm",
    "kmsMasterKeyId": "KMSMasterKeyID",
}
"""Keys whose API spelling is not the camelCase name with a capital first letter."""


def api_key(name: str) -> str:
    """``noncurrentDays`` -> ``NoncurrentDays``; ``kmsMasterKeyId`` -> ``KMSMasterKeyID``."""
    if name in ACRONYMS:
        return ACRONYMS[name]
    return name[:1].upper() + name[1:]


def api_value(value: Any) -> Any:
    """A wire value in API shape: PascalCase keys, whole floats as ints, recursively."""
    if isinstance(value, Mapping):
        return {api_key(str(k)): api_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [api_value(v) for v in value]
    if isinstance(value, bool):  # bool is an int subclass: keep it before the number test
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def tag_list(tags: Mapping[str, str] | None, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    """A tag mapping as the list of pairs the APIs take (KMS spells them ``TagKey``/``TagValue``)."""
    return [{key: k, value: v} for k, v in sorted((tags or {}).items())]
