"""One observed setting: present with a value, absent, or unreadable with the reason.

Absent and unreadable are different facts. ``NoSuchLifecycleConfiguration`` proves a bucket has no
lifecycle (a failure if one is required); ``AccessDenied`` proves only that we could not look, which
is neither compliance nor violation and becomes an ERROR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_SECRETS = re.compile(
    r"(?i)(x-amz-(?:signature|credential|security-token)[=:]\s*)[^&\s\"'<;,]+"
    r"|(?i:(?<=signature=))[0-9a-f]{16,}"
    r"|(?i:(?<=credential=))[^&\s\"',;]+"
    r"|\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"
)
"""What identifies or proves a credential in a signed request: access key ids, signatures,
credential scopes and session tokens, as a header or a presigned URL's query shows them."""
_USERINFO = re.compile(r"(?<=://)[^/@\s\"'<>]+@")
"""The ``user:password@`` of a URL, which botocore quotes whole when it refuses an endpoint."""


def redact(text: str) -> str:
    """``text`` with credential material replaced by ``[redacted]``.

    An error reason ends up in every report format and in CI logs. AWS's own messages carry no
    secret, but an endpoint, proxy or gateway in between may echo the request it refused (its URL or
    headers): the reason must not carry the caller's key id, signature or session token onward.
    """
    return _USERINFO.sub("[redacted]@", _SECRETS.sub(lambda m: (m.group(1) or "") + "[redacted]", text))


class State(StrEnum):
    """Whether a setting was seen."""

    PRESENT = "present"
    ABSENT = "absent"
    UNREADABLE = "unreadable"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Observed:
    """A setting as read from the account.

    ``value`` is set only when present; ``reason`` (error code and message) only when unreadable;
    ``source`` names the API call and ``permission`` the IAM action it needs, for error messages.
    """

    state: State
    value: Any = None
    reason: str = ""
    source: str = ""
    permission: str = ""

    @classmethod
    def present(cls, value: Any, source: str = "", permission: str = "") -> Observed:
        """A setting that exists, with its value in the API's shape."""
        return cls(State.PRESENT, value=value, source=source, permission=permission)

    @classmethod
    def absent(cls, source: str = "", permission: str = "") -> Observed:
        """A setting the API says does not exist."""
        return cls(State.ABSENT, source=source, permission=permission)

    @classmethod
    def unreadable(cls, reason: str, source: str = "", permission: str = "") -> Observed:
        """A setting we could not read: denied, failed or malformed (credentials redacted from the reason)."""
        return cls(State.UNREADABLE, reason=redact(reason), source=source, permission=permission)

    @property
    def is_present(self) -> bool:
        """True when the setting exists and was read."""
        return self.state is State.PRESENT

    @property
    def is_absent(self) -> bool:
        """True when the API says the setting does not exist."""
        return self.state is State.ABSENT

    @property
    def is_unreadable(self) -> bool:
        """True when the setting could not be read."""
        return self.state is State.UNREADABLE

    def evidence(self) -> Any:
        """The raw evidence for a report: the value, ``absent``, or the reason it is unreadable."""
        if self.is_present:
            return self.value
        if self.is_absent:
            return {"state": "absent", "source": self.source}
        return {"state": "unreadable", "source": self.source, "permission": self.permission, "reason": self.reason}
