"""Call ids as a data subject's request names them: refused before anything is read or changed.

A call id ends up inside S3 prefixes and is compared with what a key layout extracts; a ``/`` or
``..`` would reach other keys, a ``*`` reads as a wildcard to a person and a NUL is no key at all.
"""

from __future__ import annotations

from collections.abc import Iterable

FORBIDDEN = ("/", "..", "*", "\x00")
MAX_LENGTH = 256


class CallIdError(ValueError):
    """A call id that cannot be looked up; the message is one sentence."""


def check_call_id(call_id: str) -> str:
    """The call id unchanged, or a :class:`CallIdError` naming what is wrong with it."""
    if not call_id or not call_id.strip():
        raise CallIdError("--call-id is empty; give the call (contact, conversation) id as the platform names it.")
    if call_id != call_id.strip():
        raise CallIdError(f"--call-id {call_id!r} has leading or trailing spaces; give the id exactly.")
    for bad in FORBIDDEN:
        if bad in call_id:
            shown = "NUL" if bad == "\x00" else repr(bad)
            raise CallIdError(f"--call-id {call_id!r} contains {shown}, which no call id of a layout may contain; "
                              "give one id exactly, without paths or wildcards.")
    if len(call_id) > MAX_LENGTH:
        raise CallIdError(f"--call-id is {len(call_id)} characters long; a call id has at most {MAX_LENGTH}.")
    return call_id


def check_call_ids(call_ids: Iterable[str]) -> tuple[str, ...]:
    """Every id checked, duplicates dropped, in the order given."""
    seen: dict[str, None] = {}
    for call_id in call_ids:
        seen[check_call_id(call_id)] = None
    return tuple(seen)
