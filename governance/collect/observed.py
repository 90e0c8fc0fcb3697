"""One observed setting: present with a value, absent, or unreadable with the reason.

Absent and unreadable are different facts. ``NoSuchLifecycleConfiguration`` proves a bucket has no
lifecycle (a failure if one is required); ``AccessDenied`` proves only that we could not look, which
is neither compliance nor violation and becomes an ERROR.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


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
        """A setting we could not read: denied, failed or malformed."""
        return cls(State.UNREADABLE, reason=reason, source=source, permission=permission)

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
